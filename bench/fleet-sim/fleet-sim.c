/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-sim N TTL SECONDS ENDPOINT... : N simulated Tank nodes against one
 * etcd cluster, each as tankd is one (daemon/node.c): a lease of TTL seconds,
 * its record /tank/v1/nodes/sim-<i> put with it, a keepalive every TTL/3, and
 * a watch of its own bindings prefix /tank/v1/bindings/sim-<i>/ (one stream
 * each). All go through one store client (store.h) on one loop. Once every
 * node is registered and watching, it runs SECONDS and prints what the
 * simulated fleet cost the client: keepalives sent, their latency p50/p99,
 * failures, store revisions written meanwhile. etcd's own CPU and memory are
 * measured by bench/fleet-sim/run.sh around it. */
#include <inttypes.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "store/lease.h"
#include "store/store.h"
#include "strv.h"

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

typedef struct Sim Sim;

typedef struct SimNode {
        Sim *sim;
        unsigned index;
        int64_t lease;
        bool registered;
        bool watching;
        bool in_flight;
        uint64_t sent_usec;
        sd_event_source *timer;
        StoreWatch *watch;
} SimNode;

struct Sim {
        sd_event *event;
        Store *store;
        SimNode *nodes;
        unsigned n, n_registered, n_watching;
        int64_t ttl;
        bool measuring;
        uint64_t *lat;
        size_t n_lat, max_lat;
        unsigned keepalives, failures, events;
        int64_t revision;
        bool got_revision;
};

static int watch_event(StoreWatch *w, const StoreEvent *ev, void *userdata) {
        SimNode *n = userdata;

        n->sim->events++;
        return 0;
}

static int watch_resync(StoreWatch *w, const StoreKV *kvs, size_t n_kvs, int64_t revision, void *userdata) {
        SimNode *n = userdata;

        if (!n->watching) {
                n->watching = true;
                n->sim->n_watching++;
        }
        return 0;
}

static void keepalive_done(Store *s, int r, int64_t id, int64_t ttl, const char *error, void *userdata) {
        SimNode *n = userdata;
        Sim *sim = n->sim;

        n->in_flight = false;
        if (r == -ECANCELED)
                return;
        if (!sim->measuring)
                return;
        sim->keepalives++;
        if (r < 0) {
                sim->failures++;
                return;
        }
        if (sim->n_lat < sim->max_lat)
                sim->lat[sim->n_lat++] = now_usec() - n->sent_usec;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        SimNode *n = userdata;
        uint64_t period = (uint64_t) n->sim->ttl * 1000000U / 3;

        /* As tankd: one renewal at a time, the next a period after this one was sent. */
        if (!n->in_flight && store_lease_keepalive(n->sim->store, n->lease, keepalive_done, n) >= 0) {
                n->in_flight = true;
                n->sent_usec = now_usec();
        }
        if (sd_event_source_set_time(s, usec + period) < 0 || sd_event_source_set_enabled(s, SD_EVENT_ONESHOT) < 0)
                n->sim->failures++;
        return 0;
}

static void put_done(Store *s, int r, const StoreResult *res, const char *error, void *userdata) {
        SimNode *n = userdata;
        static const StoreWatchCallbacks cb = { .event = watch_event, .resync = watch_resync };
        char prefix[64];
        uint64_t period = (uint64_t) n->sim->ttl * 1000000U / 3, start;

        if (r < 0) {
                fprintf(stderr, "sim-%u: put: %s\n", n->index, error ?: strerror(-r));
                n->sim->failures++;
                return;
        }
        n->registered = true;
        n->sim->n_registered++;
        snprintf(prefix, sizeof prefix, "/tank/v1/bindings/sim-%u/", n->index);
        if (store_watch_new(s, prefix, 0, &cb, n, &n->watch) < 0)
                n->sim->failures++;
        /* Spread over a period, as nodes that started at different times are. */
        start = now_usec() + period * n->index / n->sim->n;
        (void) sd_event_add_time(n->sim->event, &n->timer, CLOCK_MONOTONIC, start, 1000, on_timer, n);
}

static void grant_done(Store *s, int r, int64_t id, int64_t ttl, const char *error, void *userdata) {
        SimNode *n = userdata;
        char key[64], value[256];

        if (r < 0) {
                fprintf(stderr, "sim-%u: grant: %s\n", n->index, error ?: strerror(-r));
                n->sim->failures++;
                return;
        }
        n->lease = id;
        snprintf(key, sizeof key, "/tank/v1/nodes/sim-%u", n->index);
        snprintf(value, sizeof value,
                 "{\"name\":\"sim-%u\",\"labels\":{\"zone\":\"z%u\"},\"capacity\":{\"cpus\":8,"
                 "\"memory_bytes\":34359738368},\"version\":\"sim\",\"boot_id\":\"00000000-0000-0000-0000-%012u\","
                 "\"started_usec\":1}", n->index, n->index % 3, n->index);
        if (store_put_leased(s, key, value, strlen(value), id, put_done, n) < 0)
                n->sim->failures++;
}

static void revision_done(Store *s, int r, const StoreResult *res, const char *error, void *userdata) {
        Sim *sim = userdata;

        if (r >= 0) {
                sim->revision = res->revision;
                sim->got_revision = true;
        }
}

static int run_for(Sim *sim, uint64_t usec, bool (*until)(Sim *sim)) {
        uint64_t end = now_usec() + usec;

        while (now_usec() < end) {
                if (until && until(sim))
                        return 0;
                if (sd_event_run(sim->event, 100 * 1000) < 0)
                        return -EIO;
        }
        return until ? -ETIMEDOUT : 0;
}

static bool all_up(Sim *sim) {
        return sim->n_registered == sim->n && sim->n_watching == sim->n;
}

static bool have_revision(Sim *sim) {
        return sim->got_revision;
}

static int64_t read_revision(Sim *sim) {
        sim->got_revision = false;
        if (store_get(sim->store, "/tank/v1/scheduler", revision_done, sim) < 0 ||
            run_for(sim, 10 * 1000000U, have_revision) < 0)
                return -1;
        return sim->revision;
}

int main(int argc, char *argv[]) {
        _cleanup_strv_free_ char **endpoints = NULL;
        struct rlimit rl;
        Sim sim = {};
        unsigned seconds;
        uint64_t t0;
        int64_t r0, r1;
        char *error = NULL;

        if (argc < 5) {
                fprintf(stderr, "usage: fleet-sim N TTL SECONDS ENDPOINT...\n");
                return 2;
        }
        sim.n = (unsigned) strtoul(argv[1], NULL, 10);
        sim.ttl = strtoll(argv[2], NULL, 10);
        seconds = (unsigned) strtoul(argv[3], NULL, 10);
        if (sim.n == 0 || sim.n > 100000 || sim.ttl < 3 || seconds == 0)
                return fprintf(stderr, "fleet-sim: bad N, TTL (>= 3) or SECONDS\n"), 2;
        for (int i = 4; i < argc; i++)
                if (strv_extend(&endpoints, argv[i]) < 0)
                        return 1;
        /* A watch stream and a request or two per node. */
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }
        if (sd_event_default(&sim.event) < 0)
                return 1;
        if (store_new(sim.event, &(StoreConfig) { .endpoints = endpoints, .timeout_usec = 20 * 1000000U },
                      &sim.store, &error) < 0)
                return fprintf(stderr, "store: %s\n", error ?: "?"), 1;
        sim.nodes = calloc(sim.n, sizeof(SimNode));
        sim.max_lat = (size_t) sim.n * (seconds / (sim.ttl / 3.0) + 2);
        sim.lat = calloc(sim.max_lat, sizeof(uint64_t));
        if (!sim.nodes || !sim.lat)
                return 1;

        t0 = now_usec();
        for (unsigned i = 0; i < sim.n; i++) {
                sim.nodes[i] = (SimNode) { .sim = &sim, .index = i };
                if (store_lease_grant(sim.store, sim.ttl, grant_done, &sim.nodes[i]) < 0)
                        return 1;
        }
        if (run_for(&sim, 300 * 1000000U, all_up) < 0)
                return fprintf(stderr, "fleet-sim: only %u of %u registered, %u watching after 300 s\n",
                               sim.n_registered, sim.n, sim.n_watching), 1;
        printf("fleet-sim: %u nodes registered (lease %" PRIi64 " s, keepalive every %.1f s) and watching "
               "their bindings after %" PRIu64 " ms\n", sim.n, sim.ttl, sim.ttl / 3.0, (now_usec() - t0) / 1000);
        printf("READY\n");
        fflush(stdout);

        r0 = read_revision(&sim);
        sim.measuring = true;
        t0 = now_usec();
        (void) run_for(&sim, (uint64_t) seconds * 1000000U, NULL);
        sim.measuring = false;
        r1 = read_revision(&sim);
        qsort(sim.lat, sim.n_lat, sizeof(uint64_t), cmp_u64);
        double secs = (now_usec() - t0) / 1e6;
        printf("over %.1f s: %u keepalives (%.0f/s), latency p50 %.2f ms p99 %.2f ms, %u failed; "
               "store revisions %" PRIi64 " (%.1f/s); watch events %u\n",
               secs, sim.keepalives, sim.keepalives / secs, sim.n_lat ? sim.lat[sim.n_lat / 2] / 1000.0 : 0,
               sim.n_lat ? sim.lat[sim.n_lat * 99 / 100] / 1000.0 : 0, sim.failures,
               r1 >= 0 && r0 >= 0 ? r1 - r0 : -1, r1 >= 0 && r0 >= 0 ? (r1 - r0) / secs : -1, sim.events);
        printf("DONE\n");
        fflush(stdout);
        /* The leases go with the process; no revokes: a fleet that vanishes. */
        for (unsigned i = 0; i < sim.n; i++) {
                store_watch_free(sim.nodes[i].watch);
                sd_event_source_disable_unref(sim.nodes[i].timer);
        }
        store_free(sim.store);
        sd_event_unref(sim.event);
        free(sim.nodes);
        free(sim.lat);
        return sim.failures > 0;
}
