/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tankctl logs: a pod's output from the journal, by the fields the shim's
 * relay puts on every line (TANK_POD=, TANK_CONTAINER=, TANK_RESTART=), so
 * that it follows the pod across restarts and tankd restarts; only lines that
 * journald attributes to the pod's slice (the container's scope) and to root
 * count, for any local user can write an entry with those fields. tankd's own
 * entries about the pod (events, health) are left out. */
#include <inttypes.h>

#include "journal-util.h"
#include "json-guard.h"
#include "log.h"
#include "spec/pod.h"
#include "tankctl.h"

typedef struct LogsOptions {
        const char *pod;
        const char *container;
        uint64_t since_usec;    /* 0: from the start */
        uint64_t tail;          /* UINT64_MAX: all */
        bool follow;
        bool previous;
} LogsOptions;

/* The container --previous is about (-c, or the pod's first) and the restart
 * count of the run before its current one, from tankd. */
static int previous_run(Context *ctx, const LogsOptions *o, char **ret_container, unsigned *ret_restart) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(yajl_tree_freep) yajl_val status = NULL;
        const char *spec_json, *status_json;
        yajl_val cs;
        int r;

        r = manager_call(ctx, "Get", 0, o->pod, &reply, "s", o->pod);
        if (r != 0)
                return -EIO;
        r = sd_bus_message_read(reply, "ss", &spec_json, &status_json);
        if (r < 0)
                return log_error_errno(r, "bad reply from tankd: %m");
        r = json_guard_parse(status_json, strlen(status_json), 4 * 1024 * 1024, 32, &status, NULL);
        if (r < 0)
                return log_error_errno(r, "bad status from tankd: %m");
        cs = json_guard_get(status, "containers");
        if (!YAJL_IS_ARRAY(cs))
                return log_error_errno(EBADMSG, "bad status from tankd: no containers");
        for (size_t i = 0; i < cs->u.array.len; i++) {
                const char *name = json_string(cs->u.array.values[i], "name");
                long long restarts;

                if (!name || (o->container && !streq(name, o->container)))
                        continue;
                if (!json_int(cs->u.array.values[i], "restarts", &restarts) || restarts < 0)
                        return log_error_errno(EBADMSG, "bad status from tankd: no restart count");
                if (restarts == 0)
                        return log_error_errno(ENOENT, "%s/%s has not restarted: no previous run",
                                               o->pod, name);
                *ret_container = strdup(name);
                if (!*ret_container)
                        return log_oom();
                *ret_restart = (unsigned) (restarts - 1);
                return 0;
        }
        return log_error_errno(ENOENT, "%s: no container %s", o->pod, strna(o->container));
}

/* A pod another node runs has its output in that node's journal: say so
 * instead of printing nothing. Best effort: without tankd (stopped, an
 * older one) the local journal is read as ever. 1: elsewhere (printed). */
static int pod_elsewhere(Context *ctx, const char *pod) {
        _cleanup_free_ char *self = NULL, *node = NULL, *path = NULL;
        sd_bus *bus;

        if (ctx_bus(ctx, &bus) != 0)
                return 0;
        if (sd_bus_path_encode(TANK_BUS_POD_PREFIX, pod, &path) < 0)
                return 0;
        if (sd_bus_get_property_string(bus, TANK_BUS_NAME, TANK_BUS_PATH, TANK_MANAGER_INTERFACE, "NodeName",
                                       NULL, &self) < 0 ||
            sd_bus_get_property_string(bus, TANK_BUS_NAME, path, TANK_POD_INTERFACE, "Node", NULL, &node) < 0)
                return 0;
        if (isempty(node) || streq(node, self))
                return 0;
        log_error("logs: pod %s runs on node %s, not on this node (%s): its output is in %s's journal; "
                  "run tankctl logs there", pod, node, self, node);
        return 1;
}

static int add_match(sd_journal *j, const char *field, const char *value) {
        _cleanup_free_ char *m = NULL;

        if (asprintf(&m, "%s=%s", field, value) < 0)
                return -ENOMEM;
        return sd_journal_add_match(j, m, 0);
}

static int print_message(sd_journal *j) {
        const void *data;
        size_t len;
        int r;

        r = journal_field(j, "MESSAGE", &data, &len);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        /* The workload's bytes as they are (binary too), one entry per line. */
        fwrite(data, 1, len, stdout);
        fputc('\n', stdout);
        return 0;
}

/* Positions j just before the first entry to print: the oldest of the last
 * tail container lines at or after since. */
static int seek_start(sd_journal *j, const LogsOptions *o) {
        _cleanup_free_ char *cursor = NULL;
        uint64_t n = 0;
        int r;

        if (o->tail == UINT64_MAX)
                return o->since_usec > 0 ? sd_journal_seek_realtime_usec(j, o->since_usec) : sd_journal_seek_head(j);
        r = sd_journal_seek_tail(j);
        if (r < 0)
                return r;
        while (n < o->tail) {
                uint64_t t;

                r = sd_journal_previous(j);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (o->since_usec > 0 && sd_journal_get_realtime_usec(j, &t) >= 0 && t < o->since_usec)
                        break;
                if (journal_entry_is_tankd(j))
                        continue;
                free(cursor);
                cursor = NULL;
                r = sd_journal_get_cursor(j, &cursor);
                if (r < 0)
                        return r;
                n++;
        }
        if (!cursor) {
                /* Nothing of the past to show: on the newest entry, so that
                 * next() brings what comes. */
                r = sd_journal_seek_tail(j);
                if (r >= 0)
                        r = sd_journal_previous(j);
                return r < 0 ? r : 0;
        }
        return sd_journal_seek_cursor(j, cursor);
}

static int logs_run(const LogsOptions *o, const char *container, const char *restart) {
        _cleanup_(journal_closep) sd_journal *j = NULL;
        int r;

        r = journal_open_local(&j);
        if (r < 0)
                return r;
        r = add_match(j, "TANK_POD", o->pod);
        if (r >= 0 && container)
                r = add_match(j, "TANK_CONTAINER", container);
        if (r >= 0 && restart)
                r = add_match(j, "TANK_RESTART", restart);
        if (r >= 0)
                r = journal_match_container(j, o->pod, container);
        if (r < 0)
                return log_error_errno(r, "cannot filter the journal: %m");
        r = seek_start(j, o);
        if (r < 0)
                return log_error_errno(r, "cannot seek in the journal: %m");
        /* After seek_tail() the next entry is a new one. */

        for (;;) {
                uint64_t t;

                r = sd_journal_next(j);
                if (r < 0)
                        return log_error_errno(r, "cannot read the journal: %m");
                if (r > 0) {
                        if (journal_entry_is_tankd(j) ||
                            (o->since_usec > 0 && sd_journal_get_realtime_usec(j, &t) >= 0 && t < o->since_usec))
                                continue;
                        r = print_message(j);
                        if (r < 0)
                                return log_error_errno(r, "cannot read a journal entry: %m");
                        continue;
                }
                if (!o->follow)
                        break;
                if (fflush(stdout) != 0)
                        return -EPIPE;   /* the reader went away (e.g. head) */
                r = sd_journal_wait(j, UINT64_MAX);
                if (r < 0)
                        return log_error_errno(r, "cannot wait for the journal: %m");
        }
        return fflush(stdout) != 0 ? -EPIPE : 0;
}

int verb_logs(int argc, char *argv[], Context *ctx) {
        enum { ARG_SINCE = ARG_VERB_BASE, ARG_TAIL, ARG_PREVIOUS };
        static const struct option options[] = {
                COMMON_LONG_OPTIONS,
                { "container", required_argument, NULL, 'c' },
                { "follow",    no_argument,       NULL, 'f' },
                { "since",     required_argument, NULL, ARG_SINCE },
                { "tail",      required_argument, NULL, ARG_TAIL },
                { "previous",  no_argument,       NULL, ARG_PREVIOUS },
                {}
        };
        LogsOptions o = { .tail = UINT64_MAX };
        _cleanup_free_ char *container = NULL;
        char restart[16] = "";
        int c, r;

        while ((c = getopt_long(argc, argv, COMMON_SHORT_OPTIONS "c:fn:p", options, NULL)) >= 0) {
                if (common_option(ctx, c))
                        continue;
                switch (c) {
                case 'h':
                        verb_help("logs");
                        return EXIT_SUCCESS;
                case 'c':
                        o.container = optarg;
                        break;
                case 'f':
                        o.follow = true;
                        break;
                case ARG_SINCE:
                        if (parse_since(optarg, &o.since_usec) < 0)
                                return usage_error("logs", "--since: not a time: \"%s\"", optarg);
                        break;
                case 'n':
                case ARG_TAIL: {
                        char *end;

                        errno = 0;
                        o.tail = strtoull(optarg, &end, 10);
                        if (errno || end == optarg || *end || optarg[0] == '-')
                                return usage_error("logs", "--tail: not a number of lines: \"%s\"", optarg);
                        break;
                }
                case 'p':
                case ARG_PREVIOUS:
                        o.previous = true;
                        break;
                default:
                        return bad_option("logs");
                }
        }
        if (optind + 1 != argc)
                return usage_error("logs", optind >= argc ? "missing pod name" : "exactly one pod name expected");
        o.pod = argv[optind];
        if (!pod_name_is_valid(o.pod))
                return usage_error("logs", "\"%s\" is not a valid pod name (a lowercase DNS label)", o.pod);
        if (o.container && !pod_name_is_valid(o.container))
                return usage_error("logs", "\"%s\" is not a valid container name (a lowercase DNS label)",
                                   o.container);
        if (o.previous && o.follow)
                return usage_error("logs", "--previous and --follow exclude each other: that run is over");
        if (ctx->host)
                return log_error("logs: --host is not supported; run journalctl on that host"), EXIT_FAILURE;

        if (pod_elsewhere(ctx, o.pod) > 0)
                return EXIT_FAILURE;
        if (o.previous) {
                unsigned n = 0;

                if (previous_run(ctx, &o, &container, &n) < 0)
                        return EXIT_FAILURE;
                (void) snprintf(restart, sizeof restart, "%u", n);
        }
        r = logs_run(&o, container ?: o.container, restart[0] ? restart : NULL);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
