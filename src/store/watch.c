/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <time.h>

#include "etcd-json.h"
#include "json-stream.h"
#include "store-internal.h"

#define WATCH_BACKOFF_BASE_USEC (100U * 1000U)
#define WATCH_BACKOFF_CAP_USEC (5U * 1000U * 1000U)

struct StoreWatch {
        Store *store;
        StoreWatch *prev, *next;
        char *prefix, *range_end;
        StoreWatchCallbacks cb;
        void *userdata;

        int64_t next_revision;          /* the first revision not yet delivered */
        int64_t delivered;              /* last delivered revision */
        unsigned failures;              /* consecutive, for the backoff */
        bool relist;                    /* the next attempt lists first */

        StoreRequest *stream;
        bool list_pending;              /* a range op is in flight (its callback checks alive) */
        JsonStream json;
        /* Parsed messages wait here until dispatch runs from the event loop: user
         * callbacks never run inside a curl callback, so they may free the watch. */
        EtcdWatchMessage *queue;
        size_t n_queue;
        sd_event_source *dispatch_source;
        sd_event_source *retry_source;
        bool *alive;
        bool mark_up;                   /* the stream is established: tell the store's health */
};

static void watch_attempt(StoreWatch *w);

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

static int retry_handler(sd_event_source *src _unused_, uint64_t usec _unused_, void *userdata) {
        StoreWatch *w = userdata;

        watch_attempt(w);
        return 0;
}

static void watch_broken(StoreWatch *w, int r, const char *error) {
        uint64_t delay;
        bool alive = true;

        w->stream = NULL;
        json_stream_reset(&w->json);

        /* The first reconnect is immediate (etcd restarts and a member change are
         * the common case), then exponential. */
        delay = w->failures == 0 ? 0 : MIN((uint64_t) WATCH_BACKOFF_BASE_USEC << MIN(w->failures - 1, 10U),
                                             (uint64_t) WATCH_BACKOFF_CAP_USEC);
        w->failures++;

        if (w->cb.broken) {
                w->alive = &alive;
                w->cb.broken(w, r, error, w->userdata);
                if (!alive)
                        return;
                w->alive = NULL;
        }

        /* The timer was allocated with the watch: re-arming it allocates
         * nothing, so a watch can always come back, whatever memory is left. */
        if (sd_event_source_set_time(w->retry_source, now_usec() + delay) < 0 ||
            sd_event_source_set_enabled(w->retry_source, SD_EVENT_ONESHOT) < 0)
                w->relist = true;       /* cannot happen with a live loop; a relist next time is exact */
}

/* The consumer could not take something in: forget the stream and what it
 * held, and list again after the backoff. */
static void watch_consumer_failed(StoreWatch *w, int r) {
        if (w->stream)
                store_request_cancel(w->stream);
        w->stream = NULL;
        for (size_t i = 0; i < w->n_queue; i++)
                etcd_watch_message_done(w->queue + i);
        w->n_queue = 0;
        w->relist = true;
        watch_broken(w, r, "the watch's consumer failed, listing again");
}

static int deliver(StoreWatch *w, const EtcdWatchMessage *m) {
        bool alive = true;
        int r;

        w->alive = &alive;
        for (size_t i = 0; i < m->n_events; i++) {
                const StoreEvent *ev = m->events + i;

                /* resuming may replay what we had; the revision filter keeps it exactly-once */
                if (ev->kv.mod_revision < w->next_revision)
                        continue;
                r = w->cb.event ? w->cb.event(w, ev, w->userdata) : 0;
                if (!alive)
                        return -ECANCELED;
                if (r < 0) {
                        w->alive = NULL;
                        return r;
                }
                w->delivered = ev->kv.mod_revision;
        }
        w->alive = NULL;
        if (m->n_events > 0)
                w->next_revision = MAX(w->next_revision, m->events[m->n_events - 1].kv.mod_revision + 1);
        return 0;
}

static int on_message(const char *json, size_t len, void *userdata) {
        StoreWatch *w = userdata;
        _cleanup_free_ char *err = NULL;
        EtcdWatchMessage m = {};
        yajl_val root;
        int r;

        r = etcd_parse_json(json, len, STORE_WATCH_MESSAGE_MAX, &root, &err);
        if (r < 0)
                return r;
        if (etcd_parse_error(root, &err) > 0) {
                yajl_tree_free(root);
                return -EIO;
        }
        r = etcd_parse_watch_message(root, &m, &err);
        yajl_tree_free(root);
        if (r < 0)
                return r;

        if (m.compact_revision > 0) {
                /* we asked for compacted history: only a full re-list is exact now */
                w->relist = true;
                etcd_watch_message_done(&m);
                return -ESTALE;
        }
        if (m.canceled) {
                etcd_watch_message_done(&m);
                return -ECONNRESET;
        }
        if (m.created) {
                w->failures = 0;
                w->mark_up = true;
                r = sd_event_source_set_enabled(w->dispatch_source, SD_EVENT_ONESHOT);
                if (r < 0) {
                        etcd_watch_message_done(&m);
                        return r;
                }
        }
        if (m.n_events == 0) {
                etcd_watch_message_done(&m);
                return 0;
        }

        EtcdWatchMessage *q = reallocarray(w->queue, w->n_queue + 1, sizeof(EtcdWatchMessage));
        if (!q) {
                etcd_watch_message_done(&m);
                return -ENOMEM;
        }
        w->queue = q;
        w->queue[w->n_queue++] = m;
        return sd_event_source_set_enabled(w->dispatch_source, SD_EVENT_ONESHOT);
}

/* Returns false if a callback freed the watch, or failed and the watch
 * started over. */
static bool dispatch_queue(StoreWatch *w) {
        size_t i;
        int r = 0;

        if (w->mark_up) {
                bool alive = true;

                w->mark_up = false;
                w->alive = &alive;
                store_set_up(w->store, true, NULL);
                if (!alive)
                        return false;
                w->alive = NULL;
        }

        for (i = 0; i < w->n_queue; i++) {
                r = deliver(w, w->queue + i);
                if (r < 0)
                        break;
        }
        /* the watch may be gone: only touch the queue (we own it here) if it is not */
        if (r == -ECANCELED)
                return false;
        if (r < 0) {
                watch_consumer_failed(w, r);
                return false;
        }
        for (i = 0; i < w->n_queue; i++)
                etcd_watch_message_done(w->queue + i);
        w->n_queue = 0;
        return true;
}

static int dispatch_handler(sd_event_source *src _unused_, void *userdata) {
        (void) dispatch_queue(userdata);
        return 0;
}

static int on_data(StoreRequest *req _unused_, const char *p, size_t n, void *userdata) {
        StoreWatch *w = userdata;
        const char *e = NULL;

        return json_stream_feed(&w->json, p, n, on_message, w, &e);
}

static void on_stream_done(StoreRequest *req _unused_, int r, const char *body, size_t size,
                           const char *error, void *userdata) {
        StoreWatch *w = userdata;
        _cleanup_free_ char *msg = NULL;

        if (r == -ECANCELED)
                return;
        w->stream = NULL;
        if (!dispatch_queue(w))
                return;

        if (r > 0 && r != 200)
                r = store_http_error(body, size, STORE_RESPONSE_MAX, &msg);
        else if (r >= 0) {
                r = -ECONNRESET;
                error = "watch stream ended";
        } else if (r == -ESTALE || w->relist)
                error = "watch revision compacted, re-listing";

        watch_broken(w, r, msg ?: error);
}

static void on_list(Store *s _unused_, int r, const StoreResult *res, const char *error, void *userdata) {
        StoreWatch *w = userdata;
        bool alive = true;

        w->list_pending = false;
        if (!w->store) {
                /* freed while listing: the op kept the object alive for us */
                free(w);
                return;
        }
        if (r < 0)
                return watch_broken(w, r, error);

        w->relist = false;
        w->next_revision = res->revision + 1;
        w->delivered = res->revision;
        if (w->cb.resync) {
                w->alive = &alive;
                r = w->cb.resync(w, res->kvs, res->n_kvs, res->revision, w->userdata);
                if (!alive)
                        return;
                w->alive = NULL;
                if (r < 0)
                        return watch_consumer_failed(w, r);
        }
        watch_attempt(w);
}

static void watch_attempt(StoreWatch *w) {
        char *body = NULL;
        int r;

        if (w->relist) {
                r = store_range_prefix(w->store, w->prefix, on_list, w);
                if (r < 0)
                        return watch_broken(w, r, "could not start listing");
                w->list_pending = true;
                return;
        }

        json_stream_reset(&w->json);
        r = etcd_request_watch(w->prefix, w->range_end, w->next_revision, &body);
        if (r >= 0)
                r = store_request_start(w->store, "/v3/watch", body, true, true, on_stream_done, on_data,
                                        w, &w->stream);
        if (r < 0)
                watch_broken(w, r, "could not start the watch stream");
}

int store_watch_new(Store *s, const char *prefix, int64_t start_revision, const StoreWatchCallbacks *callbacks,
                    void *userdata, StoreWatch **ret) {
        StoreWatch *w;
        int r;

        if (!s || isempty(prefix) || start_revision < 0 || !callbacks || !ret)
                return -EINVAL;

        w = calloc(1, sizeof(StoreWatch));
        if (!w)
                return -ENOMEM;
        *w = (StoreWatch) {
                .store = s,
                .cb = *callbacks,
                .userdata = userdata,
                .next_revision = start_revision,
                .delivered = start_revision > 0 ? start_revision - 1 : 0,
                .relist = start_revision == 0,
        };
        json_stream_init(&w->json, STORE_WATCH_MESSAGE_MAX);
        r = sd_event_add_defer(s->event, &w->dispatch_source, dispatch_handler, w);
        if (r < 0) {
                free(w);
                return r;
        }
        (void) sd_event_source_set_enabled(w->dispatch_source, SD_EVENT_OFF);
        w->prefix = strdup(prefix);
        r = w->prefix ? store_prefix_range_end(prefix, &w->range_end) : -ENOMEM;
        if (r < 0) {
                sd_event_source_disable_unref(w->dispatch_source);
                free(w->prefix);
                free(w);
                return r;
        }
        w->next = s->watches;
        if (s->watches)
                s->watches->prev = w;
        s->watches = w;

        /* start from the event loop, so no callback runs inside this call */
        r = sd_event_add_time(s->event, &w->retry_source, CLOCK_MONOTONIC, 0, 0, retry_handler, w);
        if (r < 0) {
                store_watch_free(w);
                return r;
        }
        *ret = w;
        return 0;
}

void store_watch_detach(StoreWatch *w) {
        Store *s = w->store;

        if (!s)
                return;
        if (w->stream)
                store_request_cancel(w->stream);
        w->stream = NULL;
        w->retry_source = sd_event_source_disable_unref(w->retry_source);
        w->dispatch_source = sd_event_source_disable_unref(w->dispatch_source);
        for (size_t i = 0; i < w->n_queue; i++)
                etcd_watch_message_done(w->queue + i);
        free(w->queue);
        w->queue = NULL;
        w->n_queue = 0;
        if (w->prev)
                w->prev->next = w->next;
        else if (s->watches == w)
                s->watches = w->next;
        if (w->next)
                w->next->prev = w->prev;
        w->prev = w->next = NULL;
        w->store = NULL;
        json_stream_done(&w->json);
        free(w->prefix);
        free(w->range_end);
        w->prefix = w->range_end = NULL;
}

StoreWatch *store_watch_free(StoreWatch *w) {
        if (!w)
                return NULL;
        if (w->alive)
                *w->alive = false;
        store_watch_detach(w);
        /* an in-flight list op still points at us; it frees the object when it completes */
        if (!w->list_pending)
                free(w);
        return NULL;
}

int64_t store_watch_revision(StoreWatch *w) {
        return w->delivered;
}
