/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tankctl rollout history|undo, the Rollout line of get, and apply --wait's
 * wait for the rollout of the revisions it wrote (issue 16). */
#include <inttypes.h>
#include <stdlib.h>

#include "escape.h"
#include "json-guard.h"
#include "log.h"
#include "pod-wait.h"
#include "spec/pod.h"
#include "strv.h"
#include "tankctl.h"

#define STATUS_JSON_MAX (4U * 1024U * 1024U)

static bool result_is_final(const char *r) {
        return r && !isempty(r) && !streq(r, "in-progress");
}

void print_rollout(yajl_val status) {
        yajl_val ro = json_guard_get(status, "rollout");
        const char *result = json_string(ro, "result"), *reason = json_string(ro, "reason");
        long long revision = 0, healthy = 0, min = 0;

        if (!ro || !json_int(ro, "revision", &revision) || !result)
                return;
        (void) json_int(ro, "healthy_usec", &healthy);
        (void) json_int(ro, "min_healthy_usec", &min);
        if (streq(result, "in-progress"))
                printf("Rollout:     revision %lld in progress, %lld s healthy of %lld\n", revision,
                       healthy / 1000000, min / 1000000);
        else
                printf("Rollout:     revision %lld %s%s%s\n", revision, result, isempty(reason) ? "" : ": ",
                       strempty(reason));
}

static int verb_rollout_history(Context *ctx, const char *name) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        bool header = false;
        int r;

        r = manager_call(ctx, "RolloutHistory", 0, name, &reply, "s", name);
        if (r != 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(ttsssas)");
        if (r < 0)
                return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
        for (;;) {
                _cleanup_strv_free_ char **images = NULL;
                _cleanup_free_ char *joined = NULL, *ecause = NULL, *eimages = NULL, *eresult = NULL, *ereason = NULL;
                const char *cause, *result, *reason;
                uint64_t revision, time;
                char age[AGE_MAX] = "-";

                r = sd_bus_message_enter_container(reply, 'r', "ttsssas");
                if (r == 0)
                        break;
                if (r > 0)
                        r = sd_bus_message_read(reply, "ttsss", &revision, &time, &cause, &result, &reason);
                if (r > 0)
                        r = sd_bus_message_read_strv(reply, &images);
                if (r > 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
                if (!header) {
                        printf("%-9s  %-14s  %-12s  %-40s  %s\n", "REVISION", "TIME", "CAUSE", "IMAGE(S)", "RESULT");
                        header = true;
                }
                if (time > 0 && time <= now_realtime()) {
                        format_age(age, sizeof age, now_realtime() - time);
                        strncat(age, " ago", sizeof age - strlen(age) - 1);
                }
                joined = strv_join(images, ",");
                if (!joined)
                        return log_oom(), EXIT_FAILURE;
                /* Images and reasons come from specs, registries and containers. */
                ecause = str_escape_control(cause);
                eimages = str_escape_control(joined);
                eresult = str_escape_control(result);
                ereason = str_escape_control(reason);
                if (!ecause || !eimages || !eresult || !ereason)
                        return log_oom(), EXIT_FAILURE;
                printf("%-9" PRIu64 "  %-14s  %-12s  %-40s  %s%s%s%s\n", revision, age, ecause, eimages, eresult,
                       isempty(ereason) ? "" : " (", ereason, isempty(ereason) ? "" : ")");
        }
        if (!header)
                printf("No revisions.\n");
        return EXIT_SUCCESS;
}

static int verb_rollout_undo(Context *ctx, const char *name, uint64_t to) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        uint64_t revision;
        int r;

        r = manager_call(ctx, "RolloutUndo", 0, name, &reply, "st", name, to);
        if (r != 0)
                return r;
        r = sd_bus_message_read(reply, "t", &revision);
        if (r < 0)
                return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
        printf("pod/%s rolled back (revision %" PRIu64 ")\n", name, revision);
        return EXIT_SUCCESS;
}

int verb_rollout(int argc, char *argv[], Context *ctx) {
        enum { ARG_TO_REVISION = ARG_VERB_BASE };
        static const struct option options[] = {
                COMMON_LONG_OPTIONS,
                { "to-revision", required_argument, NULL, ARG_TO_REVISION },
                {}
        };
        uint64_t to = 0;
        const char *sub, *name;
        char *end;
        int c;

        while ((c = getopt_long(argc, argv, COMMON_SHORT_OPTIONS, options, NULL)) >= 0) {
                if (common_option(ctx, c))
                        continue;
                switch (c) {
                case 'h':
                        verb_help("rollout");
                        return EXIT_SUCCESS;
                case ARG_TO_REVISION:
                        errno = 0;
                        to = strtoull(optarg, &end, 10);
                        if (!(optarg[0] >= '1' && optarg[0] <= '9') || *end || errno == ERANGE || to > INT64_MAX)
                                return usage_error("rollout", "--to-revision=%s: not a revision", optarg);
                        break;
                default:
                        return bad_option("rollout");
                }
        }
        if (optind >= argc)
                return usage_error("rollout", "missing \"history\" or \"undo\"");
        sub = argv[optind];
        if (!streq(sub, "history") && !streq(sub, "undo"))
                return usage_error("rollout", "unknown rollout command \"%s\" (history, undo)", sub);
        if (argc - optind != 2)
                return usage_error("rollout", optind + 1 >= argc ? "missing pod name" : "exactly one pod name expected");
        name = argv[optind + 1];
        if (!pod_name_is_valid(name))
                return usage_error("rollout", "\"%s\" is not a valid pod name (a lowercase DNS label)", name);
        if (streq(sub, "history")) {
                if (to > 0)
                        return usage_error("rollout", "--to-revision is an option of rollout undo");
                return verb_rollout_history(ctx, name);
        }
        return verb_rollout_undo(ctx, name, to);
}

/* ---- apply --wait: the rollout of each revision written ---- */

typedef struct Awaited {
        char *name;
        char *path;
        uint64_t revision;
        char *result;                   /* NULL until it finished */
        char *reason;
} Awaited;

struct RolloutWatch {
        sd_bus *bus;
        sd_bus_slot *match;
        Awaited *pods;
        size_t n_pods;
};

RolloutWatch *rollout_watch_free(RolloutWatch *w) {
        if (!w)
                return NULL;
        sd_bus_slot_unref(w->match);
        for (size_t i = 0; i < w->n_pods; i++) {
                free(w->pods[i].name);
                free(w->pods[i].path);
                free(w->pods[i].result);
                free(w->pods[i].reason);
        }
        free(w->pods);
        return mfree(w);
}

static void awaited_finish(Awaited *a, const char *result, const char *reason) {
        if (a->result)
                return;
        a->result = strdup(result);
        a->reason = strdup(strempty(reason));
}

static int on_rollout_finished(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        RolloutWatch *w = userdata;
        const char *result, *reason, *path = sd_bus_message_get_path(m);
        uint32_t revision;

        if (sd_bus_message_read(m, "uss", &revision, &result, &reason) < 0 || !path)
                return 0;
        for (size_t i = 0; i < w->n_pods; i++)
                if (streq(w->pods[i].path, path) && (uint32_t) w->pods[i].revision == revision)
                        awaited_finish(&w->pods[i], result, reason);
        return 0;
}

int rollout_watch_new(Context *ctx, RolloutWatch **ret) {
        _cleanup_(rollout_watch_freep) RolloutWatch *w = calloc(1, sizeof(RolloutWatch));
        int r;

        if (!w)
                return log_oom(), EXIT_FAILURE;
        r = ctx_bus(ctx, &w->bus);
        if (r != 0)
                return r;
        /* Before the Apply: a rollout that ends at once is not missed. */
        r = sd_bus_match_signal(w->bus, &w->match, TANK_BUS_NAME, NULL, TANK_POD_INTERFACE, "RolloutFinished",
                                on_rollout_finished, w);
        if (r < 0)
                return log_error_errno(r, "cannot subscribe to tankd's signals: %m"), EXIT_FAILURE;
        *ret = TAKE_PTR(w);
        return 0;
}

/* The revision a pod is at, and its rollout if that one has finished already. */
static int read_status(RolloutWatch *w, Context *ctx, Awaited *a, bool take_revision) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_yajl_ yajl_val status = NULL;
        const char *spec, *json, *result;
        long long revision = 0, rrev = 0;
        yajl_val ro;
        int r;

        r = manager_call(ctx, "Get", 0, a->name, &reply, "s", a->name);
        if (r != 0)
                return r;
        r = sd_bus_message_read(reply, "ss", &spec, &json);
        if (r < 0)
                return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
        r = json_guard_parse(json, strlen(json), STATUS_JSON_MAX, 64, &status, NULL);
        if (r < 0)
                return log_error_errno(r, "bad status from tankd: %m"), EXIT_FAILURE;
        if (take_revision) {
                if (!json_int(status, "revision", &revision) || revision <= 0)
                        return log_error("%s: tankd did not say the pod's revision", a->name), EXIT_FAILURE;
                a->revision = (uint64_t) revision;
        }
        /* One answer: the rollout's revision and result belong together. */
        ro = json_guard_get(status, "rollout");
        result = json_string(ro, "result");
        if (json_int(ro, "revision", &rrev) && (uint64_t) rrev == a->revision && result_is_final(result))
                awaited_finish(a, result, json_string(ro, "reason"));
        return 0;
}

int rollout_watch_add(RolloutWatch *w, Context *ctx, const char *name) {
        Awaited *n;
        int r;

        n = reallocarray(w->pods, w->n_pods + 1, sizeof(Awaited));
        if (!n)
                return log_oom(), EXIT_FAILURE;
        w->pods = n;
        n = &w->pods[w->n_pods];
        *n = (Awaited) {};
        n->name = strdup(name);
        if (!n->name || sd_bus_path_encode(TANK_BUS_POD_PREFIX, name, &n->path) < 0) {
                free(n->name);
                return log_oom(), EXIT_FAILURE;
        }
        w->n_pods++;
        /* tankd took the write in before it answered: Get says its revision. */
        r = read_status(w, ctx, n, true);
        return r;
}

int rollout_watch_run(RolloutWatch *w, Context *ctx, uint64_t deadline) {
        int r, ret = EXIT_SUCCESS;

        /* Finished while we waited for the phases, or before: the status says. */
        for (size_t i = 0; i < w->n_pods; i++)
                if (!w->pods[i].result) {
                        r = read_status(w, ctx, &w->pods[i], false);
                        if (r != 0)
                                return r;
                }
        for (;;) {
                bool all = true;

                for (size_t i = 0; i < w->n_pods; i++)
                        all = all && w->pods[i].result;
                if (all)
                        break;
                r = sd_bus_process(w->bus, NULL);
                if (r < 0)
                        return log_error_errno(r, "lost the connection to the bus: %m"), EXIT_FAILURE;
                if (r > 0)
                        continue;
                if (deadline > 0 && now_monotonic() >= deadline) {
                        for (size_t i = 0; i < w->n_pods; i++)
                                if (!w->pods[i].result)
                                        log_error("%s: timed out waiting for the rollout of revision %" PRIu64,
                                                  w->pods[i].name, w->pods[i].revision);
                        return EXIT_FAILURE;
                }
                r = sd_bus_wait(w->bus, deadline > 0 ? deadline - MIN(deadline, now_monotonic()) + 1 : UINT64_MAX);
                if (r < 0 && r != -EINTR)
                        return log_error_errno(r, "cannot wait on the bus: %m"), EXIT_FAILURE;
        }
        for (size_t i = 0; i < w->n_pods; i++) {
                Awaited *a = &w->pods[i];
                _cleanup_free_ char *e = str_escape_control(strempty(a->reason));

                if (!a->result)
                        return log_oom(), EXIT_FAILURE;
                if (streq(a->result, "succeeded")) {
                        printf("pod/%s revision %" PRIu64 " rolled out\n", a->name, a->revision);
                        continue;
                }
                log_error("%s: revision %" PRIu64 " %s%s%s", a->name, a->revision, a->result, isempty(e) ? "" : ": ",
                          strempty(e));
                ret = EXIT_FAILURE;
        }
        return ret;
}
