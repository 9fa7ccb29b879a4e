/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "escape.h"
#include "daemon/bus-pull.h"
#include "log.h"
#include "spec/reference.h"

typedef struct BusPull BusPull;

struct BusPull {
        char *key;              /* the Puller's op key */
        char *path;
        BusPull *next;
};

typedef struct BusPulls {
        Manager *manager;
        BusPull *pulls;
        uint64_t next_id;
} BusPulls;

static BusPull *bus_pull_free(BusPull *p) {
        if (!p)
                return NULL;
        free(p->key);
        free(p->path);
        free(p);
        return NULL;
}

static void bus_pulls_destroy(void *userdata) {
        BusPulls *b = userdata;

        while (b->pulls) {
                BusPull *p = b->pulls;
                b->pulls = p->next;
                bus_pull_free(p);
        }
        free(b);
}

static BusPull *find_by_key(BusPulls *b, const char *key) {
        for (BusPull *p = b->pulls; p; p = p->next)
                if (streq(p->key, key))
                        return p;
        return NULL;
}

static BusPull *find_by_path(BusPulls *b, const char *path) {
        for (BusPull *p = b->pulls; p; p = p->next)
                if (streq(p->path, path))
                        return p;
        return NULL;
}

static int bus_pull_new(BusPulls *b, const char *key, BusPull **ret) {
        BusPull *p;

        p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        p->key = strdup(key);
        if (!p->key || asprintf(&p->path, "%s/%" PRIu64, TANK_BUS_PULL_PREFIX, ++b->next_id) < 0) {
                p->path = NULL;
                bus_pull_free(p);
                return -ENOMEM;
        }
        p->next = b->pulls;
        b->pulls = p;
        *ret = p;
        return 0;
}

static void bus_pull_remove(BusPulls *b, BusPull *p) {
        for (BusPull **i = &b->pulls; *i; i = &(*i)->next)
                if (*i == p) {
                        *i = p->next;
                        break;
                }
        bus_pull_free(p);
}

/* A pull that a pod started (not StartPull) gets its object with its first
 * report, so that `tankctl apply --wait` and busctl monitor see it too. */
static void on_layer(void *userdata, const char *key, const char *layer, PullLayerState state, uint64_t done,
                     uint64_t total) {
        BusPulls *b = userdata;
        BusPull *p = find_by_key(b, key);
        int r;

        if (!p && bus_pull_new(b, key, &p) < 0)
                return (void) log_oom();
        r = sd_bus_emit_signal(b->manager->bus, p->path, TANK_PULL_INTERFACE, "Progress", "sstt", layer,
                               pull_layer_state_to_string(state), done, total);
        if (r < 0)
                log_debug_errno(r, "Failed to send the progress of the pull of %s: %m", key);
}

static void on_finished(void *userdata, const char *key, int error, const char *digest, const char *message) {
        BusPulls *b = userdata;
        BusPull *p = find_by_key(b, key);
        _cleanup_free_ char *text = NULL;
        int r;

        if (!p)
                return;
        /* The message quotes the registry, which need not send UTF-8; a
         * Finished that cannot be sent would leave tankctl pull waiting. */
        text = str_escape_control(error < 0 ? message : "");
        r = sd_bus_emit_signal(b->manager->bus, p->path, TANK_PULL_INTERFACE, "Finished", "sss",
                               strempty(digest), error < 0 ? TANK_ERROR_PULL_FAILED : "",
                               text ?: "out of memory");
        if (r < 0)
                log_warning_errno(r, "Failed to send the end of the pull of %s: %m", key);
        bus_pull_remove(b, p);
}

static const PullObserver pull_observer = {
        .layer = on_layer,
        .finished = on_finished,
};

static void pull_request_done(int r, const char *digest, const char *message, void *userdata) {
        /* Finished has said it all. */
}

static int method_start_pull(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_(image_reference_freep) ImageReference *ref = NULL;
        _cleanup_free_ char *key = NULL, *reason = NULL, *message = NULL;
        BusPulls *b = userdata;
        Manager *m = b->manager;
        const char *image;
        BusPull *p;
        int r;

        r = sd_bus_message_read(call, "s", &image);
        if (r < 0)
                return r;
        r = image_reference_parse(image, &ref, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_setf(error, TANK_ERROR_PULL_FAILED, "invalid image reference: %s",
                                         reason ?: strerror(-r));
        r = image_reference_key(ref, &key);
        if (r < 0)
                return r;
        /* Nothing is reported before this returns: the pull's first step is
         * the manifest's fetch, answered on a later turn of the loop. */
        r = image_pull(m->puller, image, pull_request_done, NULL, NULL, &message);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_setf(error, TANK_ERROR_PULL_FAILED, "%s", message ?: strerror(-r));
        p = find_by_key(b, key);
        if (!p) {
                r = bus_pull_new(b, key, &p);
                if (r < 0)
                        return r;
        }
        return sd_bus_reply_method_return(call, "o", p->path);
}

static int property_image(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusPull *p = userdata;

        return sd_bus_message_append(reply, "s", p->key);
}

static int find_pull(sd_bus *bus, const char *path, const char *interface, void *userdata, void **ret_found,
                     sd_bus_error *error) {
        BusPull *p = find_by_path(userdata, path);

        if (!p)
                return 0;
        *ret_found = p;
        return 1;
}

static int enumerate_pulls(sd_bus *bus, const char *path, void *userdata, char ***ret_nodes,
                           sd_bus_error *error) {
        BusPulls *b = userdata;
        size_t n = 0;
        char **l;

        for (BusPull *p = b->pulls; p; p = p->next)
                n++;
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        n = 0;
        for (BusPull *p = b->pulls; p; p = p->next) {
                l[n] = strdup(p->path);
                if (!l[n]) {
                        for (size_t i = 0; i < n; i++)
                                free(l[i]);
                        free(l);
                        return -ENOMEM;
                }
                n++;
        }
        *ret_nodes = l;
        return 1;
}

static const sd_bus_vtable manager_pull_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("StartPull", SD_BUS_ARGS("s", image), SD_BUS_RESULT("o", pull),
                                method_start_pull, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable pull_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Image", "s", property_image, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_SIGNAL_WITH_ARGS("Progress",
                                SD_BUS_ARGS("s", layer_digest, "s", state, "t", done, "t", total), 0),
        SD_BUS_SIGNAL_WITH_ARGS("Finished", SD_BUS_ARGS("s", digest, "s", error_name, "s", error_message), 0),
        SD_BUS_VTABLE_END,
};

int bus_pull_install(Manager *m) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        BusPulls *b;
        int r;

        b = calloc(1, sizeof *b);
        if (!b)
                return log_oom();
        b->manager = m;
        r = sd_bus_add_object_vtable(m->bus, &slot, TANK_BUS_PATH, TANK_MANAGER_INTERFACE, manager_pull_vtable, b);
        if (r < 0) {
                free(b);
                return log_error_errno(r, "Failed to register StartPull: %m");
        }
        /* The bus connection owns b from here: freed with this slot, after
         * the Puller (manager_free() frees the Puller first). */
        (void) sd_bus_slot_set_destroy_callback(slot, bus_pulls_destroy);
        (void) sd_bus_slot_set_floating(slot, 1);
        r = sd_bus_add_fallback_vtable(m->bus, NULL, TANK_BUS_PULL_PREFIX, TANK_PULL_INTERFACE, pull_vtable,
                                       find_pull, b);
        if (r < 0)
                return log_error_errno(r, "Failed to register the pull objects: %m");
        r = sd_bus_add_node_enumerator(m->bus, NULL, TANK_BUS_PULL_PREFIX, enumerate_pulls, b);
        if (r < 0)
                return log_error_errno(r, "Failed to register the pull objects' enumerator: %m");
        puller_set_observer(m->puller, &pull_observer, b);
        return 0;
}
