/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus-names.h"
#include "log.h"
#include "pod-wait.h"
#include "strv.h"


typedef struct PodCounts {
        uint32_t ready;
        uint32_t containers;
} PodCounts;

struct PodWait {
        Context *ctx;
        sd_bus *bus;
        sd_bus_slot *slots[3];  /* one per match in pod_wait_new() */
        bool resync;            /* the set of pods, or tankd, may have changed: list again */
        char **names;           /* what pod_wait_run() waits for */
        char **phases;          /* per name; NULL: tankd has no such pod */
        PodCounts *counts;      /* per name: Ready and how many Containers */
        size_t n_names;
};

uint64_t now_monotonic(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000) + (uint64_t) ts.tv_nsec / 1000;
}

static ssize_t name_index(PodWait *w, const char *name) {
        for (size_t i = 0; w->names && w->names[i]; i++)
                if (streq(w->names[i], name))
                        return (ssize_t) i;
        return -1;
}

static int on_resync_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        PodWait *w = userdata;

        if (!w)
                return 0;   /* released (match_slot_release()) */

        w->resync = true;
        return 0;
}

static int read_containers_count(sd_bus_message *m, uint32_t *ret) {
        uint32_t n = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "a(sssuuss)");
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "(sssuuss)");
        while (r >= 0 && (r = sd_bus_message_skip(m, "(sssuuss)")) > 0)
                n++;
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = n;
        return 0;
}

/* An a{sv} of the Pod interface, consumed: Phase in *ret_phase (pointing into
 * m; NULL when it is not among the properties), Ready and the number of
 * Containers into counts where they are among them. */
static int read_properties(sd_bus_message *m, const char **ret_phase, PodCounts *counts) {
        const char *key, *phase = NULL;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &key);
                if (r >= 0 && streq(key, "Phase"))
                        r = sd_bus_message_read(m, "v", "s", &phase);
                else if (r >= 0 && streq(key, "Ready"))
                        r = sd_bus_message_read(m, "v", "u", &counts->ready);
                else if (r >= 0 && streq(key, "Containers"))
                        r = read_containers_count(m, &counts->containers);
                else if (r >= 0)
                        r = sd_bus_message_skip(m, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret_phase = phase;
        return 0;
}

/* One (s interface, a{sv} properties) pair, consumed: read_properties() for
 * the Pod interface, *ret_phase NULL for another one. */
static int read_interface_phase(sd_bus_message *m, const char **ret_phase, PodCounts *counts) {
        const char *interface;
        int r;

        r = sd_bus_message_read(m, "s", &interface);
        if (r < 0)
                return r;
        if (streq(interface, TANK_POD_INTERFACE))
                return read_properties(m, ret_phase, counts);
        r = sd_bus_message_skip(m, "a{sv}");
        if (r < 0)
                return r;
        *ret_phase = NULL;
        return 0;
}

/* PropertiesChanged(s interface, a{sv} changed, as invalidated) of a pod.
 * tankd sends only what changed, so a signal without Phase (Ready, a rollout
 * property) leaves the phase we know as it is; only a signal we cannot read,
 * or one that invalidates instead of sending values, makes us ask again. */
static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        PodWait *w = userdata;
        _cleanup_free_ char *name = NULL;
        const char *phase = NULL;
        ssize_t i;
        int r;

        if (!w)
                return 0;   /* released (match_slot_release()) */
        r = sd_bus_path_decode(sd_bus_message_get_path(m), TANK_BUS_PATH "/pod", &name);
        if (r <= 0 || (i = name_index(w, name)) < 0)
                return 0;
        r = read_interface_phase(m, &phase, w->counts + i);
        if (r >= 0) {
                const char *invalidated;

                r = sd_bus_message_enter_container(m, 'a', "s");
                while (r >= 0 && (r = sd_bus_message_read(m, "s", &invalidated)) > 0)
                        if (streq(invalidated, "Phase") || streq(invalidated, "Ready") ||
                            streq(invalidated, "Containers"))
                                w->resync = true;
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r < 0 || (phase && free_and_strdup(&w->phases[i], phase) < 0))
                /* Not what we expected from tankd: ask it plainly. */
                w->resync = true;
        return 0;
}

/* InterfacesAdded's a{sa{sv}}, consumed: the pod's properties as it was
 * created, what a GetAll would have said then. 1 when the Pod interface was
 * among them. */
static int read_added(sd_bus_message *m, PodWait *w, size_t i) {
        bool found = false;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
                PodCounts counts = {};
                const char *phase = NULL;

                r = read_interface_phase(m, &phase, &counts);
                if (r >= 0 && phase) {
                        found = true;
                        w->counts[i] = counts;
                        if (free_and_strdup(&w->phases[i], phase) < 0)
                                r = -ENOMEM;
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r < 0 ? r : found;
}

/* InterfacesAdded(o, a{sa{sv}}) and InterfacesRemoved(o, as): only for the
 * pods we wait for, not for every pod that comes and goes on a busy host.
 * An added pod comes with its properties, so there is nothing to ask (the
 * round trip through tankd, busy starting it, was every apply --wait's); a
 * removed one, or one we cannot read, is listed again. Signals are
 * dispatched in order, after any call's reply that overtook them: what the
 * last of them says is what tankd says. */
static int on_object_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        PodWait *w = userdata;
        _cleanup_free_ char *name = NULL;
        const char *path;
        ssize_t i;
        int r;

        if (!w)
                return 0;   /* released (match_slot_release()) */
        r = sd_bus_message_read(m, "o", &path);
        if (r >= 0)
                r = sd_bus_path_decode(path, TANK_BUS_PATH "/pod", &name);
        /* r == 0: another object (a pull) */
        if (r == 0 || (r > 0 && (i = name_index(w, name)) < 0))
                return 0;
        if (r > 0 && sd_bus_message_is_signal(m, "org.freedesktop.DBus.ObjectManager", "InterfacesAdded") > 0)
                r = read_added(m, w, (size_t) i);
        else
                r = -EAGAIN;
        if (r <= 0)
                w->resync = true;
        return 0;
}

int pod_wait_new(Context *ctx, PodWait **ret) {
        static const struct {
                const char *rule;
                sd_bus_message_handler_t handler;
        } matches[] = {
                { "type='signal',sender='" TANK_BUS_NAME "',interface='org.freedesktop.DBus.Properties',"
                  "member='PropertiesChanged',path_namespace='" TANK_BUS_PATH "/pod'", on_properties_changed },
                /* pods appearing and going */
                { "type='signal',sender='" TANK_BUS_NAME "',interface='org.freedesktop.DBus.ObjectManager',"
                  "path='" TANK_BUS_PATH "'", on_object_signal },
                /* tankd starting, stopping, restarting */
                { "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
                  "member='NameOwnerChanged',arg0='" TANK_BUS_NAME "'", on_resync_signal },
        };
        _Static_assert(ELEMENTSOF(matches) == ELEMENTSOF(((PodWait *) NULL)->slots), "one slot per match");
        _cleanup_(pod_wait_freep) PodWait *w = NULL;
        int r = 0;

        w = calloc(1, sizeof(PodWait));
        if (!w)
                return log_oom(), EXIT_FAILURE;
        w->ctx = ctx;
        w->resync = true;
        r = ctx_bus(ctx, &w->bus);
        if (r != 0)
                return r;
        /* Asynchronous: the bus handles a connection's messages in order, so
         * the matches are in place before any later call of ours is seen. */
        for (size_t i = 0; i < ELEMENTSOF(matches); i++) {
                r = sd_bus_add_match_async(w->bus, &w->slots[i], matches[i].rule, matches[i].handler, NULL, w);
                if (r < 0)
                        break;
        }
        if (r < 0)
                return log_error_errno(r, "cannot subscribe to tankd's signals: %m"), EXIT_FAILURE;
        *ret = TAKE_PTR(w);
        return 0;
}

static void pod_wait_reset(PodWait *w) {
        for (size_t i = 0; w->phases && i < w->n_names; i++)
                free(w->phases[i]);
        w->phases = mfree(w->phases);
        w->counts = mfree(w->counts);
        w->names = strv_free(w->names);
        w->n_names = 0;
}

PodWait *pod_wait_free(PodWait *w) {
        if (!w)
                return NULL;
        FOREACH_ARRAY(s, w->slots, ELEMENTSOF(w->slots))
                match_slot_release(*s);
        pod_wait_reset(w);
        free(w);
        return NULL;
}

/* Up to this many pods are asked for one by one (Properties.GetAll on each
 * pod's object); more with one GetManagedObjects. On a host with a thousand
 * pods the latter's answer is megabytes, for the one pod `apply --wait` asks
 * about. */
#define POD_WAIT_GET_MAX 8

/* The pod's object is not (or no more) there. */
static bool error_is_no_pod(const sd_bus_error *e) {
        return sd_bus_error_has_names(e, SD_BUS_ERROR_UNKNOWN_OBJECT, SD_BUS_ERROR_UNKNOWN_INTERFACE,
                                      SD_BUS_ERROR_UNKNOWN_METHOD);
}

static int pod_wait_get_one(PodWait *w, size_t i) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        const char *phase = NULL;
        int r;

        w->phases[i] = mfree(w->phases[i]);
        w->counts[i] = (PodCounts) {};
        r = sd_bus_path_encode(TANK_BUS_PATH "/pod", w->names[i], &path);
        if (r < 0)
                return log_oom(), EXIT_FAILURE;
        r = sd_bus_call_method(w->bus, TANK_BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll",
                               &error, &reply, "s", TANK_POD_INTERFACE);
        if (r < 0 && error_is_no_pod(&error))
                return 0;
        if (r < 0)
                return print_bus_error(&error, NULL);
        /* GetAll's answer is the a{sv} of one interface's entry in GetManagedObjects. */
        r = read_properties(reply, &phase, w->counts + i);
        if (r >= 0 && phase && free_and_strdup(&w->phases[i], phase) < 0)
                r = -ENOMEM;
        if (r < 0)
                return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
        return 0;
}

/* Phase of each pod object tankd has, also those being torn down (which
 * List() leaves out). 0, or an exit status after printing why. */
static int pod_wait_list(PodWait *w) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *path, *phase;
        int r;

        if (w->n_names <= POD_WAIT_GET_MAX) {
                for (size_t i = 0; i < w->n_names; i++) {
                        r = pod_wait_get_one(w, i);
                        if (r != 0)
                                return r;
                }
                return 0;
        }

        r = sd_bus_call_method(w->bus, TANK_BUS_NAME, TANK_BUS_PATH, "org.freedesktop.DBus.ObjectManager",
                               "GetManagedObjects", &error, &reply, NULL);
        if (r < 0)
                return print_bus_error(&error, NULL);
        for (size_t i = 0; i < w->n_names; i++) {
                w->phases[i] = mfree(w->phases[i]);
                w->counts[i] = (PodCounts) {};
        }

        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                _cleanup_free_ char *name = NULL;
                ssize_t i = -1;

                r = sd_bus_message_read(reply, "o", &path);
                if (r >= 0 && sd_bus_path_decode(path, TANK_BUS_PATH "/pod", &name) > 0)
                        i = name_index(w, name);
                if (r >= 0 && i < 0)
                        r = sd_bus_message_skip(reply, "a{sa{sv}}");
                else if (r >= 0) {
                        r = sd_bus_message_enter_container(reply, 'a', "{sa{sv}}");
                        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sa{sv}")) > 0) {
                                r = read_interface_phase(reply, &phase, w->counts + i);
                                if (r >= 0 && phase && free_and_strdup(&w->phases[i], phase) < 0)
                                        r = -ENOMEM;
                                if (r >= 0)
                                        r = sd_bus_message_exit_container(reply);
                        }
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0)
                return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
        return 0;
}

static bool pod_reached(PodWait *w, size_t i, PodWaitFor what) {
        switch (what) {
        case POD_WAIT_RUNNING:
                return streq_ptr(w->phases[i], "running");
        case POD_WAIT_READY:
                return streq_ptr(w->phases[i], "running") && w->counts[i].ready >= w->counts[i].containers;
        default:
                return !w->phases[i];
        }
}

static bool pod_wait_done(PodWait *w, PodWaitFor what) {
        for (size_t i = 0; w->names[i]; i++)
                if (!pod_reached(w, i, what))
                        return false;
        return true;
}

int pod_wait_run(PodWait *w, char **names, PodWaitFor what, uint64_t deadline) {
        int r;

        pod_wait_reset(w);
        w->names = strv_copy(names);
        w->n_names = strv_length(names);
        w->phases = calloc(w->n_names + 1, sizeof(char *));
        w->counts = calloc(w->n_names + 1, sizeof(PodCounts));
        if (!w->names || !w->phases || !w->counts)
                return log_oom(), EXIT_FAILURE;
        w->resync = true;

        for (;;) {
                if (w->resync) {
                        w->resync = false;
                        r = pod_wait_list(w);
                        if (r != 0)
                                return r;
                }
                if (pod_wait_done(w, what))
                        return EXIT_SUCCESS;

                r = sd_bus_process(w->bus, NULL);
                if (r < 0)
                        return log_error_errno(r, "lost the connection to the bus: %m"), EXIT_FAILURE;
                if (r > 0)
                        continue;

                if (deadline > 0 && now_monotonic() >= deadline) {
                        for (size_t i = 0; names[i]; i++) {
                                if (pod_reached(w, i, what))
                                        continue;
                                if (what == POD_WAIT_READY && w->phases[i])
                                        log_error("%s: timed out waiting for the pod to be ready "
                                                  "(phase: %s, %u/%u containers ready)", names[i],
                                                  w->phases[i], w->counts[i].ready, w->counts[i].containers);
                                else if (what != POD_WAIT_DELETED)
                                        log_error("%s: timed out waiting for the pod to be %s (phase: %s)",
                                                  names[i], what == POD_WAIT_READY ? "ready" : "running",
                                                  w->phases[i] ?: "not known to tankd");
                                else
                                        log_error("%s: timed out waiting for the pod to be deleted (phase: %s)",
                                                  names[i], w->phases[i]);
                        }
                        return EXIT_FAILURE;
                }
                r = sd_bus_wait(w->bus, deadline > 0 ? deadline - MIN(deadline, now_monotonic()) + 1 : UINT64_MAX);
                if (r < 0 && r != -EINTR)
                        return log_error_errno(r, "cannot wait on the bus: %m"), EXIT_FAILURE;
        }
}
