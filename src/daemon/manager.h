/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* tankd's one context object: the event loop, the bus, the store client and
 * its watch, the D-Bus API, and the Reconciler that owns the pods (built in
 * manager_run() once the bus is up, its observer the D-Bus API's). There are
 * no globals; everything hangs off a Manager. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "config/config.h"
#include "hashmap.h"
#include "rm-rf-async.h"
#include "sealed-exec.h"
#include "image/blobstore.h"
#include "image/layer.h"
#include "image/pull.h"
#include "image/registry.h"
#include "reconcile/reconciler.h"
#include "store/pods.h"
#include "store/store.h"
#include "bus-names.h"

/* Root and this group may change Tank's state (dbus/org.tank.Tank1.conf) and
 * read what only they should; membership is root on this host. */
#define TANK_GROUP "tank"

typedef struct Manager Manager;

typedef struct ManagerOptions {
        const char *config_dir;         /* default TANK_CONFIG_DIR_DEFAULT */
        const char *runtime_dir;        /* default /run/tank ($TANK_RUNTIME_DIR) */
        const char *shim_path;          /* default PKGLIBEXECDIR/tank-shim ($TANK_SHIM_PATH) */
} ManagerOptions;

struct Manager {
        sd_event *event;
        sd_bus *bus;                    /* the system bus: our service and systemd's */
        SystemdJobs *jobs;              /* every systemd job tankd queues on it */

        TankConfig *config;
        char *config_dir;
        char *runtime_dir;
        SealedExe shim_exe;             /* tank-shim, run from a sealed copy */
        SealedExe exec_exe;             /* tank-exec, beside it ($TANK_EXEC_PATH) */
        int shim_mntns_fd;              /* the shims' lean mount namespace, or -EBADF (shim-mntns.h) */
        char *seccomp_filter;           /* the containers' compiled filter, or NULL (seccomp-program.h) */

        struct StoreServer *etcd;       /* standalone mode only */
        struct Node *node;              /* this host's node key and its lease (node.h) */
        struct Scheduler *scheduler;    /* the fleet's views, the election, the scheduler (scheduler.h) */
        struct PodStatusBoard *pod_status; /* pods' status across the fleet (pod-status.h) */
        Hashmap *pod_announced;         /* pod -> what PropertiesChanged last said of it (bus-pod.c) */
        Hashmap *rollout_announced;     /* pod -> the same of its Rollout* properties (bus-rollout.c) */
        Hashmap *node_announced;        /* pod -> the same of its Node property (scheduler.c) */
        sd_event_source *stop_timer;    /* a clean stop waits this long for the lease's revoke */
        Store *store;
        StoreWatch *watch;
        bool store_synced;              /* the watch delivered its first full list */
        int64_t watch_revision;         /* the newest revision the watch delivered */
        unsigned test_fail_resync, test_fail_event;     /* TANK_TEST_FAIL_ALLOC_AT (manager.c) */

        Registry *registry;
        BlobStore *blobs;
        LayerStore *layers;
        RmRfQueue *trash;               /* scratch, run and volume trees removed off the loop */
        Puller *puller;

        struct ResolvedWatch *resolved; /* [Host] Adapter=auto: resolved's DNS, cached (net/host.h) */
        Reconciler *reconciler;         /* the pods; NULL before manager_run() */
        struct ImageUpdater *updater;   /* image_update: "registry" (image-update.h) */

        /* Calls that answer from the pod table, held until the store's first
         * full list (bus-api.c): before it, "no pod" would be untrue. */
        struct HeldCall *held_calls;
        size_t n_held_calls;
        sd_event_source *held_timer;

        struct VolumesListJob *volumes_job;     /* ListVolumes' walk in flight */
        struct StatsCache *stats_cache;         /* Stats' last walk (bus-stats.h) */
        sd_bus_message **volumes_calls;         /* the calls waiting for it */
        size_t n_volumes_calls;

        sd_event_source *resync_timer;
        uint64_t resync_usec;           /* RESYNC_INTERVAL_USEC, or TANK_TEST_RESYNC_SEC (manager.c) */
        bool ready;                     /* READY=1 sent */
};

int manager_new(const ManagerOptions *opts, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/* Connect everything and run until SIGTERM/SIGINT. Containers keep running. */
int manager_run(Manager *m);

/* Bring up the store: standalone (boot our own etcd, then connect) or the
 * configured endpoints. Asynchronous: READY=1 follows the first full list. */
int manager_start_store(Manager *m);
int manager_connect_store(Manager *m, char **endpoints);

/* Apply's write was acknowledged at mod_revision: unless the watch delivered
 * it (or newer) already, the Reconciler takes it as desired now
 * (reconciler_applied()). Takes pod. */
PodState *manager_applied(Manager *m, Pod *pod, int64_t mod_revision);

void manager_notify_status(Manager *m, const char *fmt, ...) _printf_(2, 3);
