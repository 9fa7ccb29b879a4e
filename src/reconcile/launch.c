/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "image/rootfs.h"
#include "log.h"
#include "net/host.h"
#include "net/netns.h"
#include "net/pod-network.h"
#include "reconcile/launch.h"
#include "reconcile/reconciler-internal.h"
#include "reconcile/userns.h"
#include "bus/scope.h"
#include "shim/exit-record.h"
#include "shim/shim-config.h"
#include "spec/oci.h"
#include "spec/reference.h"
#include "strv.h"
#include "time-util.h"
#include "fs-util.h"

typedef enum LaunchStep {
        STEP_WAIT_PID,
        STEP_WAIT_SCOPE,
        STEP_WAIT_RUNNING,
} LaunchStep;

struct Launch {
        Reconciler *reconciler;
        ContainerState *container;
        launch_handler_t cb;
        int sync_fd;
        sd_event_source *io;
        sd_bus_slot *job;               /* StartTransientUnit in flight */
        LaunchStep step;
        UnitLimits limits;              /* of the spec this launch was built from */
        pid_t shim_pid;
        char *shim_error;
        bool go_sent;
};

int container_run_dir(Reconciler *rc, const char *pod, const char *container, char **ret) {
        char *p;
        if (asprintf(&p, "%s/pods/%s/%s", rc->runtime_dir, pod, container) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

int container_scratch_dir(Reconciler *rc, const char *pod, const char *container, char **ret) {
        char *p;
        if (asprintf(&p, "%s/pods/%s/%s", rc->config->data_dir, pod, container) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

static void launch_free(Launch *l) {
        if (!l)
                return;
        sd_event_source_disable_unref(l->io);
        sd_bus_slot_unref(l->job);
        safe_close(l->sync_fd);
        free(l->shim_error);
        free(l);
}

void launch_abort(Launch *l) {
        if (!l)
                return;
        /* Closing the sync fd before "go" makes the shim give up without creating
         * anything; after "go" the container runs and is found by adoption. */
        l->container->launch = NULL;
        launch_free(l);
}

static void launch_finish(Launch *l, int r, const char *message) {
        ContainerState *c = l->container;
        launch_handler_t cb = l->cb;

        c->launch = NULL;
        launch_free(l);
        cb(c, r, message);
}

static int send_packet(int fd, const char *s) {
        ssize_t n = send(fd, s, strlen(s), MSG_NOSIGNAL);
        return n < 0 ? -errno : 0;
}

static void on_scope_started(int r, const char *job_result, void *userdata) {
        Launch *l = userdata;
        ContainerState *c = l->container;

        l->job = sd_bus_slot_unref(l->job);
        if (r < 0) {
                _cleanup_free_ char *msg = NULL;
                if (asprintf(&msg, "failed to start %s: %s", c->unit,
                             job_result ? job_result : strerror(-r)) < 0)
                        msg = NULL;
                /* The shim sees EOF instead of "go" and exits without a container. */
                launch_finish(l, r, msg ?: "failed to start the scope");
                return;
        }
        r = send_packet(l->sync_fd, "go");
        if (r < 0) {
                launch_finish(l, r, "tank-shim went away before it could be started");
                return;
        }
        l->go_sent = true;
        l->step = STEP_WAIT_RUNNING;
}

static int launch_handle_packet(Launch *l, const char *msg) {
        Reconciler *rc = l->reconciler;
        ContainerState *c = l->container;
        const char *v;
        int r;

        if ((v = startswith(msg, "error "))) {
                free(l->shim_error);
                l->shim_error = strdup(v);
                return 0;
        }
        if (l->step == STEP_WAIT_PID && (v = startswith(msg, "pid "))) {
                _cleanup_free_ char *description = NULL;
                ScopeRequest req;
                int pid;

                if (sscanf(v, "%d", &pid) != 1 || pid <= 1)
                        return -EBADMSG;
                l->shim_pid = c->shim_pid = pid;
                l->step = STEP_WAIT_SCOPE;
                /* Record before the scope exists: a crash from here on leaves a
                 * trace that adoption can follow. */
                (void) container_state_save(rc, c);
                if (asprintf(&description, "Tank container %s/%s", c->pod->name, c->name) < 0)
                        return -ENOMEM;
                pid_t pids[1] = { pid };
                req = (ScopeRequest) {
                        .name = c->unit,
                        .slice = c->pod->slice,
                        .description = description,
                        .pids = pids,
                        .n_pids = 1,
                        .memory_accounting = true,
                        .tasks_accounting = true,
                        .cpu_accounting = true,
                        .container_devices = true,
                        /* systemd's backstop behind the shim's own SIGTERM..SIGKILL grace */
                        .timeout_stop_usec = rc->config->stop_timeout_usec + 20 * USEC_PER_SEC,
                        /* An OOM kill is the shim's to record (exit.json "oom")
                         * and the restart policy's to act on. With systemd's
                         * default "stop", a unified host would stop the whole
                         * container when the kernel kills any one process in
                         * it (an exec'd one, a child of PID 1), and a PID 1
                         * that survived would exit by SIGTERM, oom false. */
                        .oom_policy = "continue",
                        .limits = l->limits,
                };
                r = scope_start_async(rc->bus, &req, on_scope_started, l, &l->job);
                return r;
        }
        if (l->step == STEP_WAIT_RUNNING && (v = startswith(msg, "running "))) {
                int pid;

                if (sscanf(v, "%d", &pid) != 1 || pid <= 1)
                        return -EBADMSG;
                c->pid = pid;
                launch_finish(l, 0, NULL);
                return 1;
        }
        return -EBADMSG;
}

static int on_sync_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Launch *l = userdata;
        char buf[SHIM_SYNC_MSG_MAX + 1];
        ssize_t n;
        int r;

        n = recv(fd, buf, SHIM_SYNC_MSG_MAX, MSG_DONTWAIT);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                launch_finish(l, -errno, "lost the sync channel to tank-shim");
                return 0;
        }
        if (n == 0) {
                _cleanup_free_ char *msg = NULL;
                if (asprintf(&msg, "tank-shim failed: %s",
                             l->shim_error ?: "it exited before the container was running") < 0)
                        msg = NULL;
                launch_finish(l, l->go_sent ? -ENOEXEC : -EIO, msg ?: "tank-shim failed");
                return 0;
        }
        buf[n] = 0;
        if (memchr(buf, 0, n)) {
                launch_finish(l, -EBADMSG, "malformed message from tank-shim");
                return 0;
        }
        r = launch_handle_packet(l, buf);
        if (r < 0) {
                _cleanup_free_ char *msg = NULL;
                if (asprintf(&msg, "failed to start container: %s", strerror(-r)) < 0)
                        msg = NULL;
                launch_finish(l, r, msg ?: "failed to start container");
        }
        return 0;
}

static int on_first_shim_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        /* The shim's first process only forks the monitor; what matters comes
         * over the sync fd. This source just reaps it, then goes: no longer
         * floating, the loop drops its reference, the only one, and the
         * source (with the pidfd sd-event keeps for it) is freed once this
         * dispatch is over. */
        if (si->si_code != CLD_EXITED || si->si_status != SHIM_EXIT_OK)
                log_debug("tank-shim (pid %d) exited with %d/%d", si->si_pid, si->si_code, si->si_status);
        (void) sd_event_source_set_floating(s, false);
        return 0;
}

static UnitLimits limits_for(Reconciler *rc, const PodContainer *spec) {
        return (UnitLimits) {
                .memory_max = spec->limits.memory == LIMIT_UNSET ? SCOPE_LIMIT_UNSET : spec->limits.memory,
                /* No limits.pids: [Limits] DefaultPids= (0: none, and then
                 * systemd's DefaultTasksMax= applies). */
                .tasks_max = spec->limits.pids != LIMIT_UNSET ? spec->limits.pids :
                             rc->config->default_pids != 0     ? rc->config->default_pids :
                                                                SCOPE_LIMIT_UNSET,
                .cpu_quota_us = spec->limits.cpu_quota_us,
                .cpu_period_us = spec->limits.cpu_period_us,
        };
}

static int resolve_mounts(Reconciler *rc, const Pod *pod, const PodContainer *spec, ShimConfig *sc, char **ret_error) {
        sc->mounts = calloc(spec->n_mounts ?: 1, sizeof(ShimMount));
        if (!sc->mounts)
                return -ENOMEM;
        for (size_t i = 0; i < spec->n_mounts; i++) {
                const PodMount *pm = &spec->mounts[i];
                const PodVolume *v = pod_find_volume(pod, pm->volume);
                ShimMount *sm = &sc->mounts[sc->n_mounts];
                char *src;
                int r;

                if (!v)
                        return -EINVAL; /* validation guarantees this never happens */
                if (v->host_path) {
                        struct stat st;
                        if (stat(v->host_path, &st) < 0) {
                                if (asprintf(ret_error, "volume %s: host path %s: %s", v->name,
                                             v->host_path, strerror(errno)) < 0)
                                        return -ENOMEM;
                                return -ENOENT;
                        }
                        src = strdup(v->host_path);
                } else {
                        _cleanup_free_ char *volumes = NULL;

                        /* volumes/ 0700 (tankd makes it so at start too): the
                         * container's root may leave setuid files in there. */
                        if (asprintf(&volumes, "%s/volumes", rc->config->data_dir) < 0)
                                return -ENOMEM;
                        r = mkdir_restrict(volumes, 0700);
                        if (r < 0)
                                return r;
                        if (asprintf(&src, "%s/%s/%s", volumes, pod->name, v->name) < 0)
                                src = NULL;
                        else if ((r = mkdir_p(src, 0755)) < 0) {
                                free(src);
                                return r;
                        }
                }
                if (!src)
                        return -ENOMEM;
                sm->source = src;
                sm->destination = strdup(pm->path);
                sm->read_only = pm->read_only;
                sm->give_to_user = !v->host_path;
                if (!sm->destination)
                        return -ENOMEM;
                sc->n_mounts++;
        }
        return 0;
}

/* A writable layer written under other ids (the host's, or another range)
 * would show as unmapped files under the new ones, so it starts from the
 * image again. "ids" beside it says which ids wrote it; none: the host's (a
 * scratch from before user namespaces). */
static int scratch_match_ids(RmRfQueue *trash, const char *pod, const char *container, const char *scratch,
                             const ShimConfig *sc, char **ret_error) {
        _cleanup_free_ char *path = NULL, *old = NULL;
        _cleanup_close_ int fd = -EBADF;
        char want[64];
        int r;

        if (sc->userns_size > 0)
                (void) snprintf(want, sizeof want, "%u:%u:%u\n", (unsigned) sc->userns_uid,
                                (unsigned) sc->userns_gid, (unsigned) sc->userns_size);
        else
                (void) snprintf(want, sizeof want, "host\n");
        r = mkdir_p(scratch, 0700);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/ids", scratch) < 0)
                return -ENOMEM;
        r = read_file_capped(AT_FDCWD, path, 64, O_NOFOLLOW | O_NONBLOCK, READ_FILE_REGULAR, &old, NULL);
        if (r < 0 && r != -ENOENT)
                return r;
        if (streq(old ?: "host\n", want))
                return 0;
        fd = open(scratch, O_DIRECTORY | O_CLOEXEC | O_RDONLY);
        if (fd < 0)
                return -errno;
        if (faccessat(fd, "upper", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
                return write_file_atomic(path, want, strlen(want), 0600);  /* nothing written yet */
        log_info("Container %s/%s: its writable layer was written under other ids; starting from the image.",
                 pod, container);
        /* Gone from its name at once, removed off the loop. */
        if (rm_rf_queue_add(trash, fd, "upper") < 0 || rm_rf_queue_add(trash, fd, "work") < 0)
                return asprintf(ret_error, "cannot remove the writable layer in %s, written under other ids",
                                scratch) < 0 ? -ENOMEM : -EIO;
        return write_file_atomic(path, want, strlen(want), 0600);
}

static int build_shim_config(Reconciler *rc, ContainerState *c, const PodContainer *spec, const ImageRecord *image,
                             const char *run_dir, ShimConfig **ret, char **ret_error) {
        _cleanup_(shim_config_freep) ShimConfig *sc = shim_config_new();
        _cleanup_free_ char *scratch = NULL;
        const Pod *pod = c->pod->desired;
        ImageConfig empty = {};
        int r;

        if (!sc)
                return -ENOMEM;
        if (!(sc->pod = strdup(pod->name)) || !(sc->container = strdup(c->name)))
                return -ENOMEM;

        r = container_scratch_dir(rc, pod->name, c->name, &scratch);
        if (r < 0)
                return r;
        if (pod_wants_userns(rc, pod)) {
                if (c->pod->userns_size == 0)
                        return -ESRCH;  /* container_start() waits for the range first */
                sc->userns_uid = c->pod->userns_uid;
                sc->userns_gid = c->pod->userns_gid;
                sc->userns_size = c->pod->userns_size;
        }
        r = scratch_match_ids(rc->trash, pod->name, c->name, scratch, sc, ret_error);
        if (r < 0)
                return r;
        /* Refuses a data directory whose file system cannot hold an overlay
         * upper directory, naming that file system. */
        r = rootfs_prepare_scratch(scratch, &sc->rootfs_upper, &sc->rootfs_work, ret_error);
        if (r < 0)
                return r;
        if (asprintf(&sc->rootfs_target, "%s/rootfs", run_dir) < 0)
                return -ENOMEM;
        r = mkdir_p(sc->rootfs_target, 0755);
        if (r < 0)
                return r;

        if (image) {
                for (size_t i = 0; i < image->n_layers; i++) {
                        _cleanup_free_ char *root = NULL;
                        r = layer_store_root_path(rc->layers, image->layers[i].diff_id, &root);
                        if (r < 0) {
                                if (asprintf(ret_error, "layer %s of %s is missing from the layer store",
                                             image->layers[i].diff_id, strna(image->name)) < 0)
                                        return -ENOMEM;
                                return r;
                        }
                        r = strv_consume(&sc->rootfs_lower, TAKE_PTR(root));
                        if (r < 0)
                                return r;
                }
        } else {
                r = strv_extend(&sc->rootfs_lower, spec->rootfs);
                if (r < 0)
                        return r;
        }

        r = oci_resolve(image ? image->config : &empty, spec, &sc->argv, &sc->env, &sc->cwd);
        if (r == -ENOEXEC)
                return asprintf(ret_error, "nothing to run: no command in the spec and no Entrypoint/Cmd in the image") < 0 ? -ENOMEM : r;
        if (r < 0)
                return r;
        if (image && image->config && image->config->user && !isempty(image->config->user))
                if (!(sc->user = strdup(image->config->user)))
                        return -ENOMEM;

        r = resolve_mounts(rc, pod, spec, sc, ret_error);
        if (r < 0)
                return r;

        switch (pod->network.mode) {
        case NETWORK_HOST:
                sc->network = SHIM_NETWORK_HOST;
                break;
        case NETWORK_NONE:
        case NETWORK_MACVLAN: {
                _cleanup_host_facts_free_ HostFacts *facts = NULL;
                _cleanup_(pod_network_result_done) PodNetworkResult net = {};

                /* Raised by the first container, adopted by the others and after a
                 * tankd restart (src/net/pod-network.h). */
                r = host_facts_new_resolved(rc->config, rc->resolved, &facts);
                if (r < 0)
                        return r;
                r = pod_network_setup(rc->runtime_dir, pod, facts, &net, ret_error);
                if (r < 0)
                        return r;
                sc->netns_path = TAKE_PTR(net.netns_path);
                sc->hostname_file = TAKE_PTR(net.hostname_file);
                sc->hosts = TAKE_PTR(net.hosts);
                sc->resolv_conf = TAKE_PTR(net.resolv_conf);
                sc->network = SHIM_NETWORK_PATH;
                break;
        }
        default:
                return -EINVAL;
        }

        sc->tty = spec->tty;
        if (asprintf(&sc->exit_file, "%s/exit.json", run_dir) < 0)
                return -ENOMEM;
        if (spec->tty && asprintf(&sc->attach_socket, "%s/attach", run_dir) < 0)
                return -ENOMEM;
        if (asprintf(&sc->pid_file, "%s/pid", run_dir) < 0)
                return -ENOMEM;
        sc->stop_timeout_sec = (unsigned) MAX(rc->config->stop_timeout_usec / USEC_PER_SEC, 1U);
        sc->log = getenv("TANK_SHIM_LOG_INHERIT") ? SHIM_LOG_INHERIT : SHIM_LOG_JOURNAL;

        *ret = TAKE_PTR(sc);
        return 0;
}

int launch_container(Reconciler *rc, ContainerState *c, const PodContainer *spec, const ImageRecord *image,
                     launch_handler_t cb, char **ret_error) {
        _cleanup_free_ char *run_dir = NULL, *config_path = NULL, *exit_path = NULL, *pid_path = NULL;
        _cleanup_(shim_config_freep) ShimConfig *sc = NULL;
        int sv[2] = { -EBADF, -EBADF }, r;
        Launch *l;
        pid_t pid;

        r = container_run_dir(rc, c->pod->name, c->name, &run_dir);
        if (r < 0)
                return r;
        r = mkdir_p(run_dir, 0700);
        if (r < 0)
                return r;
        if (asprintf(&config_path, "%s/config.json", run_dir) < 0 ||
            asprintf(&exit_path, "%s/exit.json", run_dir) < 0 ||
            asprintf(&pid_path, "%s/pid", run_dir) < 0)
                return -ENOMEM;
        (void) unlink(exit_path);
        (void) unlink(pid_path);

        r = build_shim_config(rc, c, spec, image, run_dir, &sc, ret_error);
        if (r < 0)
                return r;
        r = shim_config_write(sc, config_path);
        if (r < 0)
                return r;

        /* Everything that can fail for want of memory happens before the
         * spawn, so that a shim once spawned is always reaped. */
        l = calloc(1, sizeof(Launch));
        if (!l)
                return -ENOMEM;
        *l = (Launch) {
                .reconciler = rc,
                .container = c,
                .cb = cb,
                .sync_fd = -EBADF,
                .step = STEP_WAIT_PID,
                .limits = limits_for(rc, spec),
        };
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
                r = -errno;
                launch_free(l);
                return r;
        }
        l->sync_fd = sv[0];
        r = sd_event_add_io(rc->event, &l->io, l->sync_fd, EPOLLIN, on_sync_io, l);
        if (r < 0) {
                safe_close(sv[1]);
                launch_free(l);
                return r;
        }

        {
                char *argv[] = { (char *) "tank-shim", (char *) "--config", config_path,
                                 (char *) "--sync-fd", (char *) "3", NULL };
                r = sealed_exe_spawn(rc->shim_exe, argv, &sv[1], 1, &pid);
        }
        safe_close(sv[1]);
        if (r < 0) {
                launch_free(l);
                return r;
        }

        /* Floating: the loop owns it until the child is reaped, so the shim
         * is reaped even if the launch is aborted before. */
        r = sd_event_add_child(rc->event, NULL, pid, WEXITED, on_first_shim_exit, NULL);
        if (r < 0) {
                /* Closing the sync fd makes the shim give up at once. */
                launch_free(l);
                (void) waitpid(pid, NULL, 0);
                return r;
        }
        c->launch = l;
        return 0;
}
