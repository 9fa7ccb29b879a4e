/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The [Images] limits of a pull (pull.h): what the manifest declares, checked
 * before any download, and the scan of every downloaded layer in a worker
 * thread (layer_scan(): its diff_id and unpacked size). */

#include <fcntl.h>
#include <inttypes.h>

#include "layer.h"
#include "pull-internal.h"

/* What the manifest declares is checked before anything is downloaded. */
int pull_check_declared_sizes(PullOp *op) {
        Puller *p = op->puller;
        const ImageLimits *l = &p->limits;
        _cleanup_free_ char *what = NULL, *err = NULL;
        char v[IMAGE_SIZE_STR_MAX];
        uint64_t total = 0, need = 0;
        int r;

        FOREACH_ARRAY(d, op->manifest->entries, op->manifest->n_entries) {
                if ((uint64_t) d->size > l->max_layer_size) {
                        pull_op_complete(op, -EFBIG, NULL, "layer %s is more than MaxLayerSize=%s compressed "
                                         "(%" PRIi64 " bytes declared)", d->digest,
                                         image_size_format(l->max_layer_size, v), d->size);
                        return -EFBIG;
                }
                total = image_size_add(total, (uint64_t) d->size);
                if (total > l->max_image_size) {
                        pull_op_complete(op, -EFBIG, NULL, "layer %s brings the image past MaxImageSize=%s "
                                         "compressed (%" PRIu64 " bytes declared so far)", d->digest,
                                         image_size_format(l->max_image_size, v), total);
                        return -EFBIG;
                }
                if (!blobstore_has(p->store, d->digest))
                        need = image_size_add(need, (uint64_t) d->size);
        }

        if (asprintf(&what, "pull of %s", op->key) < 0) {
                pull_op_complete(op, -ENOMEM, NULL, "out of memory");
                return -ENOMEM;
        }
        r = image_limits_check_free(l, blobstore_images_fd(p->store), need, what, &err);
        if (r < 0) {
                pull_op_complete(op, r, NULL, "%s", err ?: strerror(-r));
                return r;
        }
        return 0;
}

static bool puller_scans(Puller *p) {
        return p->limits.max_unpacked_layer_size != IMAGE_SIZE_INFINITY ||
               p->limits.max_image_size != IMAGE_SIZE_INFINITY;
}

/* In the worker thread: reads only what nobody changes while the op lives. */
static void scan_work(void *userdata) {
        LayerJob *j = userdata;
        PullOp *op = j->op;
        const Descriptor *d = &op->manifest->entries[j->index];

        j->scan_result = layer_scan(j->scan_fd, d->media_type, op->info.diff_ids[j->index], &op->puller->limits,
                                    0, &j->scan_cancel, &j->scan_unpacked, &j->scan_error);
}

static void on_scanned(void *userdata) {
        LayerJob *j = userdata;
        PullOp *op = j->op;
        const Descriptor *d = &op->manifest->entries[j->index];
        const ImageLimits *l = &op->puller->limits;
        char v[IMAGE_SIZE_STR_MAX];

        j->scan = thread_job_free(j->scan);
        j->scan_fd = safe_close(j->scan_fd);
        if (j->scan_result < 0) {
                _cleanup_free_ char *e = TAKE_PTR(j->scan_error);
                int r = j->scan_result;

                /* A limit reads as a sentence: "layer sha256:… unpacks to more than …". */
                return pull_op_complete(op, r, NULL, "layer %s%s%s", d->digest, r == -EFBIG ? " " : ": ",
                                        e ?: strerror(-r));
        }
        op->unpacked = image_size_add(op->unpacked, j->scan_unpacked);
        if (op->unpacked > l->max_image_size)
                return pull_op_complete(op, -EFBIG, NULL, "layer %s brings the image past MaxImageSize=%s unpacked",
                                        d->digest, image_size_format(l->max_image_size, v));
        layer_job_finished(j);
}

void pull_layer_verified(LayerJob *j) {
        PullOp *op = j->op;
        const char *digest = op->manifest->entries[j->index].digest;
        int r;

        /* Without unpacked limits there is nothing to scan for. */
        if (!puller_scans(op->puller))
                return layer_job_finished(j);

        /* A dup shares the offset, but nothing else reads the temp file. */
        j->scan_fd = fcntl(j->fd, F_DUPFD_CLOEXEC, 3);
        if (j->scan_fd < 0 || lseek(j->scan_fd, 0, SEEK_SET) < 0)
                return pull_op_complete(op, -errno, NULL, "cannot read layer %s back: %m", digest);
        r = thread_job_start(op->puller->event, scan_work, on_scanned, j, &j->scan);
        if (r < 0)
                return pull_op_complete(op, r, NULL, "cannot start the scan of layer %s: %s", digest, strerror(-r));
}
