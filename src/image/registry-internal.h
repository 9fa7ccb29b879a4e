/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between registry.c (configuration, curl multi on sd-event) and
 * registry-fetch.c (one request's state machine). Not a public API. */

#include <curl/curl.h>

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
        RegistryFetch *queue_head, *queue_tail;   /* waiting for a transfer slot */
        RegistryFetch *all;      /* every live fetch, to abort them at free */
};

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

/* registry.c */
int registry_start_transfer(Registry *r, CURL *easy);
void registry_stop_transfer(Registry *r, CURL *easy);
bool registry_host_is_insecure(Registry *r, const char *host);

/* registry-fetch.c */
void registry_fetch_transfer_done(RegistryFetch *f, CURLcode code);
void registry_fetch_slot_free(Registry *r);
void registry_fetch_abort_all(Registry *r);

/* "scheme://host[:port]/..." -> "host[:port]" and "scheme"; -EINVAL if not a URL. */
int url_split(const char *url, char **ret_scheme, char **ret_host);
