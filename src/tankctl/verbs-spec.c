/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"
#include "pod-wait.h"
#include "pull-progress.h"
#include "spec/kube.h"
#include "spec/pod.h"
#include "strv.h"
#include "tankctl.h"
#include "time-util.h"

/* An array file may hold many pods; each pod is still capped by the parser. */
#define SPEC_FILE_MAX (16 * 1024 * 1024)


/* apply's options beyond the file names */
/* How far apply --wait waits: each includes the ones before it. */
typedef enum ApplyWait {
        APPLY_WAIT_NONE,
        APPLY_WAIT_RUNNING,     /* every container running */
        APPLY_WAIT_READY,       /* and ready, where probes or notify say */
        APPLY_WAIT_ROLLOUT,     /* and the revision's rollout finished (the default) */
} ApplyWait;

typedef struct ApplyOptions {
        ApplyWait wait;
        uint64_t timeout;
        int64_t if_revision;    /* -1: none */
} ApplyOptions;

/* options apply and validate share */
typedef struct InputOptions {
        bool ignore_unsupported;   /* Kubernetes fields Tank does not support: warn, drop */
} InputOptions;

/* A store revision: decimal digits only, 0..INT64_MAX. */
static int parse_revision(const char *s, int64_t *ret) {
        int64_t v = 0;

        if (isempty(s))
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                if (v > (INT64_MAX - (*p - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (*p - '0');
        }
        *ret = v;
        return 0;
}

typedef struct PodList {
        Pod **pods;
        size_t n;
} PodList;

static void pod_list_done(PodList *l) {
        pod_array_free(l->pods, l->n);
        *l = (PodList) {};
}

/* ret_apply NULL: the verb takes none of apply's options. */
static int parse_filename_options(const char *verb, int argc, char *argv[], Context *ctx, char ***ret_files,
                                  InputOptions *ret_input, ApplyOptions *ret_apply) {
        enum { ARG_WAIT = ARG_VERB_BASE, ARG_TIMEOUT, ARG_IF_REVISION, ARG_IGNORE_UNSUPPORTED };
        static const struct option options[] = {
                COMMON_LONG_OPTIONS,
                { "filename",    required_argument, NULL, 'f' },
                { "wait",        optional_argument, NULL, ARG_WAIT },
                { "timeout",     required_argument, NULL, ARG_TIMEOUT },
                { "if-revision", required_argument, NULL, ARG_IF_REVISION },
                { "ignore-unsupported", no_argument, NULL, ARG_IGNORE_UNSUPPORTED },
                { "output",      required_argument, NULL, 'o' },
                {}
        };
        bool ignore_unsupported = false;
        ApplyWait wait = APPLY_WAIT_NONE;
        uint64_t timeout = 0;
        int64_t if_revision = -1;
        _cleanup_strv_free_ char **files = NULL;
        bool have_stdin = false;
        int c, r;

        while ((c = getopt_long(argc, argv, COMMON_SHORT_OPTIONS "f:o:", options, NULL)) >= 0) {
                if (common_option(ctx, c))
                        continue;
                switch (c) {
                case 'h':
                        verb_help(verb);
                        return EXIT_SUCCESS;
                case 'f':
                        if (streq(optarg, "-")) {
                                if (have_stdin)
                                        return usage_error(verb, "standard input (\"-f -\") given twice");
                                have_stdin = true;
                        }
                        r = strv_extend(&files, optarg);
                        if (r < 0)
                                return log_oom(), EXIT_FAILURE;
                        break;
                case ARG_IGNORE_UNSUPPORTED:
                        ignore_unsupported = true;
                        break;
                case 'o':
                        /* validate prints the Tank spec it would apply, as JSON */
                        if (ret_apply)
                                return usage_error(verb, "-o/--output is an option of validate");
                        if (!streq(optarg, "json"))
                                return usage_error(verb, "unknown output format \"%s\" (json)", optarg);
                        break;
                case ARG_WAIT:
                        if (!ret_apply)
                                return usage_error(verb, "--wait is an option of apply");
                        /* A script that wants "started" without the rollout's
                         * min_healthy_sec asks for less. */
                        if (!optarg || streq(optarg, "rollout"))
                                wait = APPLY_WAIT_ROLLOUT;
                        else if (streq(optarg, "ready"))
                                wait = APPLY_WAIT_READY;
                        else if (streq(optarg, "running"))
                                wait = APPLY_WAIT_RUNNING;
                        else
                                return usage_error(verb, "--wait=%s: must be \"running\", \"ready\" or \"rollout\"",
                                                   optarg);
                        break;
                case ARG_TIMEOUT:
                        if (!ret_apply)
                                return usage_error(verb, "--timeout is an option of apply --wait");
                        if (parse_sec(optarg, &timeout) < 0)
                                return usage_error(verb, "--timeout=%s: not a time span (e.g. 30, 500ms, 2min)", optarg);
                        break;
                case ARG_IF_REVISION:
                        if (!ret_apply)
                                return usage_error(verb, "--if-revision is an option of apply");
                        if (parse_revision(optarg, &if_revision) < 0)
                                return usage_error(verb, "--if-revision=%s: not a store revision (a number, 0 for "
                                                   "\"must not exist\")", optarg);
                        break;
                default:
                        return bad_option(verb);
                }
        }
        if (timeout > 0 && !wait)
                return usage_error(verb, "--timeout only makes sense with --wait");
        if (optind < argc)
                return usage_error(verb, "unexpected argument \"%s\" (pods are read with -f FILE)", argv[optind]);
        if (!files)
                return usage_error(verb, "no input: give -f FILE or -f - for standard input");

        *ret_files = TAKE_PTR(files);
        *ret_input = (InputOptions) { .ignore_unsupported = ignore_unsupported };
        if (ret_apply)
                *ret_apply = (ApplyOptions) { .wait = wait, .timeout = timeout, .if_revision = if_revision };
        return PARSE_CONTINUE;
}

/* Parse every file, JSON or Kubernetes YAML by its content; the first invalid
 * one ends it with "FILE: PATH: REASON" ("FILE: document N: PATH: REASON (line
 * L, column C)" for YAML). Ignored Kubernetes fields are one warning each. */
static int load_pods(char **files, const InputOptions *o, PodList *ret) {
        _cleanup_(pod_list_done) PodList all = {};

        STRV_FOREACH(f, files) {
                _cleanup_free_ char *json = NULL, *error = NULL;
                Pod **pods = NULL;
                size_t len, n = 0;
                Pod **merged;
                int r;

                r = read_input(*f, SPEC_FILE_MAX, &json, &len);
                if (r != 0)
                        return r;

                _cleanup_strv_free_ char **warnings = NULL;
                if (spec_text_is_json(json, len))
                        r = pod_parse_many(json, len, &pods, &n, &error);
                else
                        r = kube_parse_many(json, len, SPEC_FILE_MAX, o->ignore_unsupported, &pods, &n, &warnings,
                                            &error);
                STRV_FOREACH(w, warnings)
                        log_warning("%s: %s", input_name(*f), *w);
                if (r == -ENOMEM)
                        return log_oom(), EXIT_FAILURE;
                if (r < 0) {
                        log_error("%s: %s", input_name(*f), error ?: strerror(-r));
                        return EXIT_FAILURE;
                }

                merged = reallocarray(all.pods, all.n + n, sizeof(Pod *));
                if (!merged) {
                        pod_array_free(pods, n);
                        return log_oom(), EXIT_FAILURE;
                }
                all.pods = merged;
                memcpy(all.pods + all.n, pods, n * sizeof(Pod *));
                all.n += n;
                free(pods);   /* the array only: its pods moved into all */
        }

        *ret = all;
        all = (PodList) {};
        return 0;
}

int verb_validate(int argc, char *argv[], Context *ctx) {
        _cleanup_(pod_list_done) PodList list = {};
        _cleanup_strv_free_ char **files = NULL;
        InputOptions in;
        int r;

        r = parse_filename_options("validate", argc, argv, ctx, &files, &in, NULL);
        if (r != PARSE_CONTINUE)
                return r;

        r = load_pods(files, &in, &list);
        if (r != 0)
                return r;

        /* One pod prints as an object, several as an array, so that the output
         * is itself valid input for apply and validate. */
        if (list.n != 1)
                fputs("[\n", stdout);
        for (size_t i = 0; i < list.n; i++) {
                _cleanup_free_ char *json = NULL;

                r = pod_serialize_pretty(list.pods[i], &json);
                if (r < 0)
                        return log_error_errno(r, "cannot serialize pod %s: %m", list.pods[i]->name), EXIT_FAILURE;
                /* drop a trailing newline, if any, to place the separators ourselves */
                if (json[0] && json[strlen(json) - 1] == '\n')
                        json[strlen(json) - 1] = 0;
                fputs(json, stdout);
                if (i + 1 < list.n)
                        fputs(",\n", stdout);
        }
        if (list.n != 1)
                fputs("\n]", stdout);
        fputc('\n', stdout);

        if (fflush(stdout) != 0 || ferror(stdout))
                return log_error_errno(errno, "cannot write to standard output: %m"), EXIT_FAILURE;
        return EXIT_SUCCESS;
}

static bool pod_has_health(const Pod *pod) {
        for (size_t i = 0; i < pod->n_containers; i++) {
                const PodContainer *c = pod->containers + i;

                if (c->notify || c->probes.startup.kind != PROBE_NONE || c->probes.liveness.kind != PROBE_NONE ||
                    c->probes.readiness.kind != PROBE_NONE)
                        return true;
        }
        return false;
}

/* 0 once every pod in names (may be NULL) got there, printing so; an exit status if not. */
static int apply_wait(PodWait *w, char **names, PodWaitFor what, uint64_t deadline) {
        int r;

        if (!names)
                return 0;
        fflush(stdout);
        r = pod_wait_run(w, names, what, deadline);
        if (r != 0)
                return r;
        STRV_FOREACH(n, names)
                printf("pod/%s %s\n", *n, what == POD_WAIT_READY ? "ready" : "running");
        return 0;
}

static int apply_watch_pulls(Context *ctx, const PodList *list, PullProgress **ret) {
        _cleanup_(pull_progress_freep) PullProgress *pp = NULL;
        sd_bus *bus;
        int r;

        r = ctx_bus(ctx, &bus);
        if (r != 0)
                return r;
        r = pull_progress_new(bus, &pp);
        if (r < 0)
                return log_error_errno(r, "cannot subscribe to tankd's pull signals: %m"), EXIT_FAILURE;
        for (size_t i = 0; i < list->n; i++)
                for (size_t k = 0; k < list->pods[i]->n_containers; k++) {
                        const char *image = list->pods[i]->containers[k].image;

                        if (image && pull_progress_add_image(pp, image) < 0)
                                return log_oom(), EXIT_FAILURE;
                }
        *ret = TAKE_PTR(pp);
        return 0;
}

/* The answers to the Apply calls of several pods, in input order. */
typedef struct ApplyBatch {
        sd_bus_message **replies;
        sd_bus_error *errors;
        size_t n;
} ApplyBatch;

static void apply_batch_done(ApplyBatch *b) {
        for (size_t i = 0; b->replies && b->errors && i < b->n; i++) {
                sd_bus_message_unref(b->replies[i]);
                sd_bus_error_free(&b->errors[i]);
        }
        free(b->replies);
        free(b->errors);
        *b = (ApplyBatch) {};
}

int verb_apply(int argc, char *argv[], Context *ctx) {
        _cleanup_(pod_list_done) PodList list = {};
        _cleanup_strv_free_ char **files = NULL, **applied = NULL, **gated = NULL, **jsons = NULL;
        _cleanup_(apply_batch_done) ApplyBatch batch = {};
        _cleanup_(pod_wait_freep) PodWait *w = NULL;
        _cleanup_(pull_progress_freep) PullProgress *pulls = NULL;
        _cleanup_(rollout_watch_freep) RolloutWatch *rw = NULL;
        ApplyOptions o;
        InputOptions in;
        uint64_t deadline;
        int r, ret = EXIT_SUCCESS;

        r = parse_filename_options("apply", argc, argv, ctx, &files, &in, &o);
        if (r != PARSE_CONTINUE)
                return r;
        deadline = o.timeout > 0 ? now_monotonic() + o.timeout : 0;

        /* Validate everything before sending anything: a typo in the third pod
         * must not leave the first two applied. */
        r = load_pods(files, &in, &list);
        if (r != 0)
                return r;
        if (list.n == 0)
                return log_error("no pods in the input"), EXIT_FAILURE;
        /* A revision belongs to one pod's key: for several it would mean nothing. */
        if (o.if_revision >= 0 && list.n != 1)
                return usage_error("apply", "--if-revision applies to exactly one pod, the input has %zu", list.n);

        if (o.wait) {
                r = pod_wait_new(ctx, &w);
                if (r == 0 && o.wait >= APPLY_WAIT_ROLLOUT)
                        r = rollout_watch_new(ctx, &rw);
                if (r != 0)
                        return r;
                /* The pulls of the pods' images show while the wait's loop runs. */
                r = apply_watch_pulls(ctx, &list, &pulls);
                if (r != 0)
                        return r;
        }
        /* Several pods: all their Apply calls in flight together (each waits
         * for its store write; etcd commits concurrent writes together), the
         * answers taken in input order below. */
        if (list.n > 1) {
                jsons = calloc(list.n + 1, sizeof(char *));
                batch = (ApplyBatch) {
                        .replies = calloc(list.n, sizeof(sd_bus_message *)),
                        .errors = calloc(list.n, sizeof(sd_bus_error)),
                        .n = list.n,
                };
                if (!jsons || !batch.replies || !batch.errors)
                        return log_oom(), EXIT_FAILURE;
                for (size_t i = 0; i < list.n; i++) {
                        r = pod_serialize(list.pods[i], &jsons[i]);
                        if (r < 0)
                                return log_error_errno(r, "cannot serialize pod %s: %m", list.pods[i]->name),
                                       EXIT_FAILURE;
                }
                r = manager_call_batch(ctx, "Apply", jsons, list.n, batch.replies, batch.errors);
                if (r != 0)
                        return r;
        }
        for (size_t i = 0; i < list.n; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_free_ char *json = NULL;
                const char *path;

                if (batch.replies) {
                        reply = TAKE_PTR(batch.replies[i]);
                        error = batch.errors[i];
                        batch.errors[i] = SD_BUS_ERROR_NULL;
                        r = reply ? 0 : -1;
                        if (r < 0 && bus_error_is_unreachable(&error))
                                return print_bus_error(&error, NULL);
                } else {
                        r = pod_serialize(list.pods[i], &json);
                        if (r < 0)
                                return log_error_errno(r, "cannot serialize pod %s: %m", list.pods[i]->name),
                                       EXIT_FAILURE;
                        /* Plain Apply unless asked for more: an older tankd knows it. */
                        if (o.if_revision >= 0)
                                r = manager_call_raw(ctx, "ApplyWithOptions", 0, &error, &reply, "sa{sv}", json,
                                                     (unsigned) 1, "if_revision", "t", (uint64_t) o.if_revision);
                        else
                                r = manager_call_raw(ctx, "Apply", 0, &error, &reply, "s", json);
                }
                if (r > 0)
                        return r;   /* tankd unreachable: the other pods would fail the same way */
                if (r < 0 && sd_bus_error_has_name(&error, TANK_ERROR_CONFLICT)) {
                        log_error("%s: %s; nothing was changed (tankctl get %s -o json shows the revision)",
                                  list.pods[i]->name, strna(error.message), list.pods[i]->name);
                        ret = EXIT_FAILURE;
                        continue;
                }
                if (r < 0) {
                        ret = print_bus_error(&error, list.pods[i]->name);
                        continue;
                }
                r = sd_bus_message_read(reply, "o", &path);
                if (r < 0)
                        return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
                printf("pod/%s applied\n", list.pods[i]->name);
                if (rw) {
                        r = rollout_watch_add(rw, ctx, list.pods[i]->name);
                        if (r != 0)
                                return r;
                }
                /* With probes or notify, running is not yet serving. */
                if (o.wait && strv_extend(o.wait >= APPLY_WAIT_READY && pod_has_health(list.pods[i]) ? &gated : &applied,
                                          list.pods[i]->name) < 0)
                        return log_oom(), EXIT_FAILURE;
        }
        /* The rollout first (tank-pod(5), ROLLOUT): it ends, well or not,
         * where a wait for ready would wait on for a revision that never
         * gets there. After a success the phases are there at once. */
        if (rw) {
                fflush(stdout);
                r = rollout_watch_run(rw, ctx, deadline);
                if (r != 0)
                        return r;
        }
        /* tankd acts on an applied pod before it answers, so a phase read
         * from now on is about the new spec. */
        r = apply_wait(w, applied, POD_WAIT_RUNNING, deadline);
        if (r == 0)
                r = apply_wait(w, gated, POD_WAIT_READY, deadline);
        return r != 0 ? r : ret;
}
