/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pod.h"
#include "rollout-field.h"

PodRollout pod_rollout(const Pod *p) {
        if (p && p->rollout.set)
                return p->rollout;
        return (PodRollout) {
                .min_healthy_sec = ROLLOUT_MIN_HEALTHY_SEC_DEFAULT,
                .deadline_sec = ROLLOUT_DEADLINE_SEC_DEFAULT,
                .auto_revert = true,
        };
}

int pod_rollout_parse(Ctx *c, const JsonValue *v, const char *path, PodRollout *ret) {
        static const char *const fields[] = { "min_healthy_sec", "deadline_sec", "auto_revert", NULL };
        static const char *const required[] = { NULL };
        PodRollout ro = pod_rollout(NULL);
        const JsonValue *x;
        int r;

        r = check_fields(c, v, path, fields, required);
        if (r < 0)
                return r;
        if ((x = json_object_get(v, "min_healthy_sec"))) {
                FIELD_PATH(p, path, "min_healthy_sec");
                r = get_uint_range(c, x, p, 0, ROLLOUT_SECONDS_MAX, &ro.min_healthy_sec);
                if (r < 0)
                        return r;
        }
        if ((x = json_object_get(v, "deadline_sec"))) {
                FIELD_PATH(p, path, "deadline_sec");
                r = get_uint_range(c, x, p, 1, ROLLOUT_SECONDS_MAX, &ro.deadline_sec);
                if (r < 0)
                        return r;
        }
        /* A deadline that comes before a container can have been healthy long
         * enough would fail every rollout; refuse it where it is written. */
        if (ro.deadline_sec <= ro.min_healthy_sec) {
                FIELD_PATH(p, path, json_object_get(v, "deadline_sec") ? "deadline_sec" : "min_healthy_sec");
                return fail(c, p, "deadline_sec (%u) must be greater than min_healthy_sec (%u)", ro.deadline_sec,
                            ro.min_healthy_sec);
        }
        if ((x = json_object_get(v, "auto_revert"))) {
                FIELD_PATH(p, path, "auto_revert");
                r = get_bool(c, x, p, &ro.auto_revert);
                if (r < 0)
                        return r;
        }
        ro.set = true;
        *ret = ro;
        return 0;
}

int pod_rollout_gen(JsonGen *g, const PodRollout *ro) {
        int r;

        if (!ro->set)
                return 0;
        r = json_gen_string(g, "rollout");
        if (r >= 0)
                r = json_gen_map_open(g);
        if (r >= 0)
                r = json_gen_kv_integer(g, "min_healthy_sec", ro->min_healthy_sec);
        if (r >= 0)
                r = json_gen_kv_integer(g, "deadline_sec", ro->deadline_sec);
        if (r >= 0)
                r = json_gen_kv_bool(g, "auto_revert", ro->auto_revert);
        if (r >= 0)
                r = json_gen_map_close(g);
        return r < 0 ? r : 0;
}
