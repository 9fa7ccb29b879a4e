/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tankctl stats: per container CPU, memory, pids, network and block I/O from
 * Manager.Stats (src/daemon/bus-stats.h). CPU % is the usage between two
 * samples over the time between them (tankd's monotonic stamps), 100 % being
 * one core; the byte counters are totals since the container started, as
 * docker stats shows them. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "json-guard.h"
#include "log.h"
#include "spec/pod.h"
#include "strv.h"
#include "tankctl.h"

#define STATS_INTERVAL_USEC (1000 * 1000ULL)

enum {
        K_CPU, K_MEM, K_MEM_LIMIT, K_PIDS, K_PIDS_LIMIT, K_NET_RX, K_NET_TX, K_BLK_READ, K_BLK_WRITE,
        _K_MAX,
};

static const char *const counter_keys[_K_MAX] = {
        [K_CPU] = "cpu_usage_nsec",
        [K_MEM] = "memory_bytes",
        [K_MEM_LIMIT] = "memory_limit",
        [K_PIDS] = "pids",
        [K_PIDS_LIMIT] = "pids_limit",
        [K_NET_RX] = "net_rx_bytes",
        [K_NET_TX] = "net_tx_bytes",
        [K_BLK_READ] = "block_read_bytes",
        [K_BLK_WRITE] = "block_write_bytes",
};

typedef struct Row {
        char *pod, *container;
        uint64_t v[_K_MAX];
        unsigned have;          /* 1 << K_* */
} Row;

typedef struct Sample {
        uint64_t usec;
        Row *rows;
        size_t n;
} Sample;

static void sample_done(Sample *s) {
        for (size_t i = 0; i < s->n; i++) {
                free(s->rows[i].pod);
                free(s->rows[i].container);
        }
        s->rows = mfree(s->rows);
        s->n = 0;
}

static int cmp_row(const void *a, const void *b) {
        const Row *x = a, *y = b;
        int k = strcmp(x->pod, y->pod);

        return k != 0 ? k : strcmp(x->container, y->container);
}

static int read_row(sd_bus_message *reply, Row *row) {
        const char *pod, *container;
        int r;

        r = sd_bus_message_read(reply, "ss", &pod, &container);
        if (r < 0)
                return r;
        row->pod = strdup(pod);
        row->container = strdup(container);
        if (!row->pod || !row->container)
                return -ENOMEM;
        r = sd_bus_message_enter_container(reply, 'a', "{st}");
        if (r < 0)
                return r;
        for (;;) {
                const char *key;
                uint64_t v;

                r = sd_bus_message_read(reply, "{st}", &key, &v);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                /* Counters this tankctl does not know are someone else's. */
                for (size_t k = 0; k < _K_MAX; k++)
                        if (streq(key, counter_keys[k])) {
                                row->v[k] = v;
                                row->have |= 1U << k;
                        }
        }
        return sd_bus_message_exit_container(reply);
}

static int stats_sample(Context *ctx, char **pods, Sample *ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        Sample s = {};
        sd_bus *bus;
        int r;

        r = ctx_bus(ctx, &bus);
        if (r != 0)
                return r;
        r = sd_bus_message_new_method_call(bus, &call, TANK_BUS_NAME, TANK_BUS_PATH, TANK_MANAGER_INTERFACE,
                                           "Stats");
        if (r >= 0)
                r = sd_bus_message_append_strv(call, pods);
        if (r < 0)
                return log_error_errno(r, "cannot build the Stats call: %m"), EXIT_FAILURE;
        r = sd_bus_call(bus, call, 0, &error, &reply);
        if (r < 0)
                return print_bus_error(&error, NULL);

        r = sd_bus_message_read(reply, "t", &s.usec);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(ssa{st})");
        while (r >= 0) {
                Row *rows;

                r = sd_bus_message_enter_container(reply, 'r', "ssa{st}");
                if (r <= 0)
                        break;
                rows = reallocarray(s.rows, s.n + 1, sizeof(Row));
                if (!rows) {
                        r = -ENOMEM;
                        break;
                }
                s.rows = rows;
                s.rows[s.n++] = (Row) {};
                r = read_row(reply, &s.rows[s.n - 1]);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0) {
                sample_done(&s);
                return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
        }
        if (s.n > 0)
                qsort(s.rows, s.n, sizeof(Row), cmp_row);
        *ret = s;
        return 0;
}

/* CPU % of row over the time from `before` (which may lack it: just started). */
static bool cpu_percent(const Sample *before, const Sample *now, const Row *row, double *ret) {
        if (!(row->have & (1U << K_CPU)) || now->usec <= before->usec)
                return false;
        for (size_t i = 0; i < before->n; i++) {
                const Row *b = &before->rows[i];

                if (cmp_row(b, row) != 0)
                        continue;
                if (!(b->have & (1U << K_CPU)) || b->v[K_CPU] > row->v[K_CPU])
                        return false;   /* restarted in between */
                *ret = (double) (row->v[K_CPU] - b->v[K_CPU]) / 10.0 / (double) (now->usec - before->usec);
                return true;
        }
        return false;
}

static void format_pair(char *buf, size_t n, const Row *row, int a, int b, bool bytes) {
        char x[32] = "-", y[32] = "-";

        if (row->have & (1U << a)) {
                if (bytes)
                        format_bytes(x, sizeof x, row->v[a]);
                else
                        snprintf(x, sizeof x, "%" PRIu64, row->v[a]);
        }
        if (row->have & (1U << b)) {
                if (bytes)
                        format_bytes(y, sizeof y, row->v[b]);
                else
                        snprintf(y, sizeof y, "%" PRIu64, row->v[b]);
        } else if (a == K_MEM || a == K_PIDS)
                snprintf(y, sizeof y, "%s", "max");
        snprintf(buf, n, "%s / %s", x, y);
}

static int print_table(const Sample *before, const Sample *now) {
        printf("%-20s %-16s %7s %-22s %6s %-12s %-22s %s\n",
               "POD", "CONTAINER", "CPU %", "MEM USAGE / LIMIT", "MEM %", "PIDS", "NET I/O", "BLOCK I/O");
        for (size_t i = 0; i < now->n; i++) {
                const Row *row = &now->rows[i];
                _cleanup_free_ char *pod = str_escape_control(row->pod),
                                    *container = str_escape_control(row->container);
                char cpu[16] = "-", mem[64], memp[16] = "-", pids[48], net[64], blk[64];
                double pct;

                if (!pod || !container)
                        return log_oom();
                if (cpu_percent(before, now, row, &pct))
                        snprintf(cpu, sizeof cpu, "%.2f%%", pct);
                format_pair(mem, sizeof mem, row, K_MEM, K_MEM_LIMIT, true);
                if ((row->have & (1U << K_MEM)) && (row->have & (1U << K_MEM_LIMIT)) && row->v[K_MEM_LIMIT] > 0)
                        snprintf(memp, sizeof memp, "%.2f%%",
                                 100.0 * (double) row->v[K_MEM] / (double) row->v[K_MEM_LIMIT]);
                format_pair(pids, sizeof pids, row, K_PIDS, K_PIDS_LIMIT, false);
                format_pair(net, sizeof net, row, K_NET_RX, K_NET_TX, true);
                format_pair(blk, sizeof blk, row, K_BLK_READ, K_BLK_WRITE, true);
                printf("%-20s %-16s %7s %-22s %6s %-12s %-22s %s\n",
                       pod, container, cpu, mem, memp, pids, net, blk);
        }
        return 0;
}

static int print_json(const Sample *before, const Sample *now) {
        _cleanup_(json_gen_freep) JsonGen *g = json_gen_new(0);
        _cleanup_free_ char *text = NULL;
        int r;

        if (!g)
                return log_oom();
        json_gen_array_open(g);
        for (size_t i = 0; i < now->n; i++) {
                const Row *row = &now->rows[i];
                double pct;

                json_gen_map_open(g);
                json_gen_kv_string(g, "pod", row->pod);
                json_gen_kv_string(g, "container", row->container);
                json_gen_string(g, "cpu_percent");
                if (cpu_percent(before, now, row, &pct)) {
                        char num[32];
                        int n = snprintf(num, sizeof num, "%.2f", pct);

                        json_gen_number(g, num, (size_t) n);
                } else
                        json_gen_null(g);
                for (size_t k = 0; k < _K_MAX; k++) {
                        if (k == K_CPU)
                                continue;
                        json_gen_string(g, counter_keys[k]);
                        if (row->have & (1U << k))
                                json_gen_integer(g, (long long) MIN(row->v[k], (uint64_t) INT64_MAX));
                        else
                                json_gen_null(g);
                }
                json_gen_map_close(g);
        }
        json_gen_array_close(g);
        r = json_gen_finish(g, &text, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "cannot format JSON: %m");
        puts(text);
        return 0;
}

static void sleep_usec(uint64_t usec) {
        struct timespec ts = { .tv_sec = usec / 1000000, .tv_nsec = (usec % 1000000) * 1000 };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

int verb_stats(int argc, char *argv[], Context *ctx) {
        enum { ARG_OUTPUT = 'o', ARG_NO_STREAM = ARG_VERB_BASE };
        static const struct option options[] = {
                COMMON_LONG_OPTIONS,
                { "output", required_argument, NULL, ARG_OUTPUT },
                { "no-stream", no_argument, NULL, ARG_NO_STREAM },
                {}
        };
        Sample before = {}, now = {};
        bool json = false, no_stream = false, stream;
        char **pods;
        int c, r;

        while ((c = getopt_long(argc, argv, COMMON_SHORT_OPTIONS "o:", options, NULL)) >= 0) {
                if (common_option(ctx, c))
                        continue;
                switch (c) {
                case 'h':
                        verb_help("stats");
                        return EXIT_SUCCESS;
                case ARG_OUTPUT:
                        json = streq(optarg, "json");
                        if (!json && !streq(optarg, "text"))
                                return usage_error("stats", "unknown output format \"%s\" (json or text)", optarg);
                        break;
                case ARG_NO_STREAM:
                        no_stream = true;
                        break;
                default:
                        return bad_option("stats");
                }
        }
        pods = argv + optind;
        STRV_FOREACH(p, pods)
                if (!pod_name_is_valid(*p))
                        return usage_error("stats", "\"%s\" is not a valid pod name", *p);
        /* A new sample every second on a terminal, like docker stats; one otherwise. */
        stream = isatty(STDOUT_FILENO) && !no_stream;

        r = stats_sample(ctx, pods, &before);
        if (r != 0)
                return r;
        for (;;) {
                sleep_usec(STATS_INTERVAL_USEC);
                r = stats_sample(ctx, pods, &now);
                if (r != 0)
                        break;
                if (stream && !json)
                        fputs("\033[H\033[2J", stdout);
                r = json ? print_json(&before, &now) : print_table(&before, &now);
                if (r < 0) {
                        r = EXIT_FAILURE;
                        break;
                }
                fflush(stdout);
                sample_done(&before);
                before = now;
                now = (Sample) {};
                if (!stream)
                        break;
        }
        sample_done(&before);
        sample_done(&now);
        return r;
}
