/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "escape.h"
#include "daemon/bus-api.h"
#include "daemon/bus-rollout.h"
#include "daemon/image-update.h"
#include "log.h"
#include "reconcile/reconciler.h"
#include "reconcile/rollout-run.h"
#include "store/history.h"
#include "strv.h"

/* RolloutHistory(s pod) -> a(ttsssas): revision, time (usec, realtime), cause,
 * result, reason, images; oldest first. */

static int check_pod(Manager *m, const char *name, sd_bus_error *error, PodState **ret) {
        PodState *p;

        if (!pod_name_is_valid(name))
                return sd_bus_error_setf(error, TANK_ERROR_NO_SUCH_POD, "no pod \"%s\": not a valid pod name", name);
        /* Before the first list the table is empty: "no pod" would be a lie. */
        if (!m->store_synced)
                return sd_bus_error_set(error, TANK_ERROR_STORE_UNAVAILABLE,
                                        "store unreachable: its first list has not arrived yet");
        p = reconciler_get_pod(m->reconciler, name);
        if (!p || !p->desired)
                return sd_bus_error_setf(error, TANK_ERROR_NO_SUCH_POD, "no pod \"%s\"", name);
        if (!m->store)
                return sd_bus_error_set(error, TANK_ERROR_STORE_UNAVAILABLE, "store unreachable: not connected yet");
        *ret = p;
        return 0;
}

static int reply_history(sd_bus_message *call, const HistoryList *l) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ttsssas)");
        for (size_t i = 0; r >= 0 && i < l->n_records; i++) {
                const HistoryRecord *rec = l->records[i];

                r = sd_bus_message_open_container(reply, 'r', "ttsssas");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "ttsss", (uint64_t) rec->revision, rec->time_usec, rec->cause,
                                                  rec->result, rec->reason);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "s");
                for (size_t j = 0; r >= 0 && j < rec->n_images; j++)
                        r = sd_bus_message_append(reply, "s", rec->images[j].image);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

typedef struct UndoCall {
        Manager *manager;
        sd_bus_message *call;
        char *name;
        uint64_t to_revision;           /* 0: the newest earlier revision with another spec */
        int64_t from_revision;          /* the pod's revision when the call came */
        Pod *pod;
} UndoCall;

static void undo_call_free(UndoCall *u) {
        if (!u)
                return;
        sd_bus_message_unref(u->call);
        free(u->name);
        pod_free(u->pod);
        free(u);
}

static void history_listed(Store *s, int r, HistoryList *list, const char *error, void *userdata) {
        _cleanup_(history_list_freep) HistoryList *l = list;
        sd_bus_message *call = userdata;

        if (r < 0 && r != -ECANCELED)
                (void) sd_bus_reply_method_errorf(call, TANK_ERROR_STORE_UNAVAILABLE, "%s",
                                                  error ?: "store request failed");
        else if (r >= 0) {
                STRV_FOREACH(w, l->warnings)
                        log_warning("Ignoring a history record: %s", *w);
                r = reply_history(call, l);
                if (r < 0)
                        (void) sd_bus_reply_method_errnof(call, r, "Failed to send the history: %m");
        }
        sd_bus_message_unref(call);
}

static int method_history(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name;
        PodState *p;
        int r;

        r = sd_bus_message_read(call, "s", &name);
        if (r < 0)
                return r;
        r = check_pod(m, name, error, &p);
        if (r != 0)
                return r;
        r = store_history_list(m->store, name, history_listed, sd_bus_message_ref(call));
        if (r < 0) {
                sd_bus_message_unref(call);
                return r;
        }
        return 1;
}

static void undo_written(Store *s, int r, int64_t mod_revision, const char *error, void *userdata) {
        UndoCall *u = userdata;

        if (r == -ESTALE || r == -EEXIST)
                (void) sd_bus_reply_method_errorf(u->call, TANK_ERROR_CONFLICT,
                                                  "pod %s changed since revision %" PRIi64 " while undoing", u->name,
                                                  u->from_revision);
        else if (r < 0 && r != -ECANCELED)
                (void) sd_bus_reply_method_errorf(u->call, TANK_ERROR_STORE_UNAVAILABLE, "%s",
                                                  error ?: "store request failed");
        else if (r >= 0) {
                log_info("Pod %s: revision %" PRIu64 " written back as revision %" PRIi64 " (undo).", u->name,
                         u->to_revision, mod_revision);
                (void) manager_applied(u->manager, TAKE_PTR(u->pod), mod_revision);
                rollout_note_cause(u->manager->reconciler, u->name, mod_revision, ROLLOUT_CAUSE_UNDO);
                (void) sd_bus_reply_method_return(u->call, "t", (uint64_t) mod_revision);
        }
        undo_call_free(u);
}

static void undo_listed(Store *s, int r, HistoryList *list, const char *error, void *userdata) {
        _cleanup_(history_list_freep) HistoryList *l = list;
        _cleanup_free_ char *reason = NULL;
        const HistoryRecord *target = NULL, *current;
        UndoCall *u = userdata;

        if (r < 0) {
                if (r != -ECANCELED)
                        (void) sd_bus_reply_method_errorf(u->call, TANK_ERROR_STORE_UNAVAILABLE, "%s",
                                                          error ?: "store request failed");
                return undo_call_free(u);
        }
        current = history_list_find(l, u->from_revision);
        for (size_t i = l->n_records; i > 0; i--) {
                const HistoryRecord *rec = l->records[i - 1];

                if (u->to_revision > 0 ? (uint64_t) rec->revision == u->to_revision :
                    rec->revision < u->from_revision && (!current || !streq(rec->spec, current->spec))) {
                        target = rec;
                        break;
                }
        }
        if (!target) {
                if (u->to_revision > 0)
                        (void) sd_bus_reply_method_errorf(u->call, TANK_ERROR_NO_SUCH_REVISION,
                                                          "pod %s has no revision %" PRIu64 " in its history", u->name,
                                                          u->to_revision);
                else
                        (void) sd_bus_reply_method_errorf(u->call, TANK_ERROR_NO_SUCH_REVISION,
                                                          "pod %s has no earlier revision to go back to", u->name);
                return undo_call_free(u);
        }
        u->to_revision = (uint64_t) target->revision;
        r = pod_parse(target->spec, strlen(target->spec), &u->pod, &reason);
        if (r < 0) {
                (void) sd_bus_reply_method_errorf(u->call, TANK_ERROR_INVALID_SPEC, "revision %" PRIi64 ": %s",
                                                  target->revision, strna(reason));
                return undo_call_free(u);
        }
        if (!streq(u->pod->name, u->name)) {
                (void) sd_bus_reply_method_errorf(u->call, TANK_ERROR_INVALID_SPEC,
                                                  "revision %" PRIi64 " is a spec of another pod", target->revision);
                return undo_call_free(u);
        }
        /* Compared on the revision the caller undid: a change in between wins. */
        r = store_pods_put(s, u->pod, u->from_revision, undo_written, u);
        if (r < 0) {
                (void) sd_bus_reply_method_errnof(u->call, r, "Failed to write the pod: %m");
                undo_call_free(u);
        }
}

/* RolloutUndo(s pod, t to_revision) -> (t revision): that revision's spec
 * (0: the newest earlier revision whose spec differs from the current one)
 * written back as a new revision, cause "undo". */
static int method_undo(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name;
        uint64_t to;
        UndoCall *u;
        PodState *p;
        int r;

        r = sd_bus_message_read(call, "st", &name, &to);
        if (r < 0)
                return r;
        r = check_pod(m, name, error, &p);
        if (r != 0)
                return r;
        if (to > INT64_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "%" PRIu64 " is not a store revision", to);
        u = calloc(1, sizeof(UndoCall));
        if (!u)
                return -ENOMEM;
        *u = (UndoCall) { .manager = m, .call = sd_bus_message_ref(call), .to_revision = to,
                          .from_revision = p->mod_revision };
        u->name = strdup(name);
        if (!u->name) {
                undo_call_free(u);
                return -ENOMEM;
        }
        r = store_history_list(m->store, name, undo_listed, u);
        if (r < 0) {
                undo_call_free(u);
                return r;
        }
        return 1;
}

/* CheckUpdates(b dry_run) -> a(sssss): pod, container, image (the tag),
 * current and available digest of every image_update container whose tag
 * moved; without dry_run, those whose update was pulled and written as a new
 * revision (cause "image-update"), once written. */
static void updates_checked(int r, const ImageUpdateItem *items, size_t n, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = userdata, *reply = NULL;

        if (r == -ECANCELED)
                return;
        if (r < 0) {
                (void) sd_bus_reply_method_errnof(call, r, "Failed to check for image updates: %m");
                return;
        }
        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sssss)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "(sssss)", items[i].pod, items[i].container, items[i].image,
                                          items[i].current, items[i].available);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r < 0)
                (void) sd_bus_reply_method_errnof(call, r, "Failed to send the updates: %m");
}

static int method_check_updates(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int dry_run, r;

        r = sd_bus_message_read(call, "b", &dry_run);
        if (r < 0)
                return r;
        if (!m->updater || !m->store || !m->store_synced)
                return sd_bus_error_set(error, TANK_ERROR_STORE_UNAVAILABLE,
                                        "store unreachable: its first list has not arrived yet");
        r = image_updater_check(m->updater, dry_run, updates_checked, sd_bus_message_ref(call));
        if (r < 0) {
                sd_bus_message_unref(call);
                return r;
        }
        return 1;
}

/* ---- the Pod objects' Rollout* properties ---- */

static int property_get_rollout(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const PodState *p = userdata;
        const Rollout *r = pod_state_rollout(p);

        if (streq(property, "RolloutRevision"))
                return sd_bus_message_append(reply, "t", r ? (uint64_t) r->revision : UINT64_C(0));
        if (streq(property, "RolloutResult"))
                return sd_bus_message_append(reply, "s", r ? rollout_result_to_string(r->result) : "");
        if (streq(property, "RolloutCause"))
                return sd_bus_message_append(reply, "s", r ? rollout_cause_to_string(r->cause) : "");
        if (streq(property, "RolloutReason")) {
                /* It quotes a container's message, cut at a byte count. */
                _cleanup_free_ char *reason = str_escape_control(r ? r->reason : "");

                return reason ? sd_bus_message_append(reply, "s", reason) : -ENOMEM;
        }
        if (streq(property, "RolloutHealthyUSec"))
                return sd_bus_message_append(reply, "t", pod_state_rollout_healthy_usec(p));
        if (streq(property, "RolloutMinHealthyUSec"))
                return sd_bus_message_append(reply, "t", r ? r->params.min_healthy_usec : UINT64_C(0));
        return -ENOENT;
}

static const sd_bus_vtable manager_rollout_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("RolloutHistory", SD_BUS_ARGS("s", pod), SD_BUS_RESULT("a(ttsssas)", revisions),
                                method_history, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RolloutUndo", SD_BUS_ARGS("s", pod, "t", to_revision), SD_BUS_RESULT("t", revision),
                                method_undo, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CheckUpdates", SD_BUS_ARGS("b", dry_run), SD_BUS_RESULT("a(sssss)", updates),
                                method_check_updates, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable rollout_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("RolloutRevision", "t", property_get_rollout, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RolloutCause", "s", property_get_rollout, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RolloutResult", "s", property_get_rollout, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RolloutReason", "s", property_get_rollout, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        /* Grows with the clock: read it, no signal for each microsecond. */
        SD_BUS_PROPERTY("RolloutHealthyUSec", "t", property_get_rollout, 0, 0),
        SD_BUS_PROPERTY("RolloutMinHealthyUSec", "t", property_get_rollout, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_SIGNAL_WITH_NAMES("RolloutFinished", "uss", SD_BUS_PARAM(revision) SD_BUS_PARAM(result)
                                 SD_BUS_PARAM(reason), 0),
        SD_BUS_VTABLE_END,
};

int bus_rollout_install(Manager *m) {
        int r;

        r = sd_bus_add_object_vtable(m->bus, NULL, TANK_BUS_PATH, TANK_MANAGER_INTERFACE, manager_rollout_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the rollout methods: %m");
        /* A second vtable of the Pod interface, merged with bus-pod.c's by sd-bus. */
        r = sd_bus_add_fallback_vtable(m->bus, NULL, TANK_BUS_POD_PREFIX, TANK_POD_INTERFACE, rollout_vtable,
                                       bus_pod_find, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the Pod interface's rollout properties: %m");
        return 0;
}

/* Every value bus_rollout_changed() announces, as one string; NULL on
 * failure. A start reports its rollout's progress at each step, most of them
 * without a change: five identical announcements per apply (issue 15). */
static char *rollout_announcement(const PodState *p) {
        const Rollout *r = pod_state_rollout(p);
        char *s = NULL;

        if (!r)
                return strdup("");
        if (asprintf(&s, "%" PRIi64 "\n%s\n%s\n%s\n%" PRIu64, r->revision, rollout_result_to_string(r->result),
                     rollout_cause_to_string(r->cause), strempty(r->reason), r->params.min_healthy_usec) < 0)
                return NULL;
        return s;
}

void bus_rollout_changed(Reconciler *rc, PodState *p, void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ char *path = NULL;

        if (m->bus && bus_announcement_changed(&m->rollout_announced, p->name, rollout_announcement(p)) &&
            bus_pod_object_path(p->name, &path) >= 0)
                (void) sd_bus_emit_properties_changed(m->bus, path, TANK_POD_INTERFACE, "RolloutRevision",
                                                      "RolloutCause", "RolloutResult", "RolloutReason",
                                                      "RolloutMinHealthyUSec", NULL);
}

void bus_rollout_finished(Reconciler *rc, PodState *p, int64_t revision, const char *result, const char *reason,
                          void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ char *path = NULL, *text = str_escape_control(reason);

        /* RolloutFinished's revision is a "u" (DESIGN.md); store revisions
         * beyond 32 bits are sent truncated, which tankctl compares alike. */
        if (m->bus && bus_pod_object_path(p->name, &path) >= 0)
                (void) sd_bus_emit_signal(m->bus, path, TANK_POD_INTERFACE, "RolloutFinished", "uss",
                                          (uint32_t) revision, result, strempty(text));
}
