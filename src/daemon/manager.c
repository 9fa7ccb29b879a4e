/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "daemon/bus-api.h"
#include "daemon/bus-stats.h"
#include "daemon/manager.h"
#include "daemon/seccomp-program.h"
#include "daemon/node.h"
#include "daemon/pod-status.h"
#include "daemon/scheduler.h"
#include "daemon/image-update.h"
#include "daemon/seed.h"
#include "daemon/volumes.h"
#include "daemon/store-server.h"
#include "fs-util.h"
#include "log.h"
#include "time-util.h"
#include "net/host.h"
#include "reconcile/reconciler.h"
#include "reconcile/shim-mntns.h"
#include "strv.h"

#define RESYNC_INTERVAL_USEC (60ULL * 1000000ULL)
#define STOP_REVOKE_TIMEOUT_USEC (2ULL * 1000000ULL)

static void on_node_stopped(Node *n _unused_, void *userdata) {
        Manager *m = userdata;

        (void) sd_event_exit(m->event, 0);
}

static int on_stop_timeout(sd_event_source *s _unused_, uint64_t usec _unused_, void *userdata) {
        Manager *m = userdata;

        log_warning("The store did not answer the revoke of the node's lease in time; its key goes when the "
                    "lease expires.");
        return sd_event_exit(m->event, 0);
}

/* SIGTERM/SIGINT: revoke the node's lease first, so that its key goes now
 * rather than when the lease expires; a second signal, or the store not
 * answering, ends the wait. Containers keep running either way. */
static int on_terminate(sd_event_source *s _unused_, const struct signalfd_siginfo *si _unused_, void *userdata) {
        Manager *m = userdata;
        int r;

        if (m->stop_timer || !m->node)
                return sd_event_exit(m->event, 0);
        r = node_stop(m->node, on_node_stopped, m);
        if (r <= 0)
                return sd_event_exit(m->event, 0);
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Revoking the node's lease.");
        r = sd_event_add_time_relative(m->event, &m->stop_timer, CLOCK_MONOTONIC, STOP_REVOKE_TIMEOUT_USEC, 0,
                                       on_stop_timeout, m);
        if (r < 0)
                return sd_event_exit(m->event, 0);
        return 0;
}

static int manager_open_images(Manager *m) {
        int r;

        r = blobstore_open(m->config->data_dir, &m->blobs);
        if (r < 0)
                return log_error_errno(r, "Failed to open the image store under %s: %m", m->config->data_dir);
        r = layer_store_open(m->config->data_dir, &m->layers);
        if (r < 0)
                return log_error_errno(r, "Failed to open the layer store under %s: %m", m->config->data_dir);
        r = registry_new(m->event, NULL, &m->registry);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the registry client: %m");
        for (size_t i = 0; i < m->config->n_mirrors; i++) {
                r = registry_add_mirror(m->registry, m->config->mirrors[i].registry, m->config->mirrors[i].url);
                if (r < 0)
                        return log_error_errno(r, "Failed to add mirror %s: %m", m->config->mirrors[i].registry);
        }
        STRV_FOREACH(h, m->config->insecure_registries) {
                r = registry_add_insecure(m->registry, *h);
                if (r < 0)
                        return log_error_errno(r, "Failed to add insecure registry %s: %m", *h);
        }
        if (m->config->auth_file) {
                _cleanup_free_ char *error = NULL;
                r = registry_load_auth_file(m->registry, m->config->auth_file, &error);
                if (r < 0)
                        return log_error_errno(r, "Failed to load %s: %s", m->config->auth_file, strempty(error));
        }
        r = puller_new(m->event, m->registry, m->blobs, &m->puller);
        if (r < 0)
                return log_error_errno(r, "Failed to set up image pulls: %m");
        /* [Images]: enforced where bytes land, at the pull and at extraction. */
        ImageLimits limits = {
                .max_layer_size = m->config->images_max_layer_size,
                .max_unpacked_layer_size = m->config->images_max_unpacked_layer_size,
                .max_image_size = m->config->images_max_image_size,
                .min_free_space = m->config->images_min_free_space,
                .min_free_percent = m->config->images_min_free_percent,
        };
        puller_set_limits(m->puller, &limits);
        layer_store_set_limits(m->layers, &limits);
        /* A pull extracts its layers in its worker (pull.h), so that a pulled
         * image is ready to run and a hostile layer fails the pull; a pod
         * still extracts what is missing (reconcile/unpack.h), e.g. for an
         * image an older tankd pulled. */
        r = puller_set_extract(m->puller, m->config->data_dir);
        if (r < 0)
                return log_oom();
        return 0;
}

/* TANK_TEST_FAIL_ALLOC_AT=resync:N or event:N, for the system tests only:
 * the first N lists (events) the watch delivers fail as if an allocation had
 * failed. Unset, as in production, it does nothing. */
static int test_fail_alloc(unsigned *left) {
        if (*left == 0)
                return 0;
        (*left)--;
        return -ENOMEM;
}

static void test_fail_alloc_parse(Manager *m) {
        const char *e = getenv("TANK_TEST_FAIL_ALLOC_AT"), *n;

        if (!e)
                return;
        if ((n = startswith(e, "resync:")))
                m->test_fail_resync = (unsigned) strtoul(n, NULL, 10);
        else if ((n = startswith(e, "event:")))
                m->test_fail_event = (unsigned) strtoul(n, NULL, 10);
        log_warning("TANK_TEST_FAIL_ALLOC_AT=%s: failing allocations on purpose (a test).", e);
}

/* TANK_TEST_RESYNC_SEC=N (1..3600), for the system tests only: the resync
 * pass every N s instead of every 60, so that a test sees several. */
static void test_resync_parse(Manager *m) {
        const char *e = getenv("TANK_TEST_RESYNC_SEC");
        char *end;
        unsigned long v;

        m->resync_usec = RESYNC_INTERVAL_USEC;
        if (!e)
                return;
        errno = 0;
        v = strtoul(e, &end, 10);
        if (errno || *end || v < 1 || v > 3600) {
                log_warning("TANK_TEST_RESYNC_SEC=%s: not 1..3600, ignored.", e);
                return;
        }
        m->resync_usec = v * 1000000ULL;
        log_warning("TANK_TEST_RESYNC_SEC=%s: resync pass every %lu s (a test).", e, v);
}

int manager_new(const ManagerOptions *opts, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof(Manager));
        _cleanup_strv_free_ char **warnings = NULL;
        _cleanup_free_ char *error = NULL;
        const char *e;
        int r;

        if (!m)
                return log_oom();

        m->config_dir = strdup(opts->config_dir ?: TANK_CONFIG_DIR_DEFAULT);
        e = opts->runtime_dir ?: getenv("TANK_RUNTIME_DIR");
        m->runtime_dir = strdup(e ?: "/run/tank");
        m->shim_exe = m->exec_exe = (SealedExe) SEALED_EXE_NULL;
        m->shim_mntns_fd = -EBADF;
        e = opts->shim_path ?: getenv("TANK_SHIM_PATH");
        e = e ?: PKGLIBEXECDIR "/tank-shim";
        if (sealed_exe_init(&m->shim_exe, e) < 0)
                return log_oom();
        /* tank-exec lives beside tank-shim unless told otherwise. */
        if (getenv("TANK_EXEC_PATH"))
                r = sealed_exe_init(&m->exec_exe, getenv("TANK_EXEC_PATH"));
        else {
                _cleanup_free_ char *dir = strdup(e), *path = NULL;
                r = dir && asprintf(&path, "%s/tank-exec", dirname(dir)) >= 0 ? sealed_exe_init(&m->exec_exe, path)
                                                                                : -ENOMEM;
        }
        test_fail_alloc_parse(m);
        test_resync_parse(m);
        if (r < 0 || !m->config_dir || !m->runtime_dir)
                return log_oom();

        r = config_load(m->config_dir, &m->config, &warnings, &error);
        if (r < 0)
                return log_error_errno(r, "Failed to load configuration: %s", strempty(error));
        STRV_FOREACH(w, warnings)
                log_warning("%s", *w);

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate event loop: %m");
        r = rm_rf_queue_new(m->event, &m->trash);
        if (r < 0)
                return log_oom();

        /* Child sources and clean shutdown need these signals blocked. */
        sigset_t ss;
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return log_error_errno(errno, "Failed to block signals: %m");
        r = sd_event_add_signal(m->event, NULL, SIGTERM, on_terminate, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, on_terminate, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch termination signals: %m");

        if (mkdir(m->runtime_dir, 0755) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create %s: %m", m->runtime_dir);
        r = seccomp_program_write(m->runtime_dir, &m->seccomp_filter);
        if (r < 0)
                return r;
        /* 0711, volumes/ 0700 (layers/ is too): container root can leave
         * setuid-root files in its managed volumes, which no local user may
         * reach (moby CVE-2021-41091). An older Tank left 0755, which systemd
         * does not change on an existing StateDirectory=, and TANK_DATA_DIR may
         * point anywhere: tighten what exists. */
        r = mkdir_restrict(m->config->data_dir, 0711);
        if (r < 0)
                return log_error_errno(r, "Failed to create %s: %m", m->config->data_dir);
        if (r > 0)
                log_notice("Took group and other access off %s (now at most 0711).", m->config->data_dir);
        _cleanup_free_ char *volumes = NULL;
        if (asprintf(&volumes, "%s/volumes", m->config->data_dir) < 0)
                return log_oom();
        r = mkdir_restrict(volumes, 0700);
        if (r < 0)
                return log_error_errno(r, "Failed to create %s: %m", volumes);
        if (r > 0)
                log_notice("Made %s 0700.", volumes);

        r = manager_open_images(m);
        if (r < 0)
                return r;
        r = node_new(m->event, m->config, &m->node);
        if (r < 0)
                return log_error_errno(r, "Failed to set up node %s: %m", m->config->node_name);
        r = scheduler_new(m, &m->scheduler);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the scheduler: %m");
        r = pod_status_board_new(m, &m->pod_status);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the pods' status board: %m");

        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        bus_api_free_held(m);
        volumes_list_job_cancel(m->volumes_job);
        stats_cache_free(m->stats_cache);
        for (size_t i = 0; i < m->n_volumes_calls; i++)
                sd_bus_message_unref(m->volumes_calls[i]);
        free(m->volumes_calls);
        sd_event_source_disable_unref(m->resync_timer);
        store_watch_free(m->watch);
        m->scheduler = scheduler_free(m->scheduler);     /* its watches, before the store */
        m->pod_status = pod_status_board_free(m->pod_status);
        bus_pod_free_announced(m);
        store_server_free(m->etcd);
        /* Before the store (whose calls it waits for) and the puller and registry
         * (whose requests it cancels). */
        image_updater_free(m->updater);
        /* The store before the Reconciler: the calls it cancels end their
         * Apply reservations there. The Reconciler before what it borrows. */
        if (m->reconciler)
                reconciler_set_store(m->reconciler, NULL);
        store_free(m->store);
        node_free(m->node);             /* after the store: its cancelled calls reach the node */
        sd_event_source_disable_unref(m->stop_timer);
        reconciler_free(m->reconciler);
        systemd_jobs_free(m->jobs);     /* after their owners */
        resolved_watch_free(m->resolved);
        puller_free(m->puller);
        registry_free(m->registry);
        layer_store_free(m->layers);
        blobstore_free(m->blobs);
        rm_rf_queue_free(m->trash);     /* waits for the removals in flight */
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        config_free(m->config);
        free(m->config_dir);
        free(m->runtime_dir);
        free(m->seccomp_filter);
        sealed_exe_done(&m->shim_exe);
        sealed_exe_done(&m->exec_exe);
        safe_close(m->shim_mntns_fd);   /* after the Reconciler, which borrowed it */
        free(m);
        return NULL;
}

void manager_notify_status(Manager *m, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        if (!s)
                return;
        log_info("%s", s);
        (void) sd_notifyf(false, "STATUS=%s", s);
}

PodState *manager_applied(Manager *m, Pod *pod, int64_t mod_revision) {
        /* The watch is past this write already: it delivered it, or newer. */
        if (mod_revision <= m->watch_revision) {
                pod_free(pod);
                return NULL;
        }
        return reconciler_applied(m->reconciler, pod, mod_revision);
}

static const char *pod_name_from_key(const char *key) {
        const char *n = startswith(key, STORE_PODS_PREFIX);
        return n && pod_name_is_valid(n) ? n : NULL;
}

/* A pod that could not be taken in is never a deleted pod: an allocation
 * failure returns an error and the watch lists everything again after a
 * backoff, while every container keeps running as it was. */
static int on_watch_event(StoreWatch *w, const StoreEvent *ev, void *userdata) {
        Manager *m = userdata;
        const char *name = pod_name_from_key(ev->kv.key);
        _cleanup_free_ char *error = NULL;
        Pod *pod = NULL;
        int r;

        if (!name) {
                log_warning("Ignoring store key %s: not a pod key.", ev->kv.key);
                return 0;
        }
        r = test_fail_alloc(&m->test_fail_event);
        if (r < 0)
                goto oom;
        m->watch_revision = MAX(m->watch_revision, ev->kv.mod_revision);
        if (ev->type == STORE_EVENT_DELETE) {
                /* The reconciler's "deleted" event is the log line. */
                (void) reconciler_set_desired(m->reconciler, name, NULL, ev->kv.mod_revision);
                return 0;
        }
        r = store_pod_from_kv(&ev->kv, &pod, &error);
        if (r == -ENOMEM)
                goto oom;
        if (r < 0) {
                log_warning("Ignoring corrupt store value %s", strna(error));
                return 0;
        }
        /* The reconciler's "applied" event is the log line. */
        r = reconciler_set_desired(m->reconciler, name, pod, ev->kv.mod_revision);
        if (r < 0)
                goto oom;
        scheduler_pods_changed(m->scheduler);
        return 0;
oom:
        log_warning_errno(r, "Could not take in the store's event for pod %s, listing the store again: %m", name);
        return r;
}

static void manager_first_sync(Manager *m, const Hashmap *listed) {
        m->store_synced = true;
        /* Adopt what an earlier tankd left running before anything new starts. */
        reconciler_adopt_all(m->reconciler, listed);
        seed_pods(m);
        if (!m->ready) {
                m->ready = true;
                (void) sd_notify(false, "READY=1");
        }
        bus_api_release_held(m);
        manager_notify_status(m, "Reconciling %zu pods.", hashmap_size(reconciler_pods(m->reconciler)));
}

static int on_watch_resync(StoreWatch *w, const StoreKV *kvs, size_t n_kvs, int64_t revision, void *userdata) {
        Manager *m = userdata;
        /* Every pod name the list holds, its value parsed or not. */
        _cleanup_(hashmap_freep) Hashmap *seen = hashmap_new();
        PodState *p;
        int r;

        if (!seen) {
                r = -ENOMEM;
                goto oom;
        }
        for (size_t i = 0; i < n_kvs; i++) {
                const char *name = pod_name_from_key(kvs[i].key);
                _cleanup_free_ char *error = NULL;
                Pod *pod = NULL;

                if (!name) {
                        log_warning("Ignoring store key %s: not a pod key.", kvs[i].key);
                        continue;
                }
                /* Before the parse: a value that does not parse (a newer
                 * tankd's, after a downgrade) is still a pod in the store.
                 * Stop at a failure, before the deletions below: a name
                 * missing from seen would be taken as deleted. The pods set
                 * so far are set to their listed state, which is right. */
                r = test_fail_alloc(&m->test_fail_resync);
                if (r >= 0)
                        r = hashmap_put(seen, name, (void *) name);
                if (r < 0 && r != -EEXIST)
                        goto oom;
                r = store_pod_from_kv(&kvs[i], &pod, &error);
                if (r == -ENOMEM)
                        goto oom;
                if (r < 0) {
                        log_warning("Ignoring corrupt store value %s", strna(error));
                        continue;
                }
                r = reconciler_set_desired(m->reconciler, name, pod, kvs[i].mod_revision);
                if (r < 0)
                        goto oom;
        }
        /* Gone from the list: deleted at or before its revision (unless Apply
         * handed us a newer write than the list knows). A pod listed with a
         * value that does not parse is not gone: it keeps what it had, as
         * with a watch event carrying such a value. */
        HASHMAP_FOREACH(p, reconciler_pods(m->reconciler))
                if (p->desired && !hashmap_get(seen, p->name) && p->seen_revision <= revision)
                        reconciler_set_desired(m->reconciler, p->name, NULL, revision);
        m->watch_revision = MAX(m->watch_revision, revision);

        log_info("Store listed %zu pods at revision %" PRIi64 ".", n_kvs, revision);
        if (!m->store_synced)
                manager_first_sync(m, seen);
        scheduler_pods_changed(m->scheduler);
        return 0;
oom:
        log_warning_errno(r, "Could not take in the store's list of pods, listing again: %m");
        return r;
}

static void on_watch_broken(StoreWatch *w, int r, const char *error, void *userdata) {
        Manager *m = userdata;
        manager_notify_status(m, "Store watch interrupted, resuming: %s", strna(error));
}

static void on_store_health(Store *s, bool up, const char *error, void *userdata) {
        Manager *m = userdata;

        if (up)
                manager_notify_status(m, "Store is up (%s).", strna(store_current_endpoint(s)));
        else
                manager_notify_status(m, "Store is down: %s", strna(error));
}

static int on_resync_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        PodState *p;

        /* The slow level-triggered pass catches drift nobody told us about. */
        HASHMAP_FOREACH(p, reconciler_pods(m->reconciler))
                reconciler_queue(p);
        return sd_event_source_set_time_relative(s, m->resync_usec) < 0 ? 0 :
                sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

/* What hangs on the node's lease is done again with a new one. */
static void on_node_registered(Node *n, int64_t lease, void *userdata) {
        Manager *m = userdata;

        scheduler_node_registered(m->scheduler);
        pod_status_board_registered(m->pod_status);
}

/* Fenced or not any more: the reschedulable pods' placement changed. */
static void on_node_fenced(Node *n, bool fenced, void *userdata) {
        Manager *m = userdata;
        PodState *p;

        if (!m->reconciler)
                return;
        HASHMAP_FOREACH(p, reconciler_pods(m->reconciler))
                if (p->desired && p->desired->reschedule)
                        reconciler_queue(p);
}

int manager_connect_store(Manager *m, char **endpoints) {
        static const StoreWatchCallbacks callbacks = {
                .event = on_watch_event,
                .resync = on_watch_resync,
                .broken = on_watch_broken,
        };
        StoreConfig sc = {
                .endpoints = endpoints,
                .cert_file = m->config->store_cert_file,
                .key_file = m->config->store_key_file,
                .trusted_ca_file = m->config->store_trusted_ca_file,
        };
        _cleanup_free_ char *error = NULL;
        int r;

        r = store_new(m->event, &sc, &m->store, &error);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the store client: %s", strna(error));
        store_set_health_callback(m->store, on_store_health, m);
        reconciler_set_store(m->reconciler, m->store);
        r = node_start(m->node, m->store);
        if (r < 0)
                return log_error_errno(r, "Failed to register node %s: %m", node_name(m->node));

        r = store_watch_new(m->store, STORE_PODS_PREFIX, 0, &callbacks, m, &m->watch);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the store: %m");
        node_set_registered_callback(m->node, on_node_registered, m);
        node_set_fenced_callback(m->node, on_node_fenced, m);
        r = scheduler_start(m->scheduler);
        if (r < 0)
                return r;
        r = pod_status_board_start(m->pod_status);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the pods' status: %m");
        return 0;
}

/* Once the bus is up: the Reconciler borrows it, and announces pods on it. */
static int manager_new_reconciler(Manager *m) {
        ReconcilerEnv env = {
                .event = m->event,
                .bus = m->bus,
                .jobs = m->jobs,
                .runtime_dir = m->runtime_dir,
                .config = m->config,
                .store = m->store,
                .blobs = m->blobs,
                .layers = m->layers,
                .puller = m->puller,
                .trash = m->trash,
                .shim_exe = &m->shim_exe,
                .exec_exe = &m->exec_exe,
                .seccomp_filter = m->seccomp_filter,
                .backoff = {
                        .base_usec = m->config->backoff_base_usec,
                        .cap_usec = m->config->backoff_cap_usec,
                        .stable_usec = m->config->stable_usec,
                },
                .resolved = m->resolved,
        };
        int r;

        r = reconciler_new(&env, &bus_pod_observer, m, &m->reconciler);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the reconciler: %m");

        /* Before the first launch: the pins' directory can become a mount of
         * its own only while no pin is in it. Without it shims just copy the
         * host's namespace, as they always did. */
        r = shim_mntns_new(m->runtime_dir, &m->shim_mntns_fd);
        if (r < 0)
                log_notice_errno(r, "Containers' mount namespaces are copied from the host's, "
                                 "which holds one mount per pod%s: %m",
                                 r == -EBUSY ? " (the netns pins' directory is not a mount point yet, "
                                 "until its pins are gone)" :
                                 r == -EREMOTE ? " (not all of the host's mounts are shared)" : "");
        else
                reconciler_set_shim_mntns(m->reconciler, m->shim_mntns_fd);
        return 0;
}

int manager_run(Manager *m) {
        int r;

        r = sd_bus_open_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        /* Without the bus tankd serves nobody and hears nothing from systemd:
         * leave the loop, fail, and let systemd restart us (the containers
         * keep running and are adopted again). */
        r = sd_bus_set_exit_on_disconnect(m->bus, true);
        if (r < 0)
                return log_error_errno(r, "Failed to set exit-on-disconnect: %m");

        r = systemd_jobs_new(m->bus, &m->jobs);
        if (r < 0)
                return log_error_errno(r, "Failed to watch systemd's jobs: %m");
        r = bus_api_install(m);
        if (r < 0)
                return r;
        if (m->config->host_adapter == HOST_ADAPTER_AUTO) {
                r = resolved_watch_new(m->bus, m->event, &m->resolved);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch systemd-resolved: %m");
        }
        r = manager_new_reconciler(m);
        if (r < 0)
                return r;
        r = reconciler_subscribe_systemd(m->reconciler);
        if (r < 0)
                return r;
        r = image_updater_new(m, &m->updater);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the image update check: %m");

        r = sd_bus_request_name(m->bus, TANK_BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire bus name %s: %m", TANK_BUS_NAME);

        r = manager_start_store(m);
        if (r < 0)
                return r;

        r = sd_event_add_time_relative(m->event, &m->resync_timer, CLOCK_MONOTONIC,
                                       m->resync_usec, 0, on_resync_timer, m);
        if (r < 0)
                return log_error_errno(r, "Failed to arm the resync timer: %m");

        manager_notify_status(m, "Waiting for the store.");
        r = sd_event_loop(m->event);
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Stopping; containers keep running.");
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        if (r > 0)   /* sd-bus leaves the loop with EXIT_FAILURE on disconnect */
                return log_error_errno(ECONNRESET, "Lost the connection to the system bus, exiting.");
        log_info("tankd stopped; %zu pods left running in their scopes.",
                 hashmap_size(reconciler_pods(m->reconciler)));
        return 0;
}
