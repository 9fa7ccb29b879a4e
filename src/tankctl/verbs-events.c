/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tankctl events: tankd's lifecycle events, one line each: the past from
 * the journal (--since), then live from the Manager's Event signal.
 *
 * The seam: the signal match is in place before the journal is read, so an
 * event after that point arrives as a signal; one that is also in the
 * journal read (tankd writes the entry before it sends the signal) is
 * recognized by its id (TANK_EVENT_ID=) and printed once. So is an exit
 * that a restarted tankd read again from its records: same run, same id.
 * The ids kept are a window of the newest (id-window.h): a follow that runs
 * for months holds a bounded set. */
#include <inttypes.h>
#include <time.h>

#include "escape.h"
#include "id-window.h"
#include "journal-util.h"
#include "log.h"
#include "spec/pod.h"
#include "strv.h"
#include "tankctl.h"
#include "time-util.h"

static const char *const event_names[] = {
        "applied", "pulled", "started", "oom", "exited", "restarted", "failed", "health", "adopted", "deleted",
        "rollout",
};

/* Ids remembered: far more than the events of a seam or of a tankd restart. */
#define EVENTS_SEEN_MAX 4096

typedef struct EventsState {
        const char *pod;        /* --pod, or NULL */
        bool json;
        IdWindow *seen;         /* the ids printed last */
        int error;              /* the first output failure */
} EventsState;

typedef struct EventView {
        const char *id, *event, *pod, *container, *message;
        uint64_t usec;
        char **fields;          /* KEY=value */
} EventView;

static void print_time(uint64_t usec) {
        time_t t = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;
        char buf[64] = "";

        if (localtime_r(&t, &tm))
                (void) strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
        printf("%s.%06" PRIu64, buf, usec % USEC_PER_SEC);
        if (localtime_r(&t, &tm) && strftime(buf, sizeof buf, "%z", &tm) > 0)
                fputs(buf, stdout);
}

static void print_event(EventsState *s, const EventView *e) {
        int r;

        if (s->pod && !streq_ptr(e->pod, s->pod))
                return;
        if (!isempty(e->id)) {
                r = id_window_add(s->seen, e->id);
                if (r == 0)
                        return;
                if (r < 0 && s->error == 0)
                        s->error = log_oom();
        }
        if (s->json) {
                printf("{\"time_usec\": %" PRIu64 ", \"id\": ", e->usec);
                json_print_string(stdout, strempty(e->id));
                fputs(", \"event\": ", stdout);
                json_print_string(stdout, strempty(e->event));
                fputs(", \"pod\": ", stdout);
                json_print_string(stdout, strempty(e->pod));
                fputs(", \"container\": ", stdout);
                json_print_string(stdout, strempty(e->container));
                fputs(", \"message\": ", stdout);
                json_print_string(stdout, strempty(e->message));
                fputs(", \"fields\": {", stdout);
                STRV_FOREACH(f, e->fields) {
                        const char *eq = strchr(*f, '=');
                        _cleanup_free_ char *k = eq ? strndup(*f, (size_t) (eq - *f)) : NULL;

                        if (!k)
                                continue;
                        if (f != e->fields)
                                fputs(", ", stdout);
                        json_print_string(stdout, k);
                        fputs(": ", stdout);
                        json_print_string(stdout, eq + 1);
                }
                fputs("}}\n", stdout);
        } else {
                print_time(e->usec);
                fputc(' ', stdout);
                (void) fputs_escape_control(strempty(e->event), stdout);
                fputc(' ', stdout);
                (void) fputs_escape_control(strempty(e->pod), stdout);
                if (!isempty(e->container)) {
                        fputc('/', stdout);
                        (void) fputs_escape_control(e->container, stdout);
                }
                fputc(' ', stdout);
                (void) fputs_escape_control(strempty(e->message), stdout);
                fputc('\n', stdout);
        }
        if (fflush(stdout) != 0 && s->error == 0)
                s->error = -EPIPE;
}

/* ---- the past: the journal ---- */

static int read_journal(EventsState *s, uint64_t since_usec) {
        _cleanup_(journal_closep) sd_journal *j = NULL;
        int r;

        r = journal_open_local(&j);
        if (r < 0)
                return r;
        /* One field's matches are ORed; another field's are ANDed with them. */
        for (size_t i = 0; i < ELEMENTSOF(event_names) && r >= 0; i++) {
                _cleanup_free_ char *m = NULL;
                r = asprintf(&m, "TANK_EVENT=%s", event_names[i]) < 0 ? -ENOMEM : sd_journal_add_match(j, m, 0);
        }
        if (r >= 0 && s->pod) {
                _cleanup_free_ char *m = NULL;
                r = asprintf(&m, "TANK_POD=%s", s->pod) < 0 ? -ENOMEM : sd_journal_add_match(j, m, 0);
        }
        /* tankd's entries only: anyone may write TANK_EVENT=. */
        if (r >= 0)
                r = journal_match_tankd(j);
        if (r >= 0)
                r = sd_journal_seek_realtime_usec(j, since_usec);
        if (r < 0)
                return log_error_errno(r, "cannot filter the journal: %m");

        while (s->error == 0) {
                _cleanup_free_ char *id = NULL, *event = NULL, *pod = NULL, *container = NULL, *message = NULL;
                _cleanup_strv_free_ char **fields = NULL;
                const void *data;
                size_t len;
                uint64_t t = 0;

                r = sd_journal_next(j);
                if (r < 0)
                        return log_error_errno(r, "cannot read the journal: %m");
                if (r == 0)
                        break;
                (void) sd_journal_get_realtime_usec(j, &t);
                if (t < since_usec)
                        continue;
                if (journal_field_string(j, "TANK_EVENT", &event) < 0)
                        continue;
                (void) journal_field_string(j, "TANK_EVENT_ID", &id);
                (void) journal_field_string(j, "TANK_POD", &pod);
                (void) journal_field_string(j, "TANK_CONTAINER", &container);
                (void) journal_field_string(j, "MESSAGE", &message);
                SD_JOURNAL_FOREACH_DATA(j, data, len) {
                        char *f;

                        if (len < 6 || memcmp(data, "TANK_", 5) != 0 || memchr(data, 0, len) ||
                            (len >= 11 && memcmp(data, "TANK_EVENT=", 11) == 0) ||
                            (len >= 14 && memcmp(data, "TANK_EVENT_ID=", 14) == 0))
                                continue;
                        f = strndup(data, len);
                        if (!f || strv_consume(&fields, f) < 0)
                                return log_oom();
                }
                print_event(s, &(EventView) {
                        .id = id, .event = event, .pod = pod, .container = container, .message = message,
                        .usec = t, .fields = fields,
                });
        }
        return s->error;
}

/* ---- live: the signal ---- */

static int on_event(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        EventsState *s = userdata;
        _cleanup_strv_free_ char **fields = NULL;
        EventView e = {};
        int r;

        r = sd_bus_message_read(m, "ssssts", &e.id, &e.event, &e.pod, &e.container, &e.usec, &e.message);
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "{ss}");
        while (r > 0) {
                const char *k, *v;
                char *f;

                r = sd_bus_message_read(m, "{ss}", &k, &v);
                if (r <= 0)
                        break;
                if (asprintf(&f, "%s=%s", k, v) < 0 || strv_consume(&fields, f) < 0)
                        return log_oom(), 0;
        }
        if (r < 0) {
                log_debug_errno(r, "Ignoring a malformed Event signal: %m");
                return 0;
        }
        e.fields = fields;
        print_event(s, &e);
        return 0;
}

int verb_events(int argc, char *argv[], Context *ctx) {
        enum { ARG_SINCE = ARG_VERB_BASE, ARG_POD, ARG_NO_FOLLOW };
        static const struct option options[] = {
                COMMON_LONG_OPTIONS,
                { "since",     required_argument, NULL, ARG_SINCE },
                { "pod",       required_argument, NULL, ARG_POD },
                { "output",    required_argument, NULL, 'o' },
                { "no-follow", no_argument,       NULL, ARG_NO_FOLLOW },
                {}
        };
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        EventsState s = {};
        uint64_t since = 0;
        bool have_since = false, follow = true;
        sd_bus *bus = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, COMMON_SHORT_OPTIONS "o:", options, NULL)) >= 0) {
                if (common_option(ctx, c))
                        continue;
                switch (c) {
                case 'h':
                        verb_help("events");
                        return EXIT_SUCCESS;
                case ARG_SINCE:
                        if (parse_since(optarg, &since) < 0)
                                return usage_error("events", "--since: not a time: \"%s\"", optarg);
                        have_since = true;
                        break;
                case ARG_POD:
                        if (!pod_name_is_valid(optarg))
                                return usage_error("events", "\"%s\" is not a valid pod name (a lowercase DNS label)",
                                                   optarg);
                        s.pod = optarg;
                        break;
                case 'o':
                        if (!streq(optarg, "json"))
                                return usage_error("events", "unknown output format \"%s\" (json is the one)", optarg);
                        s.json = true;
                        break;
                case ARG_NO_FOLLOW:
                        follow = false;
                        break;
                default:
                        return bad_option("events");
                }
        }
        if (optind != argc)
                return usage_error("events", "unexpected argument \"%s\"", argv[optind]);
        if (!follow && !have_since)
                return usage_error("events", "--no-follow needs --since: without it there is nothing to show");
        if (have_since && ctx->host)
                return log_error("events: --since reads the local journal; run it on that host"), EXIT_FAILURE;

        if (follow) {
                r = ctx_bus(ctx, &bus);
                if (r != 0)
                        return r;
                /* Synchronous: once it returns, the bus routes every Event to us. */
                r = sd_bus_match_signal(bus, &slot, TANK_BUS_NAME, TANK_BUS_PATH, TANK_MANAGER_INTERFACE, "Event",
                                        on_event, &s);
                if (r < 0)
                        return log_error_errno(r, "cannot subscribe to tankd's events: %m"), EXIT_FAILURE;
        }
        s.seen = id_window_new(EVENTS_SEEN_MAX);
        if (!s.seen)
                return log_oom(), EXIT_FAILURE;
        if (have_since && read_journal(&s, since) < 0) {
                id_window_free(s.seen);
                return EXIT_FAILURE;
        }
        while (follow && s.error == 0) {
                r = sd_bus_process(bus, NULL);
                if (r < 0) {
                        log_error_errno(r, "lost the connection to the bus: %m");
                        break;
                }
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0 && r != -EINTR) {
                        log_error_errno(r, "cannot wait on the bus: %m");
                        break;
                }
        }
        id_window_free(s.seen);
        return follow || s.error < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
