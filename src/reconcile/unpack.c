/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "log.h"
#include "reconcile/unpack.h"
#include "thread-job.h"

typedef struct UnpackLayer {
        int fd;
        char *media_type;
        char *diff_id;
} UnpackLayer;

struct UnpackJob {
        ThreadJob *thread;
        sd_event_source *nothing_to_do; /* defer source when every layer is present */
        char *data_dir;
        UnpackLayer *layers;
        size_t n_layers;
        unpack_handler_t cb;
        void *userdata;
        bool cancelled;
        /* Written by the thread, read after the join. */
        int result;
        char *message;
};

static void unpack_job_free(UnpackJob *j) {
        if (!j)
                return;
        thread_job_free(j->thread);
        sd_event_source_disable_unref(j->nothing_to_do);
        for (size_t i = 0; i < j->n_layers; i++) {
                safe_close(j->layers[i].fd);
                free(j->layers[i].media_type);
                free(j->layers[i].diff_id);
        }
        free(j->layers);
        free(j->data_dir);
        free(j->message);
        free(j);
}

static void unpack_work(void *userdata) {
        UnpackJob *j = userdata;
        _cleanup_(layer_store_freep) LayerStore *store = NULL;
        int r;

        r = layer_store_open(j->data_dir, &store);
        if (r < 0) {
                j->result = r;
                if (asprintf(&j->message, "cannot open the layer store: %s", strerror(-r)) < 0)
                        j->message = NULL;
        }
        for (size_t i = 0; r >= 0 && i < j->n_layers; i++) {
                _cleanup_free_ char *error = NULL;

                r = layer_store_unpack(store, j->layers[i].fd, j->layers[i].media_type,
                                       j->layers[i].diff_id, &error);
                if (r < 0) {
                        j->result = r;
                        if (asprintf(&j->message, "layer %s: %s", j->layers[i].diff_id,
                                     error ?: strerror(-r)) < 0)
                                j->message = NULL;
                }
        }
}

static void on_unpacked(void *userdata) {
        UnpackJob *j = userdata;

        if (!j->cancelled)
                j->cb(j->result, j->message, j->userdata);
        unpack_job_free(j);
}

static int on_nothing_to_unpack(sd_event_source *s, void *userdata) {
        on_unpacked(userdata);
        return 0;
}

void unpack_job_cancel(UnpackJob *j) {
        if (j)
                j->cancelled = true;    /* freed by on_unpacked once the thread is done */
}

int unpack_image_layers(sd_event *event, const char *data_dir, BlobStore *blobs, LayerStore *layers,
                        const ImageRecord *image, unpack_handler_t cb, void *userdata, UnpackJob **ret) {
        UnpackJob *j;
        int r;

        j = calloc(1, sizeof(UnpackJob));
        if (!j)
                return -ENOMEM;
        j->layers = calloc(image->n_layers ?: 1, sizeof(UnpackLayer));
        j->data_dir = strdup(data_dir);
        if (!j->layers || !j->data_dir) {
                unpack_job_free(j);
                return -ENOMEM;
        }
        for (size_t i = 0; i < image->n_layers; i++) {
                const ImageLayer *l = &image->layers[i];
                UnpackLayer *u;

                if (layer_store_has(layers, l->diff_id) > 0)
                        continue;
                u = &j->layers[j->n_layers];
                u->fd = -EBADF;
                j->n_layers++;
                r = blobstore_open_blob(blobs, l->digest, &u->fd);
                if (r < 0) {
                        unpack_job_free(j);
                        return r;
                }
                u->media_type = l->media_type ? strdup(l->media_type) : NULL;
                u->diff_id = strdup(l->diff_id);
                if (!u->diff_id || (l->media_type && !u->media_type)) {
                        unpack_job_free(j);
                        return -ENOMEM;
                }
        }
        j->cb = cb;
        j->userdata = userdata;
        /* Never called back from within this call, even with nothing to do:
         * the caller stores *ret after we return. */
        if (j->n_layers == 0)
                r = sd_event_add_defer(event, &j->nothing_to_do, on_nothing_to_unpack, j);
        else
                r = thread_job_start(event, unpack_work, on_unpacked, j, &j->thread);
        if (r < 0) {
                unpack_job_free(j);
                return r;
        }
        if (ret)
                *ret = j;
        return 0;
}
