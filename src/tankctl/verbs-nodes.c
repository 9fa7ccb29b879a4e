/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nodes, cordon NODE, uncordon NODE (issue 17). */

#include "escape.h"
#include "json-guard.h"
#include "log.h"
#include "strv.h"
#include "tankctl.h"
#include "time-util.h"

typedef struct NodeLine {
        char *name, *status, *labels;   /* labels "k=v,k=v" ("<none>" if none) */
        char **label_list;              /* k, v, k, v, ... */
        uint32_t pods, cpus;
        uint64_t memory, started;
} NodeLine;

static void node_lines_free(NodeLine *l, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(l[i].name);
                free(l[i].status);
                free(l[i].labels);
                strv_free(l[i].label_list);
        }
        free(l);
}

static int read_nodes(sd_bus_message *reply, NodeLine **ret, size_t *ret_n) {
        NodeLine *lines = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(ssa{ss}uutt)");
        while (r >= 0) {
                const char *name, *status, *k, *v;
                NodeLine *l;

                r = sd_bus_message_enter_container(reply, 'r', "ssa{ss}uutt");
                if (r <= 0)
                        break;
                l = reallocarray(lines, n + 1, sizeof(NodeLine));
                if (!l) {
                        r = -ENOMEM;
                        break;
                }
                lines = l;
                l = &lines[n++];
                *l = (NodeLine) {};
                r = sd_bus_message_read(reply, "ss", &name, &status);
                if (r < 0)
                        break;
                l->name = strdup(name);
                l->status = strdup(status);
                if (!l->name || !l->status) {
                        r = -ENOMEM;
                        break;
                }
                r = sd_bus_message_enter_container(reply, 'a', "{ss}");
                while (r >= 0 && (r = sd_bus_message_read(reply, "{ss}", &k, &v)) > 0)
                        if (strv_extend(&l->label_list, k) < 0 || strv_extend(&l->label_list, v) < 0)
                                r = -ENOMEM;
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = sd_bus_message_read(reply, "uutt", &l->pods, &l->cpus, &l->memory, &l->started);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0) {
                node_lines_free(lines, n);
                return r;
        }
        *ret = lines;
        *ret_n = n;
        return 0;
}

static int print_json(const NodeLine *lines, size_t n) {
        _cleanup_(json_gen_freep) JsonGen *g = json_gen_new(JSON_GEN_BEAUTIFY);
        _cleanup_free_ char *text = NULL;
        int r;

        if (!g)
                return -ENOMEM;
        json_gen_array_open(g);
        for (size_t i = 0; i < n; i++) {
                json_gen_map_open(g);
                json_gen_kv_string(g, "name", lines[i].name);
                json_gen_kv_string(g, "status", lines[i].status);
                json_gen_string(g, "labels");
                json_gen_map_open(g);
                for (char **p = lines[i].label_list; p && p[0] && p[1]; p += 2) {
                        json_gen_string(g, p[0]);
                        json_gen_string(g, p[1]);
                }
                json_gen_map_close(g);
                json_gen_kv_integer(g, "pods", lines[i].pods);
                json_gen_kv_integer(g, "cpus", lines[i].cpus);
                json_gen_kv_integer(g, "memory_bytes", (long long) MIN(lines[i].memory, (uint64_t) INT64_MAX));
                json_gen_kv_integer(g, "started_usec", (long long) MIN(lines[i].started, (uint64_t) INT64_MAX));
                json_gen_map_close(g);
        }
        json_gen_array_close(g);
        r = json_gen_finish(g, &text, NULL, NULL);
        if (r < 0)
                return r;
        /* JsonGen escapes controls as JSON; names and labels are validated by tankd. */
        puts(text);
        return 0;
}

static const char *labels_text(NodeLine *l) {
        _cleanup_strv_free_ char **kv = NULL;

        if (!l->labels) {
                for (char **p = l->label_list; p && p[0] && p[1]; p += 2) {
                        char *s;

                        if (asprintf(&s, "%s=%s", p[0], p[1]) < 0 || strv_consume(&kv, s) < 0)
                                return "?";
                }
                l->labels = kv ? strv_join(kv, ",") : strdup("<none>");
        }
        return l->labels ?: "?";
}

int verb_nodes(int argc, char *argv[], Context *ctx) {
        static const struct option options[] = {
                COMMON_LONG_OPTIONS,
                { "output", required_argument, NULL, 'o' },
                {}
        };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        NodeLine *lines = NULL;
        bool json = false;
        size_t n = 0;
        int c, r;

        while ((c = getopt_long(argc, argv, COMMON_SHORT_OPTIONS "o:", options, NULL)) >= 0) {
                if (common_option(ctx, c))
                        continue;
                switch (c) {
                case 'h':
                        verb_help("nodes");
                        return EXIT_SUCCESS;
                case 'o':
                        json = streq(optarg, "json");
                        if (!json && !streq(optarg, "text"))
                                return usage_error("nodes", "unknown output format \"%s\" (json or text)", optarg);
                        break;
                default:
                        return bad_option("nodes");
                }
        }
        if (optind < argc)
                return usage_error("nodes", "unexpected argument \"%s\"", argv[optind]);

        r = manager_call(ctx, "ListNodes", 0, NULL, &reply, NULL);
        if (r != 0)
                return r;
        r = read_nodes(reply, &lines, &n);
        if (r < 0)
                return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
        if (json)
                r = print_json(lines, n);
        else {
                uint64_t now = now_realtime();

                printf("%-20s  %-28s  %-30s  %5s  %10s  %s\n", "NAME", "STATUS", "LABELS", "PODS", "MEMORY", "AGE");
                for (size_t i = 0; i < n; i++) {
                        _cleanup_free_ char *name = str_escape_control(lines[i].name),
                                            *status = str_escape_control(lines[i].status),
                                            *labels = str_escape_control(labels_text(&lines[i]));
                        char mem[32], age[AGE_MAX];

                        if (!name || !status || !labels) {
                                r = -ENOMEM;
                                break;
                        }
                        if (lines[i].memory > 0)
                                format_bytes(mem, sizeof mem, lines[i].memory);
                        else
                                strcpy(mem, "-");
                        if (lines[i].started > 0 && now >= lines[i].started)
                                format_age(age, sizeof age, now - lines[i].started);
                        else
                                strcpy(age, "-");
                        printf("%-20s  %-28s  %-30s  %5u  %10s  %s\n", name, status, labels, lines[i].pods, mem, age);
                }
        }
        node_lines_free(lines, n);
        if (r < 0)
                return log_error_errno(r, "cannot print the nodes: %m"), EXIT_FAILURE;
        return EXIT_SUCCESS;
}

static int cordon(const char *verb, const char *method, int argc, char *argv[], Context *ctx) {
        static const struct option options[] = {
                COMMON_LONG_OPTIONS,
                {}
        };
        int c, r;

        while ((c = getopt_long(argc, argv, COMMON_SHORT_OPTIONS, options, NULL)) >= 0) {
                if (common_option(ctx, c))
                        continue;
                if (c == 'h') {
                        verb_help(verb);
                        return EXIT_SUCCESS;
                }
                return bad_option(verb);
        }
        if (optind + 1 != argc)
                return usage_error(verb, "expected one node name");
        r = manager_call(ctx, method, 0, NULL, NULL, "s", argv[optind]);
        if (r != 0)
                return r;
        _cleanup_free_ char *name = str_escape_control(argv[optind]);
        printf("node/%s %s\n", strna(name), streq(verb, "cordon") ? "cordoned" : "uncordoned");
        return EXIT_SUCCESS;
}

int verb_cordon(int argc, char *argv[], Context *ctx) {
        return cordon("cordon", "Cordon", argc, argv, ctx);
}

int verb_uncordon(int argc, char *argv[], Context *ctx) {
        return cordon("uncordon", "Uncordon", argc, argv, ctx);
}

/* drain NODE: cordon, wait until tankd says where each of the node's pods
 * went; exit 1 when a reschedulable one could not move. */
int verb_drain(int argc, char *argv[], Context *ctx) {
        enum { ARG_TIMEOUT = ARG_VERB_BASE };
        static const struct option options[] = {
                COMMON_LONG_OPTIONS,
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                {}
        };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *name = NULL;
        const char *pod, *outcome, *detail;
        uint64_t timeout = 120 * USEC_PER_SEC;
        size_t failed = 0;
        int c, r;

        while ((c = getopt_long(argc, argv, COMMON_SHORT_OPTIONS, options, NULL)) >= 0) {
                if (common_option(ctx, c))
                        continue;
                switch (c) {
                case 'h':
                        verb_help("drain");
                        return EXIT_SUCCESS;
                case ARG_TIMEOUT:
                        if (parse_sec(optarg, &timeout) < 0 || timeout == 0)
                                return usage_error("drain", "--timeout=%s: not a positive time span (e.g. 30, 2min)",
                                                   optarg);
                        break;
                default:
                        return bad_option("drain");
                }
        }
        if (optind + 1 != argc)
                return usage_error("drain", "expected one node name");
        name = str_escape_control(argv[optind]);
        if (!name)
                return log_oom(), EXIT_FAILURE;
        /* tankd answers at the timeout at the latest: the call waits a little longer. */
        r = manager_call(ctx, "Drain", timeout + 30 * USEC_PER_SEC, NULL, &reply, "st", argv[optind], timeout);
        if (r != 0)
                return r;
        printf("node/%s cordoned\n", name);
        r = sd_bus_message_enter_container(reply, 'a', "(sss)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(sss)", &pod, &outcome, &detail)) > 0) {
                _cleanup_free_ char *p = str_escape_control(pod), *d = str_escape_control(detail);

                if (!p || !d)
                        return log_oom(), EXIT_FAILURE;
                if (streq(outcome, "moved") && isempty(d))
                        printf("pod/%s deleted meanwhile\n", p);
                else if (streq(outcome, "moved"))
                        printf("pod/%s moved to %s\n", p, d);
                else if (streq(outcome, "stays"))
                        printf("pod/%s stays: %s\n", p, d);
                else {
                        printf("pod/%s could not move: %s\n", p, d);
                        failed++;
                }
        }
        if (r < 0)
                return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
        if (failed > 0) {
                log_error("%zu pod(s) could not move off node %s.", failed, name);
                return EXIT_FAILURE;
        }
        printf("node/%s drained\n", name);
        return EXIT_SUCCESS;
}
