/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "daemon/bus-images.h"
#include "image/gc.h"
#include "log.h"
#include "reconcile/rollout-run.h"
#include "strv.h"

/* Does pod p use the image with record digest? */
static int pod_uses(Manager *m, PodState *p, const char *digest) {
        for (size_t i = 0; i < p->n_containers; i++) {
                ContainerState *c = p->containers[i];

                /* An exited container of a deleted pod holds nothing; one that
                 * runs, or is being started or stopped, holds its layers. */
                if (!c->image_digest || !streq(c->image_digest, digest))
                        continue;
                if (c->lifecycle.phase == CONTAINER_STARTING || c->lifecycle.phase == CONTAINER_RUNNING ||
                    c->lifecycle.phase == CONTAINER_STOPPING ||
                    c->unpack || c->launch)
                        return true;
        }
        if (!p->desired)
                return false;
        FOREACH_ARRAY(c, p->desired->containers, p->desired->n_containers) {
                _cleanup_(image_record_freep) ImageRecord *rec = NULL;
                int r;

                if (!c->image)
                        continue;
                r = image_record_load(m->blobs, c->image, &rec);
                if (r == -ENOENT)
                        continue;  /* not pulled (yet): it uses no record */
                if (r < 0)
                        /* Cannot tell: count it as a user rather than pull the floor away. */
                        return true;
                if (streq(rec->digest, digest))
                        return true;
        }
        /* The newest revision that succeeded is what a revert goes back to:
         * its images stay until a later revision succeeded (issue 16). */
        STRV_FOREACH(ref, pod_state_protected_images(p)) {
                _cleanup_(image_record_freep) ImageRecord *rec = NULL;
                int r;

                if (streq(*ref, digest))
                        return true;
                if (startswith(*ref, "/"))
                        continue;       /* a rootfs */
                r = image_record_load(m->blobs, *ref, &rec);
                if (r == -ENOENT)
                        continue;
                if (r < 0 || streq(rec->digest, digest))
                        return true;
        }
        return false;
}

static int image_users(Manager *m, const char *digest, char ***ret) {
        _cleanup_strv_free_ char **pods = NULL;
        PodState *p;
        int r;

        pods = calloc(1, sizeof(char *));
        if (!pods)
                return -ENOMEM;
        HASHMAP_FOREACH(p, reconciler_pods(m->reconciler))
                if (pod_uses(m, p, digest)) {
                        r = strv_extend(&pods, p->name);
                        if (r < 0)
                                return r;
                }
        *ret = TAKE_PTR(pods);
        return 0;
}

static int reply_removed(sd_bus_message *call, char **removed) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(call, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(reply, removed);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

int bus_images_reply(Manager *m, sd_bus_message *call, bool with_users) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_strv_free_ char **digests = NULL;
        int r;

        r = image_record_list(m->blobs, &digests);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(call, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', with_users ? "(ssttas)" : "(sstt)");
        if (r < 0)
                return r;
        STRV_FOREACH(d, digests) {
                _cleanup_(image_record_freep) ImageRecord *rec = NULL;
                _cleanup_strv_free_ char **pods = NULL;

                if (image_record_load(m->blobs, *d, &rec) < 0)
                        continue;
                if (with_users) {
                        r = image_users(m, rec->digest, &pods);
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_open_container(reply, 'r', with_users ? "ssttas" : "sstt");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "sstt", strempty(rec->name), rec->digest,
                                                  rec->size, rec->pulled_usec);
                if (r >= 0 && with_users)
                        r = sd_bus_message_append_strv(reply, pods);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_images_with_users(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        return bus_images_reply(userdata, call, true);
}

static int method_remove_image(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_(image_record_freep) ImageRecord *rec = NULL;
        _cleanup_strv_free_ char **pods = NULL, **removed = NULL;
        Manager *m = userdata;
        const char *image;
        int r;

        r = sd_bus_message_read(call, "s", &image);
        if (r < 0)
                return r;
        r = image_record_load(m->blobs, image, &rec);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "no such image: %s", image);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "cannot read image %s: %m", image);

        r = image_users(m, rec->digest, &pods);
        if (r < 0)
                return r;
        if (pods[0]) {
                _cleanup_free_ char *list = strv_join(pods, ", ");

                return sd_bus_error_setf(error, TANK_ERROR_BUSY, "image %s is used by pod%s %s",
                                         image, pods[1] ? "s" : "", list ?: "?");
        }

        char *one[] = { rec->digest, NULL };
        r = image_gc_remove(m->blobs, m->layers, one, &removed);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "failed to remove image %s: %m", image);
        log_info("Removed image %s (%s)", image, rec->digest);
        return reply_removed(call, removed);
}

static int method_prune_images(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_strv_free_ char **all = NULL, **unused = NULL, **removed = NULL;
        Manager *m = userdata;
        int r;

        r = image_record_list(m->blobs, &all);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "cannot list images: %m");
        unused = calloc(1, sizeof(char *));
        if (!unused)
                return -ENOMEM;
        STRV_FOREACH(d, all) {
                _cleanup_strv_free_ char **pods = NULL;

                r = image_users(m, *d, &pods);
                if (r < 0)
                        return r;
                if (!pods[0]) {
                        r = strv_extend(&unused, *d);
                        if (r < 0)
                                return r;
                }
        }
        r = image_gc_remove(m->blobs, m->layers, unused, &removed);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "failed to prune images: %m");
        log_info("Pruned %zu image(s)", strv_length(removed));
        return reply_removed(call, removed);
}

static const sd_bus_vtable images_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("ImagesWithUsers", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssttas)", images),
                                method_images_with_users, SD_BUS_VTABLE_UNPRIVILEGED),
        /* Root only: no UNPRIVILEGED flag, and the bus policy denies others. */
        SD_BUS_METHOD_WITH_ARGS("RemoveImage", SD_BUS_ARGS("s", image), SD_BUS_RESULT("as", removed_digests),
                                method_remove_image, 0),
        SD_BUS_METHOD_WITH_ARGS("PruneImages", SD_BUS_NO_ARGS, SD_BUS_RESULT("as", removed_digests),
                                method_prune_images, 0),
        SD_BUS_VTABLE_END,
};

int bus_images_install(Manager *m) {
        int r;

        /* A vtable of its own beside the Manager's keeps GC in this file. */
        r = sd_bus_add_object_vtable(m->bus, NULL, TANK_BUS_PATH, TANK_MANAGER_INTERFACE, images_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the image GC methods: %m");
        return 0;
}
