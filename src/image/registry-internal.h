/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between registry.c (configuration, curl multi on sd-event) and
 * registry-fetch.c (one request's state machine). Not a public API. */

#include <curl/curl.h>
#include <openssl/evp.h>

#include "auth.h"
#include "hashmap.h"
#include "registry.h"

struct Registry {
        sd_event *event;
        CURLM *multi;
        sd_event_source *timer;
        RegistryOptions opts;

        Hashmap *mirrors;        /* domain -> base URL (char *) */
        char **insecure;         /* host[:port] */
        AuthFile *auth;
        Hashmap *tokens;         /* "host\nscope" -> "Bearer ..." (char *) */

        unsigned n_active;
        bool closing;            /* registry_free(): start nothing, call no handler */
        RegistryFetch *queue_head, *queue_tail;   /* waiting for a transfer slot */
        RegistryFetch *all;      /* every live fetch, to abort them at free */
};

/* registry.c */
int registry_start_transfer(Registry *r, CURL *easy);
void registry_stop_transfer(Registry *r, CURL *easy);
bool registry_host_is_insecure(Registry *r, const char *host);

#define TOKEN_BODY_MAX (256U * 1024U)

typedef enum FetchMode {
        MODE_OBJECT,
        MODE_TOKEN,
} FetchMode;

struct RegistryFetch {
        Registry *registry;
        CURL *easy;
        struct curl_slist *headers;
        FetchMode mode;
        bool active;            /* holds a transfer slot / is in the multi */
        bool queued;
        bool in_callback;
        RegistryFetch *queue_next;
        RegistryFetch *all_prev, *all_next;

        /* the request */
        char *repository, *accept, *expected_digest, *object_url;
        char *registry_host;    /* host[:port] the credentials and tokens belong to */
        char *registry_scheme;
        int64_t expected_size;
        uint64_t max_size;
        RegistrySink sink;
        bool head;
        int fd;
        void (*progress)(uint64_t received, void *userdata);

        /* progress */
        char *url;              /* current URL: object_url or a redirect target */
        char *authorization;    /* "Bearer ..." / "Basic ...": only for registry_host */
        char *token_key;        /* tokens cache key of the token being fetched */
        char *token_url;
        char *token_auth;       /* Basic credentials for the token realm, or NULL */
        unsigned attempt, redirects;
        bool auth_tried;
        sd_event_source *retry_timer;

        /* the response being received */
        long status;
        EVP_MD_CTX *md;
        uint64_t received;
        char *buf;
        size_t buf_size, buf_alloc;
        char *content_type, *docker_digest, *www_authenticate, *location;
        uint64_t retry_after_usec;
        int write_error;        /* why the write callback stopped the transfer */

        registry_fetch_handler_t cb;
        void *userdata;
};

/* registry-fetch.c */
void fetch_finish(RegistryFetch *f, int r, const char *fmt, ...) _printf_(3, 4);
void fetch_retry(RegistryFetch *f, int err, const char *why);
void fetch_restart(RegistryFetch *f);
bool url_host_is(const char *url, const char *host);

/* registry-auth.c */
void erase_free(char *s);
char *token_cache_key(const char *host, const char *scope);
void fetch_handle_challenge(RegistryFetch *f);
void fetch_token_done(RegistryFetch *f);


void registry_fetch_transfer_done(RegistryFetch *f, CURLcode code);
void registry_fetch_slot_free(Registry *r);
void registry_fetch_abort_all(Registry *r);

/* "scheme://host[:port]/..." -> "host[:port]" and "scheme"; -EINVAL if not a URL. */
int url_split(const char *url, char **ret_scheme, char **ret_host);
