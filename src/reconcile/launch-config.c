/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "image/rootfs.h"
#include "log.h"
#include "reconcile/launch-internal.h"
#include "reconcile/notify-setup.h"
#include "reconcile/reconciler-internal.h"
#include "reconcile/userns.h"
#include "shim/exec-protocol.h"
#include "spec/oci.h"
#include "strv.h"
#include "time-util.h"

/* The shim's config from the spec, the image and tankd's config: the
 * overlay's layers and scratch (started again from the image when written
 * under other ids), argv/env/cwd, the mounts (managed volumes made), the
 * user namespace range, the network (launch-network.c) and the shim's own
 * files in the container's runtime directory. Nothing is spawned here. */

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
                } else if (v->empty) {
                        r = pod_empty_volume_dir(rc, pod->name, v->name, &src);
                        if (r < 0)
                                return r;
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

int launch_build_config(Reconciler *rc, ContainerState *c, const PodContainer *spec, const ImageRecord *image,
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

        r = launch_network_setup(rc, pod, sc, ret_error);
        if (r < 0)
                return r;

        r = shim_config_set_spec(sc, spec);
        if (r < 0)
                return r;
        if (asprintf(&sc->exit_file, "%s/exit.json", run_dir) < 0)
                return -ENOMEM;
        if (asprintf(&sc->exec_socket, "%s/" EXEC_SOCKET_NAME, run_dir) < 0)
                return -ENOMEM;
        if (rc->seccomp_filter && !(sc->seccomp_filter = strdup(rc->seccomp_filter)))
                return -ENOMEM;
        if (spec->tty && asprintf(&sc->attach_socket, "%s/attach", run_dir) < 0)
                return -ENOMEM;
        if (asprintf(&sc->pid_file, "%s/pid", run_dir) < 0)
                return -ENOMEM;
        /* Made here too, not only by container_notify_open(): the shim refuses a
         * missing directory, and a container must start even if no listener
         * is there yet (its datagrams then fail with ECONNREFUSED, as
         * sd_notify's do when nobody listens). */
        if (spec->notify) {
                r = container_notify_dir(rc, pod->name, c->name, &sc->notify_dir);
                if (r < 0)
                        return r;
        }
        sc->stop_timeout_sec = (unsigned) MAX(rc->config->stop_timeout_usec / USEC_PER_SEC, 1U);
        sc->log = getenv("TANK_SHIM_LOG_INHERIT") ? SHIM_LOG_INHERIT : SHIM_LOG_JOURNAL;
        /* The output's journal fields (TANK_RESTART=, TANK_IMAGE=...). */
        sc->restart_count = c->lifecycle.restarts;
        if (spec->image && !(sc->image = strdup(spec->image)))
                return -ENOMEM;
        if (image && image->digest && !(sc->image_digest = strdup(image->digest)))
                return -ENOMEM;

        *ret = TAKE_PTR(sc);
        return 0;
}

