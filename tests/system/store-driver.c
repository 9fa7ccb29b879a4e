/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Drives the store client against a real etcd for the system tests:
 *   store-driver [--cert F --key F --ca F] [--timeout-ms N] CMD ENDPOINTS ARGS…
 * ENDPOINTS is comma-separated. Commands:
 *   crud                      put/get/range/delete/create/update/txn semantics, prints "crud ok"
 *   get KEY                   prints the value, or the error on stderr (exit 1)
 *   watch PREFIX [COUNT]      prints "PUT key rev value", "DELETE key rev", "RESYNC n rev",
 *                             "BROKEN msg", "DOWN msg", "UP"; exits after COUNT events
 *   write PREFIX COUNT        puts PREFIX%06d one after another, retrying failures;
 *                             prints "ACK key rev" and the longest unavailability "GAP ms"
 *   pods-list                 prints "POD name rev" and "WARN text"
 *   pods-apply FILE           store_pods_put unconditional; prints "APPLIED rev"
 *   standalone RUNTIME_DIR DATA_DIR UNIT  ensure the standalone etcd unit
 *                             runs and is healthy; prints "READY endpoint created|adopted"
 */
#include <getopt.h>
#include <inttypes.h>
#include <time.h>

#include "daemon/store-server.h"
#include "store/pods.h"
#include "store/store.h"
#include "strv.h"

typedef struct Ctx {
        sd_event *event;
        Store *store;
        int ret;
        unsigned count, limit;
        char *prefix;
        unsigned i;
        uint64_t fail_since, max_gap, started, slowest;
} Ctx;

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

#define CHECK(cond, ...)                                                       \
        do {                                                                   \
                if (!(cond)) {                                                 \
                        fprintf(stderr, "FAILED %s:%d: %s: ", __FILE__, __LINE__, #cond); \
                        fprintf(stderr, __VA_ARGS__);                          \
                        fputc('\n', stderr);                                   \
                        exit(2);                                               \
                }                                                              \
        } while (0)

/* crud: a sequence of steps, each one waits for the previous one's callback */
typedef struct Step {
        Ctx *ctx;
        int r;
        StoreResult res;
        char *error;
        bool done;
} Step;

static void step_cb(Store *s, int r, const StoreResult *res, const char *error, void *userdata) {
        Step *st = userdata;

        st->r = r;
        st->done = true;
        free(st->error);
        st->error = error ? strdup(error) : NULL;
        st->res = (StoreResult) {};
        if (res) {
                st->res = *res;
                st->res.kvs = calloc(res->n_kvs + 1, sizeof(StoreKV));
                for (size_t i = 0; i < res->n_kvs; i++) {
                        st->res.kvs[i] = res->kvs[i];
                        st->res.kvs[i].key = strdup(res->kvs[i].key);
                        st->res.kvs[i].value = malloc(res->kvs[i].value_size + 1);
                        memcpy(st->res.kvs[i].value, res->kvs[i].value, res->kvs[i].value_size + 1);
                }
        }
}

static void step_wait(Ctx *c, Step *st) {
        while (!st->done)
                CHECK(sd_event_run(c->event, UINT64_MAX) >= 0, "event loop");
        st->done = false;
}

static void step_reset(Step *st) {
        for (size_t i = 0; i < st->res.n_kvs; i++)
                store_kv_done(st->res.kvs + i);
        free(st->res.kvs);
        st->res = (StoreResult) {};
}

#define RUN(c, st, call)                                          \
        do {                                                      \
                step_reset(st);                                   \
                CHECK((call) >= 0, "queue");                      \
                step_wait(c, st);                                 \
        } while (0)

static int cmd_crud(Ctx *c) {
        Step st = { .ctx = c };
        int64_t rev1, rev2;
        char key[128], prefix[64];

        snprintf(prefix, sizeof prefix, "/crud-%" PRIu64 "/", now_usec());
        snprintf(key, sizeof key, "%sa", prefix);

        RUN(c, &st, store_get(c->store, key, step_cb, &st));
        CHECK(st.r == 0 && st.res.n_kvs == 0, "get missing: r=%d n=%zu %s", st.r, st.res.n_kvs, strempty(st.error));

        RUN(c, &st, store_create(c->store, key, "one", 3, step_cb, &st));
        CHECK(st.r == 0 && st.res.revision > 0, "create: %d %s", st.r, strempty(st.error));
        rev1 = st.res.revision;

        RUN(c, &st, store_create(c->store, key, "two", 3, step_cb, &st));
        CHECK(st.r == -EEXIST && st.res.n_kvs == 1 && streq(st.res.kvs[0].value, "one") &&
              st.res.kvs[0].mod_revision == rev1, "create again: %d", st.r);

        RUN(c, &st, store_update(c->store, key, "three", 5, rev1 + 1000, step_cb, &st));
        CHECK(st.r == -ESTALE && st.res.n_kvs == 1 && st.res.kvs[0].mod_revision == rev1, "update stale: %d", st.r);

        RUN(c, &st, store_update(c->store, key, "three", 5, rev1, step_cb, &st));
        CHECK(st.r == 0 && st.res.revision > rev1, "update: %d %s", st.r, strempty(st.error));
        rev2 = st.res.revision;

        RUN(c, &st, store_get(c->store, key, step_cb, &st));
        CHECK(st.r == 0 && st.res.n_kvs == 1 && streq(st.res.kvs[0].value, "three") &&
              st.res.kvs[0].mod_revision == rev2 && st.res.kvs[0].create_revision == rev1 &&
              st.res.kvs[0].version == 2, "get after update");

        for (int i = 0; i < 5; i++) {
                char k[80], v[16];
                snprintf(k, sizeof k, "%sb%d", prefix, 4 - i);
                snprintf(v, sizeof v, "v%d", i);
                RUN(c, &st, store_put(c->store, k, v, strlen(v), step_cb, &st));
                CHECK(st.r == 0, "put %s: %s", k, strempty(st.error));
        }
        /* binary value with a NUL inside */
        RUN(c, &st, store_put(c->store, key, "x\0y", 3, step_cb, &st));
        CHECK(st.r == 0, "put binary");
        RUN(c, &st, store_get(c->store, key, step_cb, &st));
        CHECK(st.r == 0 && st.res.kvs[0].value_size == 3 && memcmp(st.res.kvs[0].value, "x\0y", 3) == 0, "binary");

        RUN(c, &st, store_range_prefix(c->store, prefix, step_cb, &st));
        CHECK(st.r == 0 && st.res.n_kvs == 6, "range n=%zu", st.res.n_kvs);
        for (size_t i = 1; i < st.res.n_kvs; i++)
                CHECK(strcmp(st.res.kvs[i - 1].key, st.res.kvs[i].key) < 0, "sorted");

        RUN(c, &st, store_delete(c->store, key, 1, step_cb, &st));
        CHECK(st.r == -ESTALE, "delete at wrong revision: %d", st.r);
        RUN(c, &st, store_get(c->store, key, step_cb, &st));
        int64_t cur = st.res.kvs[0].mod_revision;
        RUN(c, &st, store_delete(c->store, key, cur, step_cb, &st));
        CHECK(st.r == 0 && st.res.n_deleted == 1, "delete if revision: %d", st.r);
        RUN(c, &st, store_delete(c->store, key, 0, step_cb, &st));
        CHECK(st.r == 0 && st.res.n_deleted == 0, "delete missing");
        RUN(c, &st, store_update(c->store, key, "z", 1, cur, step_cb, &st));
        CHECK(st.r == -ESTALE && st.res.n_kvs == 0, "update deleted");

        /* store_txn(): several compares, puts and a delete at one revision;
         * a failed compare runs the failure branch and returns its ranges. */
        {
                char k1[128], k2[128];
                snprintf(k1, sizeof k1, "%stx1", prefix);
                snprintf(k2, sizeof k2, "%stx2", prefix);
                StoreCompare absent[] = {
                        { .key = k1, .target = STORE_COMPARE_CREATE, .result = STORE_COMPARE_EQUAL, .number = 0 },
                        { .key = k2, .target = STORE_COMPARE_VERSION, .result = STORE_COMPARE_EQUAL, .number = 0 },
                };
                StoreTxnOp puts[] = {
                        { .type = STORE_TXN_PUT, .key = k1, .value = "a", .value_size = 1 },
                        { .type = STORE_TXN_PUT, .key = k2, .value = "b", .value_size = 1 },
                        { .type = STORE_TXN_DELETE, .key = key },
                };
                StoreTxnOp gets[] = { { .type = STORE_TXN_GET, .key = k1 }, { .type = STORE_TXN_GET, .key = k2 } };
                StoreTxn txn = { absent, 2, puts, 3, gets, 2 };
                int64_t txrev;

                RUN(c, &st, store_txn(c->store, &txn, step_cb, &st));
                CHECK(st.r == 0 && st.res.succeeded && st.res.n_kvs == 0, "txn: %d %s", st.r, strempty(st.error));
                txrev = st.res.revision;
                RUN(c, &st, store_get(c->store, k2, step_cb, &st));
                CHECK(st.r == 0 && st.res.n_kvs == 1 && st.res.kvs[0].mod_revision == txrev, "txn put at one revision");
                RUN(c, &st, store_txn(c->store, &txn, step_cb, &st));
                CHECK(st.r == 0 && !st.res.succeeded && st.res.n_kvs == 2 && streq(st.res.kvs[0].value, "a") &&
                      streq(st.res.kvs[1].value, "b"), "txn failed compare: %d n=%zu", st.r, st.res.n_kvs);
                StoreCompare value[] = {
                        { .key = k1, .target = STORE_COMPARE_VALUE, .result = STORE_COMPARE_EQUAL, .value = "a", .value_size = 1 },
                        { .key = k2, .target = STORE_COMPARE_MOD, .result = STORE_COMPARE_LESS, .number = txrev + 1 },
                };
                StoreTxnOp del[] = { { .type = STORE_TXN_DELETE, .key = k1 }, { .type = STORE_TXN_DELETE, .key = k2 } };
                RUN(c, &st, store_txn(c->store, &(StoreTxn) { value, 2, del, 2, NULL, 0 }, step_cb, &st));
                CHECK(st.r == 0 && st.res.succeeded, "txn value/less compare: %d %s", st.r, strempty(st.error));
                RUN(c, &st, store_get(c->store, k1, step_cb, &st));
                CHECK(st.r == 0 && st.res.n_kvs == 0, "txn delete");
        }

        step_reset(&st);
        free(st.error);
        printf("crud ok\n");
        return 0;
}

static int cmd_get(Ctx *c, const char *key) {
        Step st = { .ctx = c };

        RUN(c, &st, store_get(c->store, key, step_cb, &st));
        if (st.r < 0) {
                fprintf(stderr, "%s\n", strempty(st.error));
                free(st.error);
                return 1;
        }
        if (st.res.n_kvs > 0)
                printf("%s\n", st.res.kvs[0].value);
        step_reset(&st);
        free(st.error);
        return 0;
}

static void health_cb(Store *s, bool up, const char *error, void *userdata) {
        if (up)
                printf("UP\n");
        else
                printf("DOWN %s\n", strempty(error));
        fflush(stdout);
}

static int watch_event(StoreWatch *w, const StoreEvent *ev, void *userdata) {
        Ctx *c = userdata;

        if (ev->type == STORE_EVENT_PUT)
                printf("PUT %s %" PRIi64 " %s\n", ev->kv.key, ev->kv.mod_revision, ev->kv.value);
        else
                printf("DELETE %s %" PRIi64 "\n", ev->kv.key, ev->kv.mod_revision);
        fflush(stdout);
        if (c->limit > 0 && ++c->count >= c->limit)
                sd_event_exit(c->event, 0);
        return 0;
}

static int watch_resync(StoreWatch *w, const StoreKV *kvs, size_t n, int64_t rev, void *userdata) {
        printf("RESYNC %zu %" PRIi64 "\n", n, rev);
        for (size_t i = 0; i < n; i++)
                printf("KV %s %" PRIi64 " %s\n", kvs[i].key, kvs[i].mod_revision, kvs[i].value);
        fflush(stdout);
        return 0;
}

static void watch_broken(StoreWatch *w, int r, const char *error, void *userdata) {
        printf("BROKEN %s\n", strempty(error));
        fflush(stdout);
}

static int cmd_watch(Ctx *c, const char *prefix, unsigned limit) {
        _cleanup_store_watch_free_ StoreWatch *w = NULL;
        StoreWatchCallbacks cb = { .event = watch_event, .resync = watch_resync, .broken = watch_broken };

        c->limit = limit;
        CHECK(store_watch_new(c->store, prefix, 0, &cb, c, &w) >= 0, "watch");
        return sd_event_loop(c->event) < 0 ? 1 : 0;
}

static void write_next(Ctx *c);

static void write_cb(Store *s, int r, const StoreResult *res, const char *error, void *userdata) {
        Ctx *c = userdata;

        if (r < 0) {
                if (c->fail_since == 0) {
                        c->fail_since = now_usec();
                        printf("FAIL %s\n", strempty(error));
                        fflush(stdout);
                }
                write_next(c);  /* same index again: a put of the same value is idempotent */
                return;
        }
        c->slowest = MAX(c->slowest, now_usec() - c->started);
        if (c->fail_since > 0) {
                uint64_t gap = now_usec() - c->fail_since;
                printf("RECOVERED after %" PRIu64 " ms\n", gap / 1000);
                c->max_gap = MAX(c->max_gap, gap);
                c->fail_since = 0;
        }
        printf("ACK %s%06u %" PRIi64 "\n", c->prefix, c->i, res->revision);
        fflush(stdout);
        if (++c->i >= c->limit) {
                /* GAP: longest stretch of failed puts; SLOWEST: longest single put (an
                 * election can also show up as one slow put rather than failures) */
                printf("GAP %" PRIu64 " ms\n", c->max_gap / 1000);
                printf("SLOWEST %" PRIu64 " ms\n", c->slowest / 1000);
                sd_event_exit(c->event, 0);
                return;
        }
        write_next(c);
}

static void write_next(Ctx *c) {
        char key[256], value[64];

        snprintf(key, sizeof key, "%s%06u", c->prefix, c->i);
        snprintf(value, sizeof value, "value-%06u", c->i);
        c->started = now_usec();
        CHECK(store_put(c->store, key, value, strlen(value), write_cb, c) >= 0, "queue put");
}

static int cmd_write(Ctx *c, const char *prefix, unsigned count) {
        c->prefix = strdup(prefix);
        c->limit = count;
        write_next(c);
        int r = sd_event_loop(c->event);
        free(c->prefix);
        return r < 0 ? 1 : 0;
}

static void pods_list_cb(Store *s, int r, StorePodList *l, const char *error, void *userdata) {
        Ctx *c = userdata;

        if (r < 0) {
                fprintf(stderr, "%s\n", strempty(error));
                c->ret = 1;
        } else {
                for (size_t i = 0; i < l->n_pods; i++)
                        printf("POD %s %" PRIi64 "\n", l->pods[i].pod->name, l->pods[i].mod_revision);
                STRV_FOREACH(w, l->warnings)
                        printf("WARN %s\n", *w);
                store_pod_list_free(l);
        }
        sd_event_exit(c->event, 0);
}

static void pods_write_cb(Store *s, int r, int64_t rev, const char *error, void *userdata) {
        Ctx *c = userdata;

        if (r < 0) {
                fprintf(stderr, "%s (revision %" PRIi64 ")\n", strempty(error), rev);
                c->ret = 1;
        } else
                printf("APPLIED %" PRIi64 "\n", rev);
        sd_event_exit(c->event, 0);
}

static int cmd_pods_apply(Ctx *c, const char *path) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        _cleanup_free_ char *buf = NULL, *err = NULL;
        _cleanup_pod_free_ Pod *p = NULL;
        size_t n;

        CHECK(f, "open %s", path);
        buf = calloc(1, POD_JSON_MAX + 1);
        n = fread(buf, 1, POD_JSON_MAX, f);
        if (pod_parse(buf, n, &p, &err) < 0) {
                fprintf(stderr, "%s\n", strempty(err));
                return 1;
        }
        CHECK(store_pods_put(c->store, p, -1, pods_write_cb, c) >= 0, "queue");
        (void) sd_event_loop(c->event);
        return c->ret;
}

static void server_ready(StoreServer *e, int r, const char *endpoint, const char *error, void *userdata) {
        Ctx *c = userdata;

        if (r < 0) {
                fprintf(stderr, "%s\n", strempty(error));
                c->ret = 1;
        } else
                printf("READY %s %s\n", endpoint, store_server_adopted(e) ? "adopted" : "created");
        sd_event_exit(c->event, 0);
}

static int cmd_standalone(Ctx *c, const char *runtime_dir, const char *data_dir, const char *unit) {
        _cleanup_(store_server_freep) StoreServer *e = NULL;
        SystemdJobs *jobs = NULL;
        sd_bus *bus = NULL;
        EtcdServerConfig cfg = { .data_dir = data_dir, .runtime_dir = runtime_dir, .unit = unit };
        int r;

        CHECK(sd_bus_open_system(&bus) >= 0, "system bus");
        CHECK(sd_bus_attach_event(bus, c->event, 0) >= 0, "attach");
        CHECK(systemd_jobs_new(bus, &jobs) >= 0, "systemd jobs");
        r = store_server_start(jobs, c->event, &cfg, server_ready, c, &e);
        if (r < 0) {
                fprintf(stderr, "store_server_start: %s\n", strerror(-r));
                systemd_jobs_free(jobs);
                return 1;
        }
        (void) sd_event_loop(c->event);
        e = store_server_free(e);
        systemd_jobs_free(jobs);
        sd_bus_flush_close_unref(bus);
        return c->ret;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "cert", required_argument, NULL, 'c' },
                { "key", required_argument, NULL, 'k' },
                { "ca", required_argument, NULL, 'a' },
                { "timeout-ms", required_argument, NULL, 't' },
                { "attempts", required_argument, NULL, 'n' },
                {}
        };
        StoreConfig cfg = {};
        _cleanup_free_ char *error = NULL;
        _cleanup_strv_free_ char **endpoints = NULL;
        Ctx c = {};
        const char *cmd;
        int opt, r;

        setvbuf(stdout, NULL, _IOLBF, 0);
        while ((opt = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (opt) {
                case 'c': cfg.cert_file = optarg; break;
                case 'k': cfg.key_file = optarg; break;
                case 'a': cfg.trusted_ca_file = optarg; break;
                case 't': cfg.timeout_usec = strtoull(optarg, NULL, 10) * 1000U; break;
                case 'n': cfg.max_attempts = (unsigned) strtoul(optarg, NULL, 10); break;
                default: return 2;
                }
        if (argc - optind < 2) {
                fprintf(stderr, "usage: store-driver [options] CMD ENDPOINTS [ARGS…]\n");
                return 2;
        }
        cmd = argv[optind];
        if (streq(cmd, "standalone")) {
                CHECK(argc - optind == 4, "standalone RUNTIME_DIR DATA_DIR UNIT");
                CHECK(sd_event_default(&c.event) >= 0, "event");
                r = cmd_standalone(&c, argv[optind + 1], argv[optind + 2], argv[optind + 3]);
                sd_event_unref(c.event);
                return r;
        }
        for (char *e = strtok(argv[optind + 1], ","); e; e = strtok(NULL, ","))
                CHECK(strv_extend(&endpoints, e) >= 0, "oom");
        cfg.endpoints = endpoints;

        CHECK(sd_event_default(&c.event) >= 0, "event");
        r = store_new(c.event, &cfg, &c.store, &error);
        if (r < 0) {
                fprintf(stderr, "%s\n", error ?: strerror(-r));
                return 1;
        }
        store_set_health_callback(c.store, health_cb, &c);

        char **args = argv + optind + 2;
        int nargs = argc - optind - 2;
        if (streq(cmd, "crud"))
                r = cmd_crud(&c);
        else if (streq(cmd, "get") && nargs == 1)
                r = cmd_get(&c, args[0]);
        else if (streq(cmd, "watch") && nargs >= 1)
                r = cmd_watch(&c, args[0], nargs > 1 ? (unsigned) atoi(args[1]) : 0);
        else if (streq(cmd, "write") && nargs == 2)
                r = cmd_write(&c, args[0], (unsigned) atoi(args[1]));
        else if (streq(cmd, "pods-list")) {
                CHECK(store_pods_list(c.store, pods_list_cb, &c) >= 0, "queue");
                (void) sd_event_loop(c.event);
                r = c.ret;
        } else if (streq(cmd, "pods-apply") && nargs == 1)
                r = cmd_pods_apply(&c, args[0]);
        else {
                fprintf(stderr, "unknown command or wrong arguments: %s\n", cmd);
                r = 2;
        }

        store_free(c.store);
        sd_event_unref(c.event);
        return r;
}
