/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <grp.h>
#include <inttypes.h>

#include "daemon/bus-api.h"
#include "spec/image-pin.h"
#include "daemon/bus-events.h"
#include "daemon/bus-exec.h"
#include "daemon/bus-images.h"
#include "daemon/bus-nodes.h"
#include "daemon/bus-pull.h"
#include "daemon/bus-stats.h"
#include "daemon/node.h"
#include "daemon/bus-rollout.h"
#include "daemon/pod-status.h"
#include "daemon/scheduler.h"
#include "json-guard.h"
#include "time-util.h"
#include "daemon/volumes.h"
#include "log.h"
#include "reconcile/reconciler.h"
#include "spec/reference.h"
#include "strv.h"

static int reply_store_error(sd_bus_message *call, int r, const char *error) {
        return sd_bus_reply_method_errorf(call, TANK_ERROR_STORE_UNAVAILABLE, "%s",
                                          error ?: "store request failed");
}

/* Whether the caller of `call` is root or in group TANK_GROUP (as its primary
 * group or a supplementary one): those the D-Bus policy lets change Tank's
 * state, and the only ones who may see what only they should (env values,
 * volume sizes). 1 yes, 0 no, < 0 if the credentials could not be had. */
static int caller_is_privileged(sd_bus_message *call) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        _cleanup_free_ char *buf = NULL;
        struct group grp, *g = NULL;
        const gid_t *gids = NULL;
        uid_t uid;
        gid_t gid;
        int n, r;

        r = sd_bus_query_sender_creds(call,
                                      SD_BUS_CREDS_EUID | SD_BUS_CREDS_EGID | SD_BUS_CREDS_SUPPLEMENTARY_GIDS |
                                      SD_BUS_CREDS_AUGMENT,
                                      &creds);
        if (r < 0)
                return r;
        r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                return r;
        if (uid == 0)
                return 1;

        /* A group with many members needs a larger buffer than sysconf's guess. */
        for (size_t size = MAX((size_t) MAX(sysconf(_SC_GETGR_R_SIZE_MAX), 0L), (size_t) 16384);; size *= 2) {
                free(buf);
                buf = malloc(size);
                if (!buf)
                        return -ENOMEM;
                r = getgrnam_r(TANK_GROUP, &grp, buf, size, &g);
                if (r == 0)
                        break;
                if (r != ERANGE || size >= 1024 * 1024)
                        return -r;
        }
        if (!g)
                return 0;       /* no such group: nobody is in it */
        if (sd_bus_creds_get_egid(creds, &gid) >= 0 && gid == g->gr_gid)
                return 1;
        n = sd_bus_creds_get_supplementary_gids(creds, &gids);
        for (int i = 0; i < n; i++)
                if (gids[i] == g->gr_gid)
                        return 1;
        return 0;
}

typedef struct ApplyCall {
        Manager *manager;
        sd_bus_message *call;
        Pod *pod;
        int64_t if_revision;    /* < 0: a plain put; 0: create only; > 0: only over this revision */
        bool reserved;          /* a->pod is reserved (reconciler_reserve_apply()) */
        char *node;             /* a new pod written with its binding to this node */
} ApplyCall;

/* While the write is on its way, its addresses are taken, so that a second
 * Apply racing this one is refused; the reservation ends when the store
 * answered: the pod is then desired, or not written at all. */
static int apply_reserve(ApplyCall *a) {
        int r;

        r = reconciler_reserve_apply(a->manager->reconciler, a->pod);
        if (r < 0)
                return r;
        a->reserved = true;
        return 0;
}

static void apply_unreserve(ApplyCall *a) {
        if (!a->reserved)
                return;
        a->reserved = false;
        reconciler_release_apply(a->manager->reconciler, a->pod);
}

static void apply_call_free(ApplyCall *a) {
        if (!a)
                return;
        apply_unreserve(a);
        sd_bus_message_unref(a->call);
        pod_free(a->pod);
        free(a->node);
        free(a);
}

static void reply_conflict(ApplyCall *a, int64_t current) {
        const char *name = a->pod->name;

        if (a->if_revision == 0)
                (void) sd_bus_reply_method_errorf(a->call, TANK_ERROR_CONFLICT,
                                                  "pod %s already exists (revision %" PRIi64 "), expected none",
                                                  name, current);
        else if (current == 0)
                (void) sd_bus_reply_method_errorf(a->call, TANK_ERROR_CONFLICT,
                                                  "pod %s does not exist, expected revision %" PRIi64,
                                                  name, a->if_revision);
        else
                (void) sd_bus_reply_method_errorf(a->call, TANK_ERROR_CONFLICT,
                                                  "pod %s is at revision %" PRIi64 ", not %" PRIi64
                                                  ": it changed since that revision was read",
                                                  name, current, a->if_revision);
}

static void apply_done(Store *s, int r, int64_t mod_revision, const char *error, void *userdata) {
        ApplyCall *a = userdata;
        _cleanup_free_ char *path = NULL;

        /* From here on the pod table answers for this write (it is desired
         * at once below), or the write did not happen. */
        apply_unreserve(a);
        if (r == -ECANCELED)
                goto finish;
        /* The store's compare failed: the caller's expected revision is not the
         * stored one. Never retried: that would be last-writer-wins again. */
        if (r == -ESTALE || r == -EEXIST) {
                reply_conflict(a, mod_revision);
                goto finish;
        }
        if (r < 0) {
                (void) reply_store_error(a->call, r, error);
                goto finish;
        }
        r = bus_pod_object_path(a->pod->name, &path);
        (void) manager_applied(a->manager, TAKE_PTR(a->pod), mod_revision);
        if (r < 0)
                (void) sd_bus_reply_method_errno(a->call, r, NULL);
        else
                (void) sd_bus_reply_method_return(a->call, "o", path);
finish:
        apply_call_free(a);
}

/* The pod and its binding in one txn: done, or (the pod or a binding
 * appeared meanwhile) the plain write after all. */
static void apply_bound_done(Store *s, int r, int64_t mod_revision, const char *error, void *userdata) {
        ApplyCall *a = userdata;

        /* NULL once the Manager is going (the store cancels after it). */
        scheduler_release(a->manager->scheduler, a->pod->name);
        if (r == -EAGAIN) {
                a->node = mfree(a->node);
                r = store_pods_put(s, a->pod, a->if_revision, apply_done, a);
                if (r >= 0)
                        return;
                error = "could not queue the write";
        } else if (r >= 0)
                scheduler_note_bound(a->manager->scheduler, a->pod->name, a->node, mod_revision);
        apply_done(s, r, mod_revision, error, a);
}

/* ---- calls before the store's first list ----
 *
 * tankd owns its bus name before the store has delivered its first full list
 * (so that bus activation and early callers are not refused). Until that
 * list, the pod table is empty: Get would answer "no pod" for a pod that
 * exists, Apply's admission checks (an IP another pod uses) would see no
 * other pods. So the calls that answer from the table wait for the list, as
 * systemd queues jobs until it is up; a store that does not answer in
 * HELD_TIMEOUT_USEC gets them an error. */

#define HELD_CALLS_MAX 1024U
#define HELD_TIMEOUT_USEC (20U * 1000U * 1000U)
#define HELD_UNAVAILABLE "store unreachable: its first list has not arrived yet"

typedef struct HeldCall {
        sd_bus_message *call;
        sd_bus_message_handler_t handler;
} HeldCall;

void bus_api_free_held(Manager *m) {
        for (size_t i = 0; i < m->n_held_calls; i++)
                sd_bus_message_unref(m->held_calls[i].call);
        m->held_calls = mfree(m->held_calls);
        m->n_held_calls = 0;
        m->held_timer = sd_event_source_disable_unref(m->held_timer);
}

static int on_held_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        for (size_t i = 0; i < m->n_held_calls; i++)
                (void) sd_bus_reply_method_errorf(m->held_calls[i].call, TANK_ERROR_STORE_UNAVAILABLE,
                                                  HELD_UNAVAILABLE);
        bus_api_free_held(m);
        return 0;
}

/* 1: held, or refused (replied); 0: the table is there, go on; < 0: error. */
static int hold_until_synced(Manager *m, sd_bus_message *call, sd_bus_message_handler_t handler) {
        HeldCall *n;
        int r;

        if (m->store_synced)
                return 0;
        if (m->n_held_calls >= HELD_CALLS_MAX) {
                r = sd_bus_reply_method_errorf(call, TANK_ERROR_STORE_UNAVAILABLE, HELD_UNAVAILABLE);
                return r < 0 ? r : 1;
        }
        n = reallocarray(m->held_calls, m->n_held_calls + 1, sizeof(HeldCall));
        if (!n)
                return -ENOMEM;
        m->held_calls = n;
        if (!m->held_timer) {
                r = sd_event_add_time_relative(m->event, &m->held_timer, CLOCK_MONOTONIC, HELD_TIMEOUT_USEC, 0,
                                               on_held_timeout, m);
                if (r < 0)
                        return r;
        }
        m->held_calls[m->n_held_calls++] = (HeldCall) { sd_bus_message_ref(call), handler };
        return 1;
}

void bus_api_release_held(Manager *m) {
        HeldCall *calls = TAKE_PTR(m->held_calls);
        size_t n = m->n_held_calls;

        m->n_held_calls = 0;
        m->held_timer = sd_event_source_disable_unref(m->held_timer);
        for (size_t i = 0; i < n; i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                int r;

                r = sd_bus_message_rewind(calls[i].call, true);
                if (r >= 0)
                        r = calls[i].handler(calls[i].call, m, &error);
                if (sd_bus_error_is_set(&error))
                        (void) sd_bus_reply_method_error(calls[i].call, &error);
                else if (r < 0)
                        (void) sd_bus_reply_method_errno(calls[i].call, r, NULL);
                sd_bus_message_unref(calls[i].call);
        }
        free(calls);
}

/* Apply's body, after the arguments were read. if_revision as in ApplyCall. */
static int apply_spec(Manager *m, sd_bus_message *call, const char *json, int64_t if_revision,
                      sd_bus_error *error) {
        _cleanup_free_ char *reason = NULL;
        _cleanup_pod_free_ Pod *pod = NULL;
        PodState *current;
        ApplyCall *a;
        int r;

        r = pod_parse(json, strlen(json), &pod, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_setf(error, TANK_ERROR_INVALID_SPEC, "%s", strna(reason));
        /* What the pod needs of a host is checked here on a fleet of one (or
         * for a pod pinned here); else by the scheduler against the node it
         * picks, whose record lists its interfaces (an unschedulable pod says
         * which node lacks what). */
        r = reconciler_check_admission(m->reconciler, pod,
                                       scheduler_n_nodes(m->scheduler) <= 1 ||
                                       streq_ptr(pod->placement.node, node_name(m->node)),
                                       &reason);
        if (r < 0)
                return sd_bus_error_setf(error, TANK_ERROR_INVALID_SPEC, "%s", strna(reason));
        /* The plain tag of an image_update container keeps the digest its last
         * update pinned (spec/image-pin.h): the tag is the intent, not a downgrade. */
        current = reconciler_get_pod(m->reconciler, pod->name);
        r = pod_carry_image_pins(pod, current ? current->desired : NULL);
        if (r < 0)
                return r;
        if (r > 0)
                log_info("Pod %s: %d image update pins kept for the same tag.", pod->name, r);
        if (!m->store)
                return sd_bus_error_set(error, TANK_ERROR_STORE_UNAVAILABLE, "store unreachable: not connected yet");

        a = calloc(1, sizeof(ApplyCall));
        if (!a)
                return -ENOMEM;
        a->manager = m;
        a->call = sd_bus_message_ref(call);
        a->pod = TAKE_PTR(pod);
        a->if_revision = if_revision;
        r = apply_reserve(a);
        if (r < 0) {
                apply_call_free(a);
                return r;
        }

        /* Apply is create-or-replace: a plain put, acknowledged by the store.
         * With an expected revision the store itself compares (a txn on the
         * key's mod_revision), not our copy, which may lag behind the watch. */
        /* A new pod, and this node schedules: bind it in the same txn. */
        if (if_revision <= 0 && !(current && current->desired)) {
                r = scheduler_decide_new(m->scheduler, a->pod, &a->node);
                if (r < 0) {
                        apply_call_free(a);
                        return r;
                }
        }
        if (a->node)
                r = store_pods_create_bound(m->store, a->pod, a->node, now_realtime_usec(), apply_bound_done, a);
        else
                r = store_pods_put(m->store, a->pod, if_revision, apply_done, a);
        if (r < 0) {
                if (a->node)
                        scheduler_release(m->scheduler, a->pod->name);
                apply_call_free(a);
                return r;
        }
        return 1;
}

static int method_apply(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *json;
        int r;

        r = hold_until_synced(m, call, method_apply);
        if (r != 0)
                return r;
        r = sd_bus_message_read(call, "s", &json);
        if (r < 0)
                return r;
        return apply_spec(m, call, json, -1, error);
}

/* ApplyWithOptions(s spec_json, a{sv} options): Apply with options; an unknown
 * option or a wrong type is refused, never ignored, so that a caller cannot
 * believe in a check this tankd does not make. */
static int method_apply_with_options(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int64_t if_revision = -1;
        const char *json, *key;
        int r;

        r = hold_until_synced(m, call, method_apply_with_options);
        if (r != 0)
                return r;
        r = sd_bus_message_read(call, "s", &json);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(call, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(call, 'e', "sv")) > 0) {
                r = sd_bus_message_read(call, "s", &key);
                if (r < 0)
                        return r;
                if (streq(key, "if_revision")) {
                        uint64_t v;

                        if (sd_bus_message_verify_type(call, 'v', "t") <= 0)
                                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                                                        "option if_revision must be of type t (uint64)");
                        r = sd_bus_message_read(call, "v", "t", &v);
                        if (r < 0)
                                return r;
                        if (v > INT64_MAX)
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                         "option if_revision: %" PRIu64 " is not a store revision", v);
                        if_revision = (int64_t) v;
                } else
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "unknown option \"%s\"", key);
                r = sd_bus_message_exit_container(call);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(call);
        if (r < 0)
                return r;
        return apply_spec(m, call, json, if_revision, error);
}

/* The status object gains "node" (bound/<pod>, "" while unbound) and
 * "unschedulable" (the scheduler's reason, "" when none): the placement is
 * the daemon's knowledge, not the Reconciler's. */
static int status_add_placement(Manager *m, const char *name, char **status) {
        _cleanup_(json_gen_freep) JsonGen *g = json_gen_new(0);
        _cleanup_free_ char *extra = NULL;
        size_t n = strlen(*status);
        char *joined;
        int r;

        if (!g)
                return -ENOMEM;
        json_gen_map_open(g);
        json_gen_kv_string(g, "node", strempty(scheduler_pod_node(m->scheduler, name)));
        json_gen_kv_string(g, "unschedulable", strempty(scheduler_pod_reason(m->scheduler, name)));
        json_gen_map_close(g);
        r = json_gen_finish(g, &extra, NULL, NULL);
        if (r < 0)
                return r;
        /* "{...}" + "{...}" -> "{...,...}" */
        if (n < 2 || (*status)[n - 1] != '}' || extra[0] != '{')
                return -EINVAL;
        if (asprintf(&joined, "%.*s%s%s", (int) (n - 1), *status, n > 2 ? "," : "", extra + 1) < 0)
                return -ENOMEM;
        free(*status);
        *status = joined;
        return 0;
}

static int method_get(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *spec = NULL, *status = NULL;
        const char *name;
        PodState *p;
        int r;

        r = hold_until_synced(m, call, method_get);
        if (r != 0)
                return r;
        r = sd_bus_message_read(call, "s", &name);
        if (r < 0)
                return r;
        p = reconciler_get_pod(m->reconciler, name);
        if (!p || !p->desired)
                return sd_bus_error_setf(error, TANK_ERROR_NO_SUCH_POD, "no pod \"%s\"", name);
        /* Env values are where secrets live: only those who may change the pod
         * may read them. Everyone else gets the shape and the status. */
        r = caller_is_privileged(call);
        if (r < 0)
                log_debug_errno(r, "Cannot tell whether the caller of Get may see env values, assuming not: %m");
        r = r > 0 ? pod_serialize(p->desired, &spec) : pod_serialize_redacted(p->desired, &spec);
        if (r < 0)
                return r;
        {
                PodStatusView v;
                PodStatusOverride o;
                bool elsewhere = pod_status_view(m->pod_status, p, &v) > 0;

                if (elsewhere)
                        o = (PodStatusOverride) { .phase = v.phase, .ready = v.ready, .restarts = v.restarts };
                r = pod_state_status_json(p, elsewhere ? &o : NULL, &status);
        }
        if (r < 0)
                return r;
        r = status_add_placement(m, p->name, &status);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(call, "ss", spec, status);
}

static int image_summary(const Pod *pod, char **ret) {
        const PodContainer *c = &pod->containers[0];
        const char *s = c->image ?: c->rootfs;
        char *r;

        if (pod->n_containers > 1) {
                if (asprintf(&r, "%s (+%zu)", s, pod->n_containers - 1) < 0)
                        return -ENOMEM;
        } else if (!(r = strdup(s)))
                return -ENOMEM;
        *ret = r;
        return 0;
}

/* extended: ListExtended's rows, List's and also the container count and the
 * creation time, so that `tankctl list` needs no Get per pod. */
static int reply_list(sd_bus_message *call, Manager *m, bool extended) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *row = extended ? "(sssuuut)" : "(sssuu)";
        PodState *p;
        int r;

        r = sd_bus_message_new_method_return(call, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', row);
        if (r < 0)
                return r;
        HASHMAP_FOREACH(p, reconciler_pods(m->reconciler)) {
                _cleanup_free_ char *image = NULL;
                PodStatusView v = {
                        .phase = pod_phase_to_string(p->phase),
                        .ready = pod_state_ready(p),
                        .restarts = pod_state_restarts(p),
                };

                if (!p->desired)
                        continue;
                /* Bound to another node: that node's word, or "unknown". */
                (void) pod_status_view(m->pod_status, p, &v);
                r = image_summary(p->desired, &image);
                if (r < 0)
                        return r;
                if (extended)
                        r = sd_bus_message_append(reply, row, p->name, v.phase, image, v.restarts, v.ready,
                                                  (uint32_t) p->desired->n_containers,
                                                  p->created_realtime_usec);
                else
                        r = sd_bus_message_append(reply, row, p->name, v.phase, image, v.restarts, v.ready);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_list(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        r = hold_until_synced(m, call, method_list);
        if (r != 0)
                return r;
        return reply_list(call, m, false);
}

static int method_list_extended(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        r = hold_until_synced(m, call, method_list_extended);
        if (r != 0)
                return r;
        return reply_list(call, m, true);
}

static void delete_done(Store *s, int r, int64_t mod_revision, const char *error, void *userdata) {
        sd_bus_message *call = userdata;
        const char *name = NULL;

        if (r == -ENOENT) {
                (void) sd_bus_message_rewind(call, true);
                (void) sd_bus_message_read(call, "s", &name);
                (void) sd_bus_reply_method_errorf(call, TANK_ERROR_NO_SUCH_POD, "no pod \"%s\"", strna(name));
        } else if (r < 0 && r != -ECANCELED)
                (void) reply_store_error(call, r, error);
        else if (r >= 0)
                (void) sd_bus_reply_method_return(call, NULL);
        sd_bus_message_unref(call);
}

static int method_delete(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name;
        int r;

        r = hold_until_synced(m, call, method_delete);
        if (r != 0)
                return r;
        r = sd_bus_message_read(call, "s", &name);
        if (r < 0)
                return r;
        if (!pod_name_is_valid(name))
                return sd_bus_error_setf(error, TANK_ERROR_NO_SUCH_POD, "no pod \"%s\": not a valid pod name", name);
        if (!m->store)
                return sd_bus_error_set(error, TANK_ERROR_STORE_UNAVAILABLE, "store unreachable: not connected yet");
        r = store_pods_delete(m->store, name, 0, delete_done, sd_bus_message_ref(call));
        if (r < 0) {
                sd_bus_message_unref(call);
                return r;
        }
        return 1;
}

static void pull_done(int r, const char *digest, const char *message, void *userdata) {
        sd_bus_message *call = userdata;

        if (r < 0)
                (void) sd_bus_reply_method_errorf(call, TANK_ERROR_PULL_FAILED, "%s", strna(message));
        else
                (void) sd_bus_reply_method_return(call, "s", digest);
        sd_bus_message_unref(call);
}

static int method_pull(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *message = NULL;
        const char *image;
        int r;

        r = sd_bus_message_read(call, "s", &image);
        if (r < 0)
                return r;
        r = image_pull(m->puller, image, pull_done, sd_bus_message_ref(call), NULL, &message);
        if (r < 0) {
                sd_bus_message_unref(call);
                if (r == -ENOMEM)
                        return r;
                return sd_bus_error_setf(error, TANK_ERROR_PULL_FAILED, "%s", message ?: strerror(-r));
        }
        return 1;
}

static int method_images(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        return bus_images_reply(userdata, call, false);
}

static int reply_volumes(sd_bus_message *call, const VolumeInfo *v, size_t n) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sst)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "(sst)", v[i].pod, v[i].name, v[i].size);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* On the loop, once the walk is done: every call that waited for it gets its result. */
static void volumes_listed(int r, VolumeInfo *v, size_t n, void *userdata) {
        Manager *m = userdata;
        sd_bus_message **calls = TAKE_PTR(m->volumes_calls);
        size_t n_calls = m->n_volumes_calls;

        m->n_volumes_calls = 0;
        m->volumes_job = NULL;
        if (r < 0)
                log_warning_errno(r, "Failed to list the managed volumes: %m");
        for (size_t i = 0; i < n_calls; i++) {
                int q = r < 0 ? r : reply_volumes(calls[i], v, n);

                if (q < 0)
                        (void) sd_bus_reply_method_errnof(calls[i], q, "Failed to list the volumes: %m");
                sd_bus_message_unref(calls[i]);
        }
        free(calls);
        volume_info_array_free(v, n);
}

static int method_list_volumes(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        sd_bus_message **a;
        int r;

        /* The walk reads trees the containers fill: only for those the policy
         * trusts (dbus/org.tank.Tank1.conf says so too), and never on the loop.
         * A call that arrives during a walk waits for that walk's result. */
        r = caller_is_privileged(call);
        if (r < 0)
                log_debug_errno(r, "Cannot tell whether the caller of ListVolumes is privileged, assuming not: %m");
        if (r <= 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
                                        "ListVolumes is only for root and group " TANK_GROUP);
        a = reallocarray(m->volumes_calls, m->n_volumes_calls + 1, sizeof(sd_bus_message *));
        if (!a)
                return -ENOMEM;
        m->volumes_calls = a;
        if (!m->volumes_job) {
                r = volumes_list_async(m->event, m->config->data_dir, volumes_listed, m, &m->volumes_job);
                if (r < 0)
                        return r;
        }
        m->volumes_calls[m->n_volumes_calls++] = sd_bus_message_ref(call);
        return 1;
}

static int method_remove_volumes(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name;
        int r;

        r = sd_bus_message_read(call, "s", &name);
        if (r < 0)
                return r;
        if (!pod_name_is_valid(name))
                return sd_bus_error_setf(error, TANK_ERROR_NO_SUCH_POD, "no pod \"%s\": not a valid pod name", name);
        /* Volumes go only with their pod: never under a running container. */
        if (reconciler_get_pod(m->reconciler, name))
                return sd_bus_error_setf(error, TANK_ERROR_BUSY,
                                         "pod \"%s\" still exists; delete it first", name);
        r = volumes_remove_pod(m->trash, m->config->data_dir, name);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "failed to remove the volumes of %s: %m", name);
        return sd_bus_reply_method_return(call, "b", r > 0);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Apply", SD_BUS_ARGS("s", spec_json), SD_BUS_RESULT("o", pod),
                                method_apply, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ApplyWithOptions", SD_BUS_ARGS("s", spec_json, "a{sv}", options),
                                SD_BUS_RESULT("o", pod), method_apply_with_options, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Get", SD_BUS_ARGS("s", name),
                                SD_BUS_RESULT("s", spec_json, "s", status_json),
                                method_get, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("List", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sssuu)", pods),
                                method_list, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListExtended", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sssuuut)", pods),
                                method_list_extended, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Delete", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT,
                                method_delete, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Pull", SD_BUS_ARGS("s", image), SD_BUS_RESULT("s", digest),
                                method_pull, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Images", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sstt)", images),
                                method_images, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListVolumes", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sst)", volumes),
                                method_list_volumes, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RemoveVolumes", SD_BUS_ARGS("s", pod), SD_BUS_RESULT("b", removed),
                                method_remove_volumes, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int bus_api_install(Manager *m) {
        int r;

        r = sd_bus_add_object_vtable(m->bus, NULL, TANK_BUS_PATH, TANK_MANAGER_INTERFACE, manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the Manager interface: %m");
        r = bus_pod_install(m);
        if (r < 0)
                return r;
        r = bus_exec_install(m);
        if (r < 0)
                return r;
        r = bus_images_install(m);
        if (r < 0)
                return r;
        r = bus_events_install(m);
        if (r < 0)
                return r;
        r = bus_stats_install(m);
        if (r < 0)
                return r;
        r = bus_pull_install(m);
        if (r < 0)
                return r;
        r = bus_rollout_install(m);
        if (r < 0)
                return r;
        r = bus_nodes_install(m);
        if (r < 0)
                return r;
        r = sd_bus_add_object_manager(m->bus, NULL, TANK_BUS_PATH);
        if (r < 0)
                return log_error_errno(r, "Failed to register the object manager: %m");
        return 0;
}
