/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The OCI distribution client: one Registry per daemon, living on the daemon's
 * sd-event loop. All network I/O is curl multi driven by sd-event (socket and
 * timer callbacks), so nothing here ever blocks the loop.
 *
 * What a fetch promises:
 *  - endpoint: a reference's domain is mapped through Mirror= ("docker.io" ->
 *    "http://127.0.0.1:5000"); "docker.io" without a mirror is served by
 *    https://registry-1.docker.io; plain http only for mirror URLs that say so or
 *    hosts listed as Insecure=.
 *  - auth: a 401 with WWW-Authenticate Bearer fetches a token (anonymous, or with
 *    the credentials of the auth file for that host) and retries once; Basic is
 *    answered from the auth file. Tokens are cached per host+scope.
 *  - redirects are followed by us, not by curl: the Authorization header is only
 *    ever sent to the host that the credentials/token belong to.
 *  - retries: 5xx, 429 (Retry-After honoured, capped), connect errors and stalls
 *    are retried with exponential backoff, a bounded number of times.
 *  - integrity: with an expected digest the body is hashed (sha256) while it
 *    streams and the fetch fails with -EBADMSG on mismatch; bodies going to memory
 *    are capped (-EFBIG).
 * Errors come back as negative errno plus a human message; nothing is logged above
 * debug level. */

#include <stdint.h>
#include <systemd/sd-event.h>

#include "macro.h"

typedef struct Registry Registry;
typedef struct RegistryFetch RegistryFetch;

typedef struct RegistryOptions {
        unsigned max_attempts;          /* per request, including the first; 0 = default (5) */
        uint64_t backoff_base_usec;     /* first retry delay; 0 = default (200ms), doubled each retry */
        uint64_t backoff_cap_usec;      /* 0 = default (10s); also caps Retry-After */
        uint64_t connect_timeout_usec;  /* 0 = default (15s) */
        uint64_t stall_timeout_usec;    /* <1 KiB/s for this long aborts and retries; 0 = default (30s) */
        unsigned max_parallel;          /* concurrent transfers; 0 = default (6) */
} RegistryOptions;

int registry_new(sd_event *event, const RegistryOptions *opts, Registry **ret);
Registry *registry_free(Registry *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(Registry *, registry_free);

/* "[Registry] Mirror=docker.io http://127.0.0.1:5000": domain -> base URL. */
int registry_add_mirror(Registry *r, const char *domain, const char *url);
/* "[Registry] Insecure=127.0.0.1:5000": use plain http for this host[:port]. */
int registry_add_insecure(Registry *r, const char *host);
/* containers-auth.json / docker config.json; a missing file is fine (no
 * credentials), a malformed one is an error (-EBADMSG, message in ret_error). */
int registry_load_auth_file(Registry *r, const char *path, char **ret_error);

/* Base URL ("http://127.0.0.1:5000", "https://registry-1.docker.io") for a
 * reference domain, after Mirror= and Insecure=. */
int registry_endpoint(Registry *r, const char *domain, char **ret_base_url);

/* "<endpoint>/v2/<repository>/<kind>/<object>"; kind is "manifests" or "blobs",
 * object a tag or a digest. -EINVAL for anything that could escape the path. */
int registry_object_url(Registry *r, const char *domain, const char *repository,
                        const char *kind, const char *object, char **ret_url);

/* ---- Single fetches (used by pull.c; callable for anything else) ---- */

typedef enum RegistrySink {
        REGISTRY_SINK_MEMORY,   /* body kept in memory, up to max_size */
        REGISTRY_SINK_FD,       /* body written to fd (truncated and rewritten on retry) */
} RegistrySink;

typedef struct RegistryRequest {
        const char *domain;         /* reference domain, mapped through mirrors */
        const char *repository;     /* "library/busybox": used for the URL and the token scope */
        const char *kind;           /* "manifests" or "blobs" */
        const char *object;         /* tag or digest */
        const char *accept;         /* Accept header value, or NULL */
        const char *expected_digest;/* "sha256:<hex>" checked while streaming, or NULL */
        int64_t expected_size;      /* -1: unknown; else the body must be exactly this long */
        uint64_t max_size;          /* memory sink cap (required for MEMORY) */
        RegistrySink sink;
        int fd;                     /* for REGISTRY_SINK_FD; not owned */
        /* Optional: called with the fetch's userdata as the body arrives
         * (received counts the current attempt: it starts over on a retry).
         * It runs inside curl's write callback and must not cancel the fetch. */
        void (*progress)(uint64_t received, void *userdata);
        /* HEAD instead of GET: no body; resp->docker_digest is what the
         * registry says the object is (NULL if it did not say). */
        bool head;
} RegistryRequest;

typedef struct RegistryResponse {
        long status;                /* final HTTP status */
        char *content_type;         /* media type from Content-Type (no parameters) */
        char *docker_digest;        /* Docker-Content-Digest header, if any */
        char *digest;               /* sha256 of the body as received: "sha256:<hex>" */
        char *body;                 /* MEMORY sink: NUL-terminated body */
        size_t body_size;
        uint64_t bytes;             /* bytes received for the final attempt */
} RegistryResponse;

/* r < 0 on failure with a message; on success r == 0 and resp is filled (owned by
 * the fetch: copy or steal what you need, e.g. TAKE_PTR(resp->body)). The fetch
 * object is freed after the callback returns. */
typedef void (*registry_fetch_handler_t)(RegistryFetch *f, int r, const char *error_message,
                                         RegistryResponse *resp, void *userdata);

int registry_fetch(Registry *r, const RegistryRequest *req, registry_fetch_handler_t cb,
                   void *userdata, RegistryFetch **ret);
/* Abort without calling the handler. */
void registry_fetch_cancel(RegistryFetch *f);
