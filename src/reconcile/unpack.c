/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "log.h"
#include "reconcile/unpack.h"
#include "thread-job.h"

typedef struct UnpackLayer {
        int fd;
        char *media_type;
        char *diff_id;
        char *digest;           /* the blob's, for messages */
} UnpackLayer;

struct UnpackJob {
        ThreadJob *thread;
        sd_event_source *nothing_to_do; /* defer source when every layer is present */
        char *data_dir;
        ImageLimits limits;     /* the daemon's LayerStore's */
        uint64_t present;       /* unpacked size of the image's layers already there */
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
                free(j->layers[i].digest);
        }
        free(j->layers);
        free(j->data_dir);
        free(j->message);
        free(j);
}

static void unpack_work(void *userdata) {
        UnpackJob *j = userdata;
        _cleanup_(layer_store_freep) LayerStore *store = NULL;
        uint64_t unpacked = j->present;
        int r;

        r = layer_store_open(j->data_dir, &store);
        if (r < 0) {
                j->result = r;
                if (asprintf(&j->message, "cannot open the layer store: %s", strerror(-r)) < 0)
                        j->message = NULL;
        } else
                layer_store_set_limits(store, &j->limits);
        /* MaxImageSize= counts the whole image: the layers present already and
         * those unpacked here. */
        for (size_t i = 0; r >= 0 && i < j->n_layers; i++) {
                _cleanup_free_ char *error = NULL;
                uint64_t size = 0;

                r = layer_store_unpack_image(store, j->layers[i].fd, j->layers[i].media_type,
                                             j->layers[i].diff_id, unpacked, &size, &error);
                if (r < 0) {
                        j->result = r;
                        /* A limit reads as a sentence: "layer sha256:… unpacks to more than …". */
                        if (asprintf(&j->message, "layer %s%s%s", j->layers[i].digest, r == -EFBIG ? " " : ": ",
                                     error ?: strerror(-r)) < 0)
                                j->message = NULL;
                }
                unpacked = image_size_add(unpacked, size);
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
        layer_store_get_limits(layers, &j->limits);
        for (size_t i = 0; i < image->n_layers; i++) {
                const ImageLayer *l = &image->layers[i];
                UnpackLayer *u;
                uint64_t size;

                if (layer_store_has(layers, l->diff_id) > 0) {
                        if (layer_store_size(layers, l->diff_id, &size) >= 0)
                                j->present = image_size_add(j->present, size);
                        continue;
                }
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
                u->digest = strdup(l->digest);
                if (!u->diff_id || !u->digest || (l->media_type && !u->media_type)) {
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
