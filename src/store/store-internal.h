/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Between the transport (store-http.c: curl multi on sd-event, endpoints,
 * failover, retries), the operations (store.c) and the watch (watch.c). */

#include <curl/curl.h>

#include "store.h"

typedef struct StoreRequest StoreRequest;

/* r < 0: could not reach the store (error set). r > 0: the HTTP status, with the
 * (NUL-terminated) body; for a stream, status after the stream ended. */
typedef void (*StoreRequestDone)(StoreRequest *req, int r, const char *body, size_t size,
                                 const char *error, void *userdata);
/* A streaming request's bytes as they arrive: return < 0 to abort the stream. */
typedef int (*StoreRequestData)(StoreRequest *req, const char *p, size_t n, void *userdata);

struct StoreRequest {
        Store *store;
        StoreRequest *prev, *next;

        char *path, *body;
        bool idempotent;        /* safe to send again after an ambiguous failure */
        bool stream;            /* no overall timeout, bytes to on_data */
        unsigned attempt;
        size_t endpoint;

        CURL *easy;
        struct curl_slist *headers;
        char errbuf[CURL_ERROR_SIZE];
        char *response;
        size_t response_size, response_allocated;
        bool response_overflow, data_aborted;
        sd_event_source *retry_source;

        StoreRequestDone on_done;
        StoreRequestData on_data;
        void *userdata;
};

struct Store {
        sd_event *event;
        CURLM *multi;
        sd_event_source *timer;

        char **endpoints;
        size_t n_endpoints, current;
        char *cert_file, *key_file, *ca_file;
        uint64_t timeout_usec, connect_timeout_usec;
        unsigned max_attempts;
        size_t response_max;

        bool up;
        StoreHealthCallback health_cb;
        void *health_userdata;

        StoreRequest *requests;
        StoreWatch *watches;
        bool freeing;
};

int store_http_init(Store *s);
void store_http_done(Store *s);

int store_request_start(Store *s, const char *path, char *body /* takes */, bool idempotent,
                        bool stream, StoreRequestDone on_done, StoreRequestData on_data,
                        void *userdata, StoreRequest **ret);
/* Stops it without calling on_done. */
void store_request_cancel(StoreRequest *req);

void store_set_up(Store *s, bool up, const char *error);

/* etcd's error for a non-200 answer, as "store error: <message>" */
int store_http_error(const char *body, size_t size, size_t max, char **ret_error);

void store_watch_detach(StoreWatch *w);   /* the store is going away */

/* tests */
void store_set_response_max(Store *s, size_t max);
