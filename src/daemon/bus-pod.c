/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "daemon/bus-api.h"
#include "daemon/bus-events.h"
#include "daemon/bus-rollout.h"
#include "daemon/pod-status.h"
#include "daemon/scheduler.h"
#include "log.h"
#include "reconcile/reconciler.h"
#include "strv.h"

/* The org.tank.Tank1.Pod objects of tankd's bus: one per pod the Reconciler
 * knows, under /org/tank/Tank1/pod/<escaped name> (bus_pod_object_path()),
 * found and enumerated from the Reconciler's table, with read-only
 * properties (Name, Slice, Phase, Message, Restarts, Ready, LastExit,
 * NextRestartUSec, Containers) computed from its PodState; and the
 * Reconciler's observer (bus_pod_observer) that turns pods appearing,
 * changing and going, and containers' health changes, into ObjectAdded,
 * PropertiesChanged, ObjectRemoved and HealthChanged on the bus. */

int bus_pod_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                 void **ret_found, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *name = NULL;
        PodState *p;
        int r;

        r = sd_bus_path_decode(path, TANK_BUS_POD_PREFIX, &name);
        if (r <= 0)
                return r;
        p = reconciler_get_pod(m->reconciler, name);
        if (!p)
                return 0;
        *ret_found = p;
        return 1;
}

static int pod_enumerate(sd_bus *bus, const char *path, void *userdata, char ***ret_nodes,
                         sd_bus_error *error) {
        _cleanup_strv_free_ char **l = NULL;
        Manager *m = userdata;
        PodState *p;
        int r;

        HASHMAP_FOREACH(p, reconciler_pods(m->reconciler)) {
                _cleanup_free_ char *node = NULL;

                r = bus_pod_object_path(p->name, &node);
                if (r >= 0)
                        r = strv_extend(&l, node);
                if (r < 0)
                        return r;
        }
        *ret_nodes = TAKE_PTR(l);
        return 1;
}

/* The values behind the properties, shared by their getters and by
 * on_pod_changed()'s record of what it announced. */
static const char *pod_phase_value(PodState *p) {
        Manager *m = reconciler_get_userdata(p->reconciler);
        PodStatusView v;

        if (pod_status_view(m->pod_status, p, &v) > 0)
                return v.phase;
        return pod_phase_to_string(p->phase);
}

static uint32_t pod_count_value(PodState *p, bool ready) {
        Manager *m = reconciler_get_userdata(p->reconciler);
        PodStatusView v;

        if (pod_status_view(m->pod_status, p, &v) > 0)
                return ready ? v.ready : v.restarts;
        return ready ? pod_state_ready(p) : pod_state_restarts(p);
}

/* The most recent exit among the pod's containers. */
static const ContainerState *pod_last_exited(const PodState *p) {
        const ContainerState *best = NULL;
        for (size_t i = 0; i < p->n_containers; i++) {
                const ContainerState *c = p->containers[i];
                if (c->lifecycle.last_exit.valid && (!best || c->lifecycle.last_exit.at_usec > best->lifecycle.last_exit.at_usec))
                        best = c;
        }
        return best;
}

static uint64_t pod_next_restart_value(const PodState *p) {
        uint64_t next = 0;

        for (size_t i = 0; i < p->n_containers; i++) {
                uint64_t t = p->containers[i]->lifecycle.next_restart_usec;
                if (t && (!next || t < next))
                        next = t;
        }
        return next;
}

/* A pod bound to another node shows that node's word (pod-status.h). */
static int property_get_phase(sd_bus *bus, const char *path, const char *interface,
                              const char *property, sd_bus_message *reply, void *userdata,
                              sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", pod_phase_value(userdata));
}

static int property_get_restarts(sd_bus *bus, const char *path, const char *interface,
                                 const char *property, sd_bus_message *reply, void *userdata,
                                 sd_bus_error *error) {
        return sd_bus_message_append(reply, "u", pod_count_value(userdata, streq(property, "Ready")));
}

/* bound/<pod>'s node, "" while unbound. */
static int property_get_node(sd_bus *bus, const char *path, const char *interface,
                             const char *property, sd_bus_message *reply, void *userdata,
                             sd_bus_error *error) {
        PodState *p = userdata;
        Manager *m = reconciler_get_userdata(p->reconciler);
        return sd_bus_message_append(reply, "s", strempty(scheduler_pod_node(m->scheduler, p->name)));
}

static int property_get_last_exit(sd_bus *bus, const char *path, const char *interface,
                                  const char *property, sd_bus_message *reply, void *userdata,
                                  sd_bus_error *error) {
        const ContainerState *c = pod_last_exited(userdata);
        _cleanup_free_ char *s = NULL;

        if (!c)
                return sd_bus_message_append(reply, "s", "");
        if (exit_info_to_string(&c->lifecycle.last_exit, &s) < 0)
                return -ENOMEM;
        return sd_bus_message_append(reply, "s", s);
}

static int property_get_next_restart(sd_bus *bus, const char *path, const char *interface,
                                     const char *property, sd_bus_message *reply, void *userdata,
                                     sd_bus_error *error) {
        return sd_bus_message_append(reply, "t", pod_next_restart_value(userdata));
}

static int property_get_message(sd_bus *bus, const char *path, const char *interface,
                                const char *property, sd_bus_message *reply, void *userdata,
                                sd_bus_error *error) {
        PodState *p = userdata;

        return sd_bus_message_append(reply, "s", strempty(pod_state_message(p)));
}

static int property_get_containers(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error) {
        PodState *p = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(sssuuss)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n_containers; i++) {
                const ContainerState *c = p->containers[i];
                _cleanup_free_ char *e = NULL;

                if (exit_info_to_string(&c->lifecycle.last_exit, &e) < 0)
                        return -ENOMEM;
                r = sd_bus_message_append(reply, "(sssuuss)", c->name, container_phase_to_string(c->lifecycle.phase),
                                          c->unit, c->lifecycle.restarts, (uint32_t) c->pid, e,
                                          health_to_string(c->health.health));
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static const sd_bus_vtable pod_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", NULL, offsetof(PodState, name), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Slice", "s", NULL, offsetof(PodState, slice), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Phase", "s", property_get_phase, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Message", "s", property_get_message, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Restarts", "u", property_get_restarts, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Ready", "u", property_get_restarts, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastExit", "s", property_get_last_exit, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("NextRestartUSec", "t", property_get_next_restart, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Containers", "a(sssuuss)", property_get_containers, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Node", "s", property_get_node, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_SIGNAL_WITH_NAMES("HealthChanged", "sss", SD_BUS_PARAM(container) SD_BUS_PARAM(health)
                                 SD_BUS_PARAM(reason), 0),
        SD_BUS_VTABLE_END,
};

int bus_pod_install(Manager *m) {
        int r;

        r = sd_bus_add_fallback_vtable(m->bus, NULL, TANK_BUS_POD_PREFIX, TANK_POD_INTERFACE,
                                       pod_vtable, bus_pod_find, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the Pod interface: %m");
        r = sd_bus_add_node_enumerator(m->bus, NULL, TANK_BUS_POD_PREFIX, pod_enumerate, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the pod enumerator: %m");
        return 0;
}

int bus_pod_object_path(const char *name, char **ret) {
        return sd_bus_path_encode(TANK_BUS_POD_PREFIX, name, ret);
}

/* The Reconciler's observer: its pods appear, change and go on the bus. */
static void on_pod_added(Reconciler *rc, PodState *p, void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ char *path = NULL;

        if (m->bus && bus_pod_object_path(p->name, &path) >= 0)
                (void) sd_bus_emit_object_added(m->bus, path);
}

static void on_pod_removed(Reconciler *rc, PodState *p, void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ char *path = NULL;

        pod_status_board_removed(m->pod_status, p->name);
        free(hashmap_remove(m->pod_announced, p->name));
        free(hashmap_remove(m->rollout_announced, p->name));
        free(hashmap_remove(m->node_announced, p->name));
        if (m->bus && bus_pod_object_path(p->name, &path) >= 0)
                (void) sd_bus_emit_object_removed(m->bus, path);
}

/* Every value on_pod_changed() announces, as one string. */
static int pod_announcement(PodState *p, char **ret) {
        _cleanup_free_ char *buf = NULL, *last = NULL;
        _cleanup_fclose_ FILE *f = NULL;   /* closed before buf is freed */
        const ContainerState *le = pod_last_exited(p);
        size_t size = 0;

        if (le && exit_info_to_string(&le->lifecycle.last_exit, &last) < 0)
                return -ENOMEM;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "%s\n%s\n%" PRIu32 " %" PRIu32 "\n%s\n%" PRIu64 "\n", pod_phase_value(p),
                strempty(pod_state_message(p)), pod_count_value(p, false), pod_count_value(p, true),
                strempty(last), pod_next_restart_value(p));
        for (size_t i = 0; i < p->n_containers; i++) {
                const ContainerState *c = p->containers[i];
                _cleanup_free_ char *e = NULL;

                if (exit_info_to_string(&c->lifecycle.last_exit, &e) < 0)
                        return -ENOMEM;
                fprintf(f, "%s %s %s %u %d %s %s\n", c->name, container_phase_to_string(c->lifecycle.phase),
                        c->unit, c->lifecycle.restarts, (int) c->pid, e, health_to_string(c->health.health));
        }
        if (ferror(f) || fclose(TAKE_PTR(f)) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* The periodic resync passes every pod and most change nothing: 1,000
 * identical PropertiesChanged a minute were most of an idle tankd's CPU and
 * every listener's. */
bool bus_announcement_changed(Hashmap **announced, const char *pod, char *text) {
        _cleanup_free_ char *now = text;
        char *old = NULL;

        if (!now)
                return true;
        if (!*announced && !(*announced = hashmap_new()))
                return true;
        old = hashmap_get(*announced, pod);
        if (old && streq(old, now))
                return false;
        if (hashmap_replace(*announced, pod, now, (void **) &old) < 0) {
                free(hashmap_remove(*announced, pod));
                return true;
        }
        TAKE_PTR(now);
        free(old);
        return true;
}

static bool pod_announcement_changed(Manager *m, PodState *p) {
        char *now = NULL;

        if (pod_announcement(p, &now) < 0)
                now = NULL;
        return bus_announcement_changed(&m->pod_announced, p->name, now);
}

static void announcements_free(Hashmap **announced) {
        char *v;

        HASHMAP_FOREACH(v, *announced)
                free(v);
        *announced = hashmap_free(*announced);
}

void bus_pod_free_announced(Manager *m) {
        announcements_free(&m->pod_announced);
        announcements_free(&m->rollout_announced);
        announcements_free(&m->node_announced);
}

static void on_pod_changed(Reconciler *rc, PodState *p, void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ char *path = NULL;

        pod_status_board_changed(m->pod_status, p);
        if (m->bus && pod_announcement_changed(m, p) && bus_pod_object_path(p->name, &path) >= 0)
                (void) sd_bus_emit_properties_changed(m->bus, path, TANK_POD_INTERFACE,
                                                      "Phase", "Message", "Restarts", "Ready", "LastExit",
                                                      "NextRestartUSec", "Containers", NULL);
}

static void on_container_health_changed(Reconciler *rc, PodState *p, ContainerState *c, void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ char *path = NULL;

        if (m->bus && bus_pod_object_path(p->name, &path) >= 0)
                (void) sd_bus_emit_signal(m->bus, path, TANK_POD_INTERFACE, "HealthChanged", "sss", c->name,
                                          health_to_string(c->health.health), c->health.health_reason);
}

static ReconcilerPlacement on_placement(Reconciler *rc, const char *name, void *userdata) {
        Manager *m = userdata;
        return scheduler_placement(m->scheduler, name);
}

const ReconcilerObserver bus_pod_observer = {
        .placement = on_placement,
        .event = bus_events_on_event,
        .pod_added = on_pod_added,
        .container_health_changed = on_container_health_changed,
        .pod_changed = on_pod_changed,
        .pod_removed = on_pod_removed,
        .rollout_changed = bus_rollout_changed,
        .rollout_finished = bus_rollout_finished,
};
