/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store-bench ENDPOINT: the store client vs raw blocking libcurl (one easy
 * handle per writer thread, kept alive) against the same etcd, side by side:
 * put latency p50/p99 and throughput at 1 and 16 concurrent writers with 2 KiB
 * values; watch latency (put -> event delivered by the client) p50/p99; RSS of
 * a process holding 10,000 validated pods listed through the client.
 * ENDPOINT: http://127.0.0.1:PORT (bench/store/run.sh starts a throwaway etcd). */
#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <time.h>

#include "store/base64.h"
#include "store/pods.h"
#include "store/store.h"
#include "strv.h"

#define VALUE_SIZE 2048

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

typedef struct Stats {
        double p50_ms, p99_ms, ops;
} Stats;

static Stats stats(uint64_t *lat, size_t n, uint64_t elapsed) {
        qsort(lat, n, sizeof *lat, cmp_u64);
        return (Stats) {
                .p50_ms = lat[n / 2] / 1000.0,
                .p99_ms = lat[n * 99 / 100] / 1000.0,
                .ops = n * 1e6 / (double) elapsed,
        };
}

static char value[VALUE_SIZE + 1];

/* ---- the client ---- */

typedef struct Run {
        sd_event *event;
        Store *store;
        size_t total, issued, done;
        uint64_t *lat, *start;
        const char *prefix;
        bool finished;
} Run;

/* sd_event_exit() would finish the loop for good; these runs share one loop */
static void run_until(sd_event *e, const bool *flag) {
        while (!*flag)
                if (sd_event_run(e, UINT64_MAX) < 0)
                        exit(1);
}

static void issue(Run *r, size_t slot);

static void put_done(Store *s, int rr, const StoreResult *res, const char *error, void *userdata) {
        Run *r = ((void **) userdata)[0];

        if (rr < 0) {
                fprintf(stderr, "put failed: %s\n", error);
                exit(1);
        }
        size_t i = (size_t) (uintptr_t) ((void **) userdata)[1];
        r->lat[r->done++] = now_usec() - r->start[i];
        free(userdata);
        if (r->issued < r->total)
                issue(r, 0);
        else if (r->done == r->total)
                r->finished = true;
}

static void issue(Run *r, size_t slot) {
        char key[64];
        void **ud = malloc(2 * sizeof(void *));
        size_t i = r->issued++;

        ud[0] = r;
        ud[1] = (void *) (uintptr_t) i;
        snprintf(key, sizeof key, "%s%zu", r->prefix, i % 1000);
        r->start[i] = now_usec();
        int q = store_put(r->store, key, value, VALUE_SIZE, put_done, ud);
        if (q < 0) {
                fprintf(stderr, "queue failed: %s\n", strerror(-q));
                exit(1);
        }
}

static Stats client_puts(sd_event *e, Store *st, unsigned writers, size_t total) {
        Run r = { .event = e, .store = st, .total = total, .prefix = "/bench/c/" };
        uint64_t t0;
        Stats s;

        r.lat = calloc(total, sizeof(uint64_t));
        r.start = calloc(total, sizeof(uint64_t));
        t0 = now_usec();
        for (unsigned w = 0; w < writers; w++)
                issue(&r, w);
        run_until(e, &r.finished);
        s = stats(r.lat, total, now_usec() - t0);
        free(r.lat);
        free(r.start);
        return s;
}

/* ---- raw blocking curl ---- */

typedef struct Raw {
        const char *endpoint;
        size_t n;
        uint64_t *lat;
        unsigned id;
} Raw;

static size_t discard(char *p, size_t s, size_t n, void *u) {
        return s * n;
}

static void *raw_thread(void *userdata) {
        Raw *w = userdata;
        CURL *c = curl_easy_init();
        struct curl_slist *h = curl_slist_append(NULL, "Expect:");
        _cleanup_free_ char *v64 = NULL;
        const char *path;
        char url[512];

        (void) store_base64_encode(value, VALUE_SIZE, &v64);
        path = startswith(w->endpoint, "unix://");
        if (path) {
                curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, path);
                snprintf(url, sizeof url, "http://localhost/v3/kv/put");
        } else
                snprintf(url, sizeof url, "%s/v3/kv/put", w->endpoint);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        for (size_t i = 0; i < w->n; i++) {
                _cleanup_free_ char *k64 = NULL, *body = NULL;
                char key[64];
                uint64_t t0;

                snprintf(key, sizeof key, "/bench/r/%u/%zu", w->id, i % 1000);
                (void) store_base64_encode(key, strlen(key), &k64);
                if (asprintf(&body, "{\"key\":\"%s\",\"value\":\"%s\"}", k64, v64) < 0)
                        abort();
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
                t0 = now_usec();
                if (curl_easy_perform(c) != CURLE_OK) {
                        fprintf(stderr, "raw put failed\n");
                        exit(1);
                }
                w->lat[i] = now_usec() - t0;
        }
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        return NULL;
}

static Stats raw_puts(const char *endpoint, unsigned writers, size_t total) {
        pthread_t t[64];
        Raw w[64];
        uint64_t *lat = calloc(total, sizeof(uint64_t)), t0;
        size_t per = total / writers;

        t0 = now_usec();
        for (unsigned i = 0; i < writers; i++) {
                w[i] = (Raw) { .endpoint = endpoint, .n = per, .lat = lat + i * per, .id = i };
                pthread_create(&t[i], NULL, raw_thread, &w[i]);
        }
        for (unsigned i = 0; i < writers; i++)
                pthread_join(t[i], NULL);
        Stats s = stats(lat, per * writers, now_usec() - t0);
        free(lat);
        return s;
}

/* ---- watch latency ---- */

typedef struct WatchRun {
        sd_event *event;
        Store *store;
        size_t n, i;
        uint64_t t0, *lat;
        bool ready, finished;
} WatchRun;

static void wput(WatchRun *w);

static void wput_done(Store *s, int r, const StoreResult *res, const char *error, void *userdata) {
        if (r < 0) {
                fprintf(stderr, "put failed: %s\n", error);
                exit(1);
        }
}

static int w_event(StoreWatch *sw, const StoreEvent *ev, void *userdata) {
        WatchRun *w = userdata;

        w->lat[w->i++] = now_usec() - w->t0;
        if (w->i == w->n)
                w->finished = true;
        else
                wput(w);
        return 0;
}

static int w_resync(StoreWatch *sw, const StoreKV *kvs, size_t n, int64_t rev, void *userdata) {
        WatchRun *w = userdata;

        if (!w->ready) {
                w->ready = true;
                wput(w);
        }
        return 0;
}

static void wput(WatchRun *w) {
        char key[64];

        snprintf(key, sizeof key, "/bench/w/%zu", w->i % 100);
        w->t0 = now_usec();
        if (store_put(w->store, key, value, VALUE_SIZE, wput_done, NULL) < 0)
                exit(1);
}

static Stats watch_latency(sd_event *e, Store *st, size_t n) {
        WatchRun w = { .event = e, .store = st, .n = n };
        StoreWatchCallbacks cb = { .event = w_event, .resync = w_resync };
        StoreWatch *sw = NULL;

        w.lat = calloc(n, sizeof(uint64_t));
        if (store_watch_new(st, "/bench/w/", 0, &cb, &w, &sw) < 0)
                exit(1);
        run_until(e, &w.finished);
        store_watch_free(sw);
        Stats s = stats(w.lat, n, 1);
        free(w.lat);
        return s;
}

/* ---- 10,000 pods ---- */

static long rss_kib(void) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        long v = -1;

        while (f && fgets(line, sizeof line, f))
                if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
                        break;
        return v;
}

typedef struct PodsRun {
        sd_event *event;
        Store *store;
        size_t n, issued, done;
        StorePodList *list;
        bool finished;
} PodsRun;

static void pod_issue(PodsRun *p);

static void pod_put_done(Store *s, int r, int64_t rev, const char *error, void *userdata) {
        PodsRun *p = userdata;

        if (r < 0) {
                fprintf(stderr, "pod put: %s\n", error);
                exit(1);
        }
        if (++p->done == p->n)
                p->finished = true;
        else if (p->issued < p->n)
                pod_issue(p);
}

static void pod_issue(PodsRun *p) {
        char json[1024], *err = NULL;
        Pod *pod = NULL;

        snprintf(json, sizeof json,
                 "{\"name\":\"pod%05zu\",\"containers\":[{\"name\":\"app\",\"image\":\"docker.io/library/nginx:1.27\","
                 "\"args\":[\"--port\",\"8080\"],\"env\":{\"PORT\":\"8080\",\"MODE\":\"prod\"},"
                 "\"limits\":{\"memory\":268435456,\"pids\":100}}]}", p->issued++);
        if (pod_parse(json, strlen(json), &pod, &err) < 0) {
                fprintf(stderr, "pod_parse: %s\n", err);
                exit(1);
        }
        if (store_pods_put(p->store, pod, -1, pod_put_done, p) < 0)
                exit(1);
        pod_free(pod);
}

static void list_done(Store *s, int r, StorePodList *l, const char *error, void *userdata) {
        PodsRun *p = userdata;

        if (r < 0) {
                fprintf(stderr, "list: %s\n", error);
                exit(1);
        }
        p->list = l;
        p->finished = true;
}

int main(int argc, char *argv[]) {
        char *eps[2] = {};
        StoreConfig cfg = { .endpoints = eps };
        sd_event *e = NULL;
        Store *st = NULL;
        char *err = NULL;
        Stats c1, c16, r1, r16, w;
        long rss0, rss1;
        uint64_t t0;

        if (argc != 2) {
                fprintf(stderr, "usage: store-bench ENDPOINT\n");
                return 2;
        }
        eps[0] = argv[1];
        memset(value, 'v', VALUE_SIZE);
        curl_global_init(CURL_GLOBAL_ALL);
        sd_event_default(&e);
        if (store_new(e, &cfg, &st, &err) < 0) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }

        fprintf(stderr, "warming up\n");
        /* warm up both paths */
        client_puts(e, st, 4, 200);
        raw_puts(argv[1], 4, 200);

        fprintf(stderr, "puts\n");
        c1 = client_puts(e, st, 1, 2000);
        r1 = raw_puts(argv[1], 1, 2000);
        c16 = client_puts(e, st, 16, 8000);
        r16 = raw_puts(argv[1], 16, 8000);
        fprintf(stderr, "watch\n");
        w = watch_latency(e, st, 1000);

        printf("store bench against %s, values %d bytes\n", argv[1], VALUE_SIZE);
        printf("%-28s %10s %10s %12s\n", "", "p50 ms", "p99 ms", "puts/s");
        printf("%-28s %10.2f %10.2f %12.0f\n", "client, 1 writer", c1.p50_ms, c1.p99_ms, c1.ops);
        printf("%-28s %10.2f %10.2f %12.0f\n", "raw curl, 1 writer", r1.p50_ms, r1.p99_ms, r1.ops);
        printf("%-28s %10.2f %10.2f %12.0f\n", "client, 16 writers", c16.p50_ms, c16.p99_ms, c16.ops);
        printf("%-28s %10.2f %10.2f %12.0f\n", "raw curl, 16 threads", r16.p50_ms, r16.p99_ms, r16.ops);
        printf("client/raw throughput: 1 writer %.0f%%, 16 writers %.0f%%\n", 100 * c1.ops / r1.ops,
               100 * c16.ops / r16.ops);
        printf("%-28s %10.2f %10.2f\n", "watch put->event (client)", w.p50_ms, w.p99_ms);
        fflush(stdout);

        /* 10,000 pods: write them, then list + validate into memory and hold them */
        PodsRun p = { .event = e, .store = st, .n = 10000 };
        for (int i = 0; i < 16; i++)
                pod_issue(&p);
        run_until(e, &p.finished);
        p.finished = false;
        rss0 = rss_kib();
        t0 = now_usec();
        if (store_pods_list(st, list_done, &p) < 0)
                return 1;
        run_until(e, &p.finished);
        rss1 = rss_kib();
        printf("10000 pods: listed + validated in %.0f ms, %zu pods held, %zu warnings; "
               "RSS %.1f MiB before listing, %.1f MiB holding them\n",
               (now_usec() - t0) / 1000.0, p.list->n_pods, strv_length(p.list->warnings),
               rss0 / 1024.0, rss1 / 1024.0);
        store_pod_list_free(p.list);
        store_free(st);
        sd_event_unref(e);
        curl_global_cleanup();
        return 0;
}
