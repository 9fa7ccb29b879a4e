/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <limits.h>
#include <time.h>

#include "escape.h"
#include "json-guard.h"
#include "log.h"
#include "spec/kube.h"
#include "spec/pod.h"
#include "pod-wait.h"
#include "strv.h"
#include "tankctl.h"
#include "time-util.h"


/* Options of the verbs that take only common options and positional names. */
static int parse_plain(const char *verb, int argc, char *argv[], Context *ctx) {
        static const struct option options[] = {
                COMMON_LONG_OPTIONS,
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, COMMON_SHORT_OPTIONS, options, NULL)) >= 0) {
                if (common_option(ctx, c))
                        continue;
                if (c == 'h') {
                        verb_help(verb);
                        return EXIT_SUCCESS;
                }
                return bad_option(verb);
        }
        return PARSE_CONTINUE;
}

static int check_pod_name(const char *verb, const char *name) {
        /* Refuse locally what tankd would refuse: a clearer message, no round trip. */
        if (!pod_name_is_valid(name))
                return usage_error(verb, "\"%s\" is not a valid pod name (a lowercase DNS label)", name);
        return PARSE_CONTINUE;
}

/* tankd caps a spec at POD_JSON_MAX (its canonical form may grow a little);
 * a status is smaller. */
#define REPLY_JSON_MAX (4U * 1024U * 1024U)
#define REPLY_JSON_DEPTH_MAX 64U

/* Get(name) -> parsed spec and status; NoSuchPod is reported as -ENOENT
 * without printing, so that wait can poll on it. */
static int get_pod(Context *ctx, const char *name, bool quiet_missing, yajl_val *ret_spec, yajl_val *ret_status) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_yajl_ yajl_val spec = NULL, status = NULL;
        _cleanup_free_ char *error_text = NULL;
        const char *spec_json, *status_json;
        int r;

        r = manager_call_raw(ctx, "Get", 0, &error, &reply, "s", name);
        if (r > 0)
                return r;
        if (r < 0) {
                if (quiet_missing && sd_bus_error_has_name(&error, TANK_ERROR_NO_SUCH_POD))
                        return -ENOENT;
                return print_bus_error(&error, name);
        }

        r = sd_bus_message_read(reply, "ss", &spec_json, &status_json);
        if (r < 0)
                return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;

        /* tankd is trusted less than blindly: its answer is capped like any input. */
        r = json_guard_parse(spec_json, strlen(spec_json), REPLY_JSON_MAX, REPLY_JSON_DEPTH_MAX, &spec, &error_text);
        if (r >= 0)
                r = json_guard_parse(status_json, strlen(status_json), REPLY_JSON_MAX, REPLY_JSON_DEPTH_MAX,
                                     &status, &error_text);
        if (r < 0)
                return log_error("%s: tankd sent a spec or status that is not valid JSON: %s", name,
                                 strna(error_text)), EXIT_FAILURE;
        if (!YAJL_IS_OBJECT(spec) || !YAJL_IS_OBJECT(status))
                return log_error("%s: tankd sent a spec or status that is not a JSON object", name), EXIT_FAILURE;

        *ret_spec = TAKE_PTR(spec);
        *ret_status = TAKE_PTR(status);
        return 0;
}

static bool endswith_redacted(const char *assignment) {
        const char *eq = strchr(assignment, '=');
        return eq && streq(eq + 1, POD_ENV_REDACTED);
}

/* The spec as a Kubernetes Pod manifest (the status has no place in it): the
 * stored canonical spec is parsed like any input, then written back out. */
static int get_yaml(Context *ctx, const char *name) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *yaml = NULL, *error = NULL;
        _cleanup_pod_free_ Pod *pod = NULL;
        const char *spec_json, *status_json;
        int r;

        r = manager_call(ctx, "Get", 0, name, &reply, "s", name);
        if (r != 0)
                return r;
        r = sd_bus_message_read(reply, "ss", &spec_json, &status_json);
        if (r < 0)
                return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
        r = pod_parse(spec_json, strlen(spec_json), &pod, &error);
        if (r == -ENOMEM)
                return log_oom(), EXIT_FAILURE;
        if (r < 0)
                return log_error("%s: tankd sent a spec Tank refuses: %s", name, strna(error)), EXIT_FAILURE;
        /* Get redacts env values for callers who are neither root nor in
         * group tank: that output applied back would store the placeholder. */
        FOREACH_ARRAY(c, pod->containers, pod->n_containers)
                STRV_FOREACH(e, c->env)
                        if (endswith_redacted(*e)) {
                                log_warning("%s: env values are redacted for this user; applying this output "
                                            "would store \"%s\" as their values", name, POD_ENV_REDACTED);
                                goto warned;
                        }
warned:
        r = kube_serialize(pod, &yaml, &error);
        if (r == -ENOMEM)
                return log_oom(), EXIT_FAILURE;
        if (r < 0)
                return log_error("%s: %s", name, strna(error)), EXIT_FAILURE;
        fputs(yaml, stdout);
        if (fflush(stdout) != 0 || ferror(stdout))
                return log_error_errno(errno, "cannot write to standard output: %m"), EXIT_FAILURE;
        return EXIT_SUCCESS;
}

int verb_get(int argc, char *argv[], Context *ctx) {
        enum { ARG_OUTPUT = 'o' };
        static const struct option options[] = {
                COMMON_LONG_OPTIONS,
                { "output", required_argument, NULL, ARG_OUTPUT },
                {}
        };
        _cleanup_yajl_ yajl_val spec = NULL, status = NULL;
        bool json = false, yaml = false;
        const char *name;
        int c, r;

        while ((c = getopt_long(argc, argv, COMMON_SHORT_OPTIONS "o:", options, NULL)) >= 0) {
                if (common_option(ctx, c))
                        continue;
                switch (c) {
                case 'h':
                        verb_help("get");
                        return EXIT_SUCCESS;
                case ARG_OUTPUT:
                        json = streq(optarg, "json");
                        yaml = streq(optarg, "yaml");
                        if (!json && !yaml && !streq(optarg, "text"))
                                return usage_error("get", "unknown output format \"%s\" (json, yaml or text)", optarg);
                        break;
                default:
                        return bad_option("get");
                }
        }
        if (optind + 1 != argc)
                return usage_error("get", optind >= argc ? "missing pod name" : "exactly one pod name expected");
        name = argv[optind];
        r = check_pod_name("get", name);
        if (r != PARSE_CONTINUE)
                return r;

        if (yaml)
                return get_yaml(ctx, name);

        r = get_pod(ctx, name, false, &spec, &status);
        if (r != 0)
                return r;

        if (json) {
                r = json_pretty_print(stdout, "spec", spec, "status", status);
                if (r < 0)
                        return log_error_errno(r, "cannot format JSON: %m"), EXIT_FAILURE;
                return EXIT_SUCCESS;
        }
        /* Exit messages, pull errors, image names: nothing of it reaches the
         * terminal unescaped, whatever field print_pod() shows. */
        r = json_escape_strings(spec);
        if (r >= 0)
                r = json_escape_strings(status);
        if (r < 0)
                return log_error_errno(r, "cannot format the pod: %m"), EXIT_FAILURE;
        print_pod(name, spec, status);
        return EXIT_SUCCESS;
}

typedef struct ListRow {
        char *name, *phase, *ready, *restarts, *age, *node;
} ListRow;

static int list_row_cmp(const void *a, const void *b) {
        return strcmp(((const ListRow *) a)->name, ((const ListRow *) b)->name);
}

/* Fills rows[].node from ListPlacements (NULL: unbound). 1 when tankd has
 * it, 0 when it is older, < 0 on a failure already logged. */
static int list_placements(Context *ctx, ListRow *rows, size_t n_rows) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *pod, *node, *reason;
        int r;

        r = manager_call_raw(ctx, "ListPlacements", 0, &error, &reply, NULL);
        if (r > 0)
                return -EIO;
        if (r < 0) {
                if (sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_METHOD))
                        return 0;
                (void) print_bus_error(&error, NULL);
                return -EIO;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(sss)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(sss)", &pod, &node, &reason)) > 0) {
                if (isempty(node))
                        continue;
                for (size_t i = 0; i < n_rows; i++)
                        if (streq(rows[i].name, pod) && !rows[i].node) {
                                rows[i].node = str_escape_control(node);
                                if (!rows[i].node)
                                        return log_oom();
                        }
        }
        if (r < 0)
                return log_error_errno(r, "bad reply from tankd: %m");
        return 1;
}

int verb_list(int argc, char *argv[], Context *ctx) {
        enum { ARG_NO_LEGEND = ARG_VERB_BASE };
        static const struct option options[] = {
                COMMON_LONG_OPTIONS,
                { "no-legend", no_argument, NULL, ARG_NO_LEGEND },
                {}
        };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        ListRow *rows = NULL;
        size_t n_rows = 0, w[5] = { 4, 5, 5, 8, 3 };
        bool legend = true, extended = true, with_node = false;
        int c, r, ret = EXIT_FAILURE;

        while ((c = getopt_long(argc, argv, COMMON_SHORT_OPTIONS, options, NULL)) >= 0) {
                if (common_option(ctx, c))
                        continue;
                switch (c) {
                case 'h':
                        verb_help("list");
                        return EXIT_SUCCESS;
                case ARG_NO_LEGEND:
                        legend = false;
                        break;
                default:
                        return bad_option("list");
                }
        }
        if (optind < argc)
                return usage_error("list", "unexpected argument \"%s\"", argv[optind]);

        /* One call for everything; a tankd older than ListExtended gets List
         * and a Get per pod. */
        r = manager_call_raw(ctx, "ListExtended", 0, &error, &reply, NULL);
        if (r > 0)
                return r;
        if (r < 0) {
                if (!sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_METHOD))
                        return print_bus_error(&error, NULL);
                extended = false;
                r = manager_call(ctx, "List", 0, NULL, &reply, NULL);
                if (r != 0)
                        return r;
        }

        r = sd_bus_message_enter_container(reply, 'a', extended ? "(sssuuut)" : "(sssuu)");
        if (r < 0)
                goto bad_reply;
        for (;;) {
                _cleanup_yajl_ yajl_val spec = NULL, status = NULL;
                const char *name, *phase, *image;
                uint32_t restarts, ready, n_containers = 0;
                uint64_t created_usec = 0;
                long long created = 0;
                char age[AGE_MAX] = "-";
                ListRow *nr, *row;
                size_t total = 0;

                if (extended)
                        r = sd_bus_message_read(reply, "(sssuuut)", &name, &phase, &image, &restarts, &ready,
                                                &n_containers, &created_usec);
                else
                        r = sd_bus_message_read(reply, "(sssuu)", &name, &phase, &image, &restarts, &ready);
                if (r < 0)
                        goto bad_reply;
                if (r == 0)
                        break;

                if (extended) {
                        total = n_containers;
                        created = created_usec > (uint64_t) LLONG_MAX ? 0 : (long long) created_usec;
                } else if (get_pod(ctx, name, true, &spec, &status) == 0) {
                        /* List has no container count or creation time; Get
                         * has. A pod that vanished in between keeps "-". */
                        total = spec_n_containers(spec);
                        if (!json_int(status, "created_usec", &created))
                                created = 0;
                }
                if (created > 0 && (uint64_t) created <= now_realtime())
                        format_age(age, sizeof age, now_realtime() - (uint64_t) created);

                nr = reallocarray(rows, n_rows + 1, sizeof(ListRow));
                if (!nr) {
                        log_oom();
                        goto finish;
                }
                rows = nr;
                row = &rows[n_rows++];
                *row = (ListRow) {};
                if (asprintf(&row->ready, total > 0 ? "%" PRIu32 "/%zu" : "%" PRIu32, ready, total) < 0)
                        row->ready = NULL;
                if (asprintf(&row->restarts, "%" PRIu32, restarts) < 0)
                        row->restarts = NULL;
                /* what tankd says goes to a terminal: escaped */
                row->name = str_escape_control(name);
                row->phase = str_escape_control(phase);
                row->age = strdup(age);
                if (!row->name || !row->phase || !row->age || !row->ready || !row->restarts) {
                        log_oom();
                        goto finish;
                }
                w[0] = MAX(w[0], strlen(row->name));
                w[1] = MAX(w[1], strlen(row->phase));
                w[2] = MAX(w[2], strlen(row->ready));
                w[3] = MAX(w[3], strlen(row->restarts));
        }

        /* Where each pod is bound: one more call for all of them (a tankd
         * without ListPlacements has no NODE column). */
        r = list_placements(ctx, rows, n_rows);
        if (r < 0)
                goto finish;
        with_node = r > 0;
        for (size_t i = 0; i < n_rows; i++)
                w[4] = MAX(w[4], strlen(rows[i].age));

        /* tankd answers in hash order; people look for names */
        if (n_rows > 1)
                qsort(rows, n_rows, sizeof(ListRow), list_row_cmp);
        if (legend && with_node)
                printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", (int) w[0], "NAME", (int) w[1], "PHASE",
                       (int) w[2], "READY", (int) w[3], "RESTARTS", (int) w[4], "AGE", "NODE");
        else if (legend)
                printf("%-*s  %-*s  %-*s  %-*s  %s\n", (int) w[0], "NAME", (int) w[1], "PHASE",
                       (int) w[2], "READY", (int) w[3], "RESTARTS", "AGE");
        for (size_t i = 0; i < n_rows; i++)
                if (with_node)
                        printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", (int) w[0], rows[i].name, (int) w[1],
                               rows[i].phase, (int) w[2], rows[i].ready, (int) w[3], rows[i].restarts, (int) w[4],
                               rows[i].age, rows[i].node ?: "<none>");
                else
                        printf("%-*s  %-*s  %-*s  %-*s  %s\n", (int) w[0], rows[i].name, (int) w[1], rows[i].phase,
                               (int) w[2], rows[i].ready, (int) w[3], rows[i].restarts, rows[i].age);
        ret = EXIT_SUCCESS;
        goto finish;

bad_reply:
        log_error_errno(r, "bad reply from tankd: %m");
finish:
        for (size_t i = 0; i < n_rows; i++) {
                free(rows[i].name);
                free(rows[i].phase);
                free(rows[i].ready);
                free(rows[i].restarts);
                free(rows[i].age);
                free(rows[i].node);
        }
        free(rows);
        return ret;
}

#define REMOVE_VOLUMES_TIMEOUT_USEC (120 * UINT64_C(1000000))


/* tankd removes volumes only once the pod is completely torn down (Busy
 * until then), which takes up to the stop timeout: wait for its object to go,
 * then ask again. */
static int remove_volumes(Context *ctx, PodWait *w, const char *name) {
        uint64_t deadline = now_monotonic() + REMOVE_VOLUMES_TIMEOUT_USEC;

        for (;;) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                int removed, r;

                r = manager_call_raw(ctx, "RemoveVolumes", 0, &error, &reply, "s", name);
                if (r > 0)
                        return r;
                if (r < 0) {
                        if (sd_bus_error_has_name(&error, TANK_ERROR_BUSY) && now_monotonic() < deadline) {
                                r = pod_wait_run(w, STRV_MAKE(name), POD_WAIT_DELETED, deadline);
                                if (r != 0)
                                        return r;
                                continue;
                        }
                        return print_bus_error(&error, name);
                }
                r = sd_bus_message_read(reply, "b", &removed);
                if (r < 0)
                        return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
                printf(removed ? "pod/%s volumes removed\n" : "pod/%s had no volumes\n", name);
                return EXIT_SUCCESS;
        }
}

int verb_delete(int argc, char *argv[], Context *ctx) {
        enum { ARG_VOLUMES = ARG_VERB_BASE };
        static const struct option options[] = {
                COMMON_LONG_OPTIONS,
                { "volumes", no_argument, NULL, ARG_VOLUMES },
                {}
        };
        _cleanup_(pod_wait_freep) PodWait *w = NULL;
        sd_bus_message **replies = NULL;
        sd_bus_error *errors = NULL;
        bool volumes = false;
        size_t n = 0;
        int c, r, ret = EXIT_SUCCESS;

        while ((c = getopt_long(argc, argv, COMMON_SHORT_OPTIONS, options, NULL)) >= 0) {
                if (common_option(ctx, c))
                        continue;
                switch (c) {
                case 'h':
                        verb_help("delete");
                        return EXIT_SUCCESS;
                case ARG_VOLUMES:
                        volumes = true;
                        break;
                default:
                        return bad_option("delete");
                }
        }
        if (optind >= argc)
                return usage_error("delete", "missing pod name");
        for (int i = optind; i < argc; i++) {
                r = check_pod_name("delete", argv[i]);
                if (r != PARSE_CONTINUE)
                        return r;
        }
        if (volumes) {
                r = pod_wait_new(ctx, &w);
                if (r != 0)
                        return r;
        }
        /* Several pods: all Delete calls in flight together (each waits for
         * its store write), the answers taken in order below. */
        n = (size_t) (argc - optind);
        if (n > 1) {
                replies = calloc(n, sizeof(sd_bus_message *));
                errors = calloc(n, sizeof(sd_bus_error));
                if (!replies || !errors) {
                        free(replies);
                        free(errors);
                        return log_oom(), EXIT_FAILURE;
                }
                r = manager_call_batch(ctx, "Delete", argv + optind, n, replies, errors);
                if (r != 0)
                        goto finish;
        }
        for (int i = optind; i < argc; i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

                if (replies) {
                        error = errors[i - optind];
                        errors[i - optind] = SD_BUS_ERROR_NULL;
                        r = replies[i - optind] ? 0 : -1;
                        if (r < 0 && bus_error_is_unreachable(&error)) {
                                r = print_bus_error(&error, NULL);
                                goto finish;
                        }
                } else
                        r = manager_call_raw(ctx, "Delete", 0, &error, NULL, "s", argv[i]);
                if (r > 0)
                        goto finish;
                if (r < 0) {
                        ret = print_bus_error(&error, argv[i]);
                        continue;
                }
                printf("pod/%s deleted\n", argv[i]);

                if (volumes) {
                        r = remove_volumes(ctx, w, argv[i]);
                        if (r != 0)
                                ret = r;
                }
        }
        r = ret;
finish:
        for (size_t i = 0; replies && i < n; i++) {
                sd_bus_message_unref(replies[i]);
                sd_bus_error_free(&errors[i]);
        }
        free(replies);
        free(errors);
        return r;
}

int verb_wait(int argc, char *argv[], Context *ctx) {
        enum { ARG_FOR = ARG_VERB_BASE, ARG_TIMEOUT };
        static const struct option options[] = {
                COMMON_LONG_OPTIONS,
                { "for",     required_argument, NULL, ARG_FOR },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                {}
        };
        _cleanup_(pod_wait_freep) PodWait *w = NULL;
        PodWaitFor what = _POD_WAIT_UNSET;
        uint64_t timeout = 0, deadline = 0;
        char *name;
        int c, r;

        while ((c = getopt_long(argc, argv, COMMON_SHORT_OPTIONS, options, NULL)) >= 0) {
                if (common_option(ctx, c))
                        continue;
                switch (c) {
                case 'h':
                        verb_help("wait");
                        return EXIT_SUCCESS;
                case ARG_FOR:
                        if (streq(optarg, "running"))
                                what = POD_WAIT_RUNNING;
                        else if (streq(optarg, "ready"))
                                what = POD_WAIT_READY;
                        else if (streq(optarg, "deleted") || streq(optarg, "delete"))
                                what = POD_WAIT_DELETED;
                        else
                                return usage_error("wait", "--for= must be \"running\", \"ready\" or \"deleted\", not \"%s\"", optarg);
                        break;
                case ARG_TIMEOUT:
                        if (parse_sec(optarg, &timeout) < 0)
                                return usage_error("wait", "--timeout=%s: not a time span (e.g. 30, 500ms, 2min)", optarg);
                        break;
                default:
                        return bad_option("wait");
                }
        }
        if (optind + 1 != argc)
                return usage_error("wait", optind >= argc ? "missing pod name" : "exactly one pod name expected");
        if (what == _POD_WAIT_UNSET)
                return usage_error("wait", "missing --for=running, --for=ready or --for=deleted");
        name = argv[optind];
        r = check_pod_name("wait", name);
        if (r != PARSE_CONTINUE)
                return r;

        if (timeout > 0)
                deadline = now_monotonic() + timeout;
        r = pod_wait_new(ctx, &w);
        if (r != 0)
                return r;
        return pod_wait_run(w, STRV_MAKE(name), what, deadline);
}

void format_bytes(char *buf, size_t n, uint64_t bytes) {
        static const char suffixes[] = "KMGTPE";
        double v = (double) bytes;
        size_t i = 0;

        if (bytes < 1024) {
                snprintf(buf, n, "%" PRIu64 "B", bytes);
                return;
        }
        v /= 1024;
        while (v >= 1024 && i + 1 < sizeof suffixes - 1) {
                v /= 1024;
                i++;
        }
        snprintf(buf, n, "%.1f%ciB", v, suffixes[i]);
}

int verb_images(int argc, char *argv[], Context *ctx) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        bool header = false;
        int r = parse_plain("images", argc, argv, ctx);

        if (r != PARSE_CONTINUE)
                return r;
        if (optind < argc)
                return usage_error("images", "unexpected argument \"%s\"", argv[optind]);

        r = manager_call(ctx, "ImagesWithUsers", 0, NULL, &reply, NULL);
        if (r != 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(ssttas)");
        if (r < 0)
                return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
        for (;;) {
                _cleanup_strv_free_ char **pods = NULL;
                _cleanup_free_ char *users = NULL, *ename = NULL, *edigest = NULL, *eusers = NULL;
                const char *name, *digest;
                uint64_t size, pulled;
                char sz[32], age[AGE_MAX] = "-";

                r = sd_bus_message_enter_container(reply, 'r', "ssttas");
                if (r == 0)
                        break;
                if (r > 0)
                        r = sd_bus_message_read(reply, "sstt", &name, &digest, &size, &pulled);
                if (r > 0)
                        r = sd_bus_message_read_strv(reply, &pods);
                if (r > 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
                if (!header) {
                        printf("%-50s  %-19s  %10s  %-14s  %s\n", "IMAGE", "DIGEST", "SIZE", "PULLED", "PODS");
                        header = true;
                }
                format_bytes(sz, sizeof sz, size);
                if (pulled > 0 && pulled <= now_realtime()) {
                        format_age(age, sizeof age, now_realtime() - pulled);
                        strncat(age, " ago", sizeof age - strlen(age) - 1);
                }
                users = strv_join(pods, ",");
                if (!users)
                        return log_oom(), EXIT_FAILURE;
                /* references and digests are what a registry or an image said */
                ename = str_escape_control(isempty(name) ? "<none>" : name);
                edigest = str_escape_control(digest);
                eusers = str_escape_control(isempty(users) ? "-" : users);
                if (!ename || !edigest || !eusers)
                        return log_oom(), EXIT_FAILURE;
                /* "sha256:" + 12 hex digits, as docker shortens them */
                printf("%-50s  %-19.19s  %10s  %-14s  %s\n", ename, edigest, sz, age, eusers);
        }
        if (!header)
                printf("No images.\n");
        return EXIT_SUCCESS;
}

static int print_removed(sd_bus_message *reply) {
        _cleanup_strv_free_ char **removed = NULL;
        int r;

        r = sd_bus_message_read_strv(reply, &removed);
        if (r < 0)
                return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
        STRV_FOREACH(d, removed) {
                fputs("Deleted: ", stdout);
                (void) fputs_escape_control(*d, stdout);
                putchar('\n');
        }
        return EXIT_SUCCESS;
}

int verb_rmi(int argc, char *argv[], Context *ctx) {
        int ret = EXIT_SUCCESS, r = parse_plain("rmi", argc, argv, ctx);

        if (r != PARSE_CONTINUE)
                return r;
        if (optind >= argc)
                return usage_error("rmi", "missing image reference");
        /* Each image on its own: one in use does not keep the others. */
        for (int i = optind; i < argc; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

                r = manager_call(ctx, "RemoveImage", 0, argv[i], &reply, "s", argv[i]);
                if (r == 0)
                        r = print_removed(reply);
                if (r != 0)
                        ret = r;
        }
        return ret;
}

int verb_image(int argc, char *argv[], Context *ctx) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = parse_plain("image", argc, argv, ctx);

        if (r != PARSE_CONTINUE)
                return r;
        if (optind >= argc)
                return usage_error("image", "missing subcommand (prune)");
        if (!streq(argv[optind], "prune"))
                return usage_error("image", "unknown subcommand \"%s\"", argv[optind]);
        if (optind + 1 < argc)
                return usage_error("image", "unexpected argument \"%s\"", argv[optind + 1]);
        r = manager_call(ctx, "PruneImages", 0, NULL, &reply, NULL);
        if (r != 0)
                return r;
        return print_removed(reply);
}

int verb_volumes(int argc, char *argv[], Context *ctx) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        bool header = false;
        int r = parse_plain("volumes", argc, argv, ctx);

        if (r != PARSE_CONTINUE)
                return r;
        if (optind < argc)
                return usage_error("volumes", "unexpected argument \"%s\"", argv[optind]);

        r = manager_call(ctx, "ListVolumes", 0, NULL, &reply, NULL);
        if (r != 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(sst)");
        if (r < 0)
                return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
        for (;;) {
                _cleanup_free_ char *epod = NULL, *ename = NULL;
                const char *pod, *name;
                uint64_t size;
                char sz[32];

                r = sd_bus_message_read(reply, "(sst)", &pod, &name, &size);
                if (r < 0)
                        return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
                if (r == 0)
                        break;
                if (!header) {
                        printf("%-20s  %-20s  %10s\n", "POD", "VOLUME", "SIZE");
                        header = true;
                }
                format_bytes(sz, sizeof sz, size);
                /* names from the data directory's listing, not from a spec */
                epod = str_escape_control(pod);
                ename = str_escape_control(name);
                if (!epod || !ename)
                        return log_oom(), EXIT_FAILURE;
                printf("%-20s  %-20s  %10s\n", epod, ename, sz);
        }
        if (!header)
                printf("No volumes.\n");
        return EXIT_SUCCESS;
}
