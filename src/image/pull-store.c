/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The last step of a pull (pull.h), in a worker thread: nothing in it may
 * wait on the loop. With puller_set_extract() every layer the layer store
 * lacks is extracted first, from the verified temp file, so that a refused
 * entry fails the pull before any blob is visible; then each layer blob is
 * fdatasync'd and renamed into blobs/, the config and manifests are written,
 * blobs/ is fsync'd, and only then the record and the tag are written: a
 * record never names a blob a power cut could take away. */

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "layer.h"
#include "pull-internal.h"

_printf_(3, 4) static int fail(char **ret_error, int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(ret_error, fmt, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return r;
}

/* Each layer the layer store lacks, lowest first; MaxImageSize= counts the
 * layers present already too. A refusal removes what this pull extracted:
 * a refused image leaves nothing. */
static int store_extract_all(PullOp *op, LayerStore *ls) {
        Puller *p = op->puller;
        uint64_t unpacked = 0;
        int r;

        FOREACH_ARRAY(j, op->layers, op->n_layers) {
                const Descriptor *d = &op->manifest->entries[j->index];
                const char *diff_id = op->info.diff_ids[j->index];
                _cleanup_free_ char *error = NULL;
                _cleanup_close_ int blob_fd = -EBADF;
                uint64_t size = 0;
                int fd;

                if (layer_store_has(ls, diff_id) > 0) {
                        if (layer_store_size(ls, diff_id, &size) >= 0)
                                unpacked = image_size_add(unpacked, size);
                        continue;
                }
                if (j->temp_name)
                        fd = j->fd;
                else {
                        /* Stored by an earlier pull that did not extract. */
                        r = blobstore_open_blob(p->store, d->digest, &blob_fd);
                        if (r < 0)
                                return fail(&op->store_error, r, "layer %s: %s", d->digest, strerror(-r));
                        fd = blob_fd;
                }
                if (lseek(fd, 0, SEEK_SET) < 0)
                        return fail(&op->store_error, -errno, "layer %s: %s", d->digest, strerror(errno));
                r = layer_store_unpack_image(ls, fd, d->media_type, diff_id, unpacked, &size, &error);
                if (r < 0)
                        /* A limit reads as a sentence: "layer sha256:… unpacks to more than …". */
                        return fail(&op->store_error, r, "layer %s%s%s", d->digest, r == -EFBIG ? " " : ": ",
                                    error ?: strerror(-r));
                j->extracted = r == 0;
                unpacked = image_size_add(unpacked, size);
        }
        return 0;
}

static int store_extract(PullOp *op) {
        _cleanup_(layer_store_freep) LayerStore *ls = NULL;
        int r;

        r = layer_store_open(op->puller->extract_dir, &ls);
        if (r < 0)
                return fail(&op->store_error, r, "cannot open the layer store: %s", strerror(-r));
        layer_store_set_limits(ls, &op->puller->limits);
        r = store_extract_all(op, ls);
        if (r < 0)
                FOREACH_ARRAY(j, op->layers, op->n_layers)
                        if (j->extracted)
                                (void) layer_store_remove(ls, op->info.diff_ids[j->index]);
        return r;
}

int pull_store_blobs(PullOp *op, char **ret_error) {
        BlobStore *store = op->puller->store;
        int r;

        FOREACH_ARRAY(j, op->layers, op->n_layers) {
                const char *digest = op->manifest->entries[j->index].digest;

                if (!j->temp_name)
                        continue;
                r = blobstore_commit_verified(store, j->fd, j->temp_name, digest);
                j->temp_name = mfree(j->temp_name);   /* discarded by the commit on failure */
                j->fd = safe_close(j->fd);
                if (r < 0)
                        return fail(ret_error, r, "cannot store layer %s: %s", digest, strerror(-r));
        }
        r = blobstore_put(store, op->config_digest, op->config_body, op->config_size);
        if (r < 0)
                return fail(ret_error, r, "cannot store the image config: %s", strerror(-r));
        r = blobstore_put(store, op->manifest_digest, op->manifest_body, op->manifest_size);
        if (r < 0)
                return fail(ret_error, r, "cannot store the manifest: %s", strerror(-r));
        /* Keep the index too: a pull by the index digest is resolvable offline. */
        if (op->index_digest)
                (void) blobstore_put(store, op->index_digest, op->index_body, op->index_size);
        return 0;
}

int pull_store_record(PullOp *op, const ImageRecord *rec, char **ret_error) {
        BlobStore *store = op->puller->store;
        int r;

        r = blobstore_sync(store);
        if (r >= 0)
                r = image_record_save(store, rec);
        if (r >= 0)
                r = image_tag_set(store, op->key, rec->digest);
        if (r < 0)
                return fail(ret_error, r, "cannot store the image record: %s", strerror(-r));
        return 0;
}

static void store_work(void *userdata) {
        PullOp *op = userdata;
        int r;

        r = op->puller->extract_dir ? store_extract(op) : 0;
        if (r >= 0)
                r = pull_store_blobs(op, &op->store_error);
        if (r >= 0)
                r = pull_store_record(op, op->store_rec, &op->store_error);
        op->store_result = MIN(r, 0);
}

static void on_stored(void *userdata) {
        PullOp *op = userdata;
        _cleanup_(image_record_freep) ImageRecord *rec = TAKE_PTR(op->store_rec);
        _cleanup_free_ char *error = TAKE_PTR(op->store_error);

        op->store_job = thread_job_free(op->store_job);
        if (op->store_result < 0)
                return pull_op_complete(op, op->store_result, NULL, "%s", error ?: strerror(-op->store_result));
        pull_op_complete(op, 0, rec->digest, NULL);
}

void pull_store_start(PullOp *op, ImageRecord *rec) {
        int r;

        op->store_rec = rec;
        op->store_result = 0;
        r = thread_job_start(op->puller->event, store_work, on_stored, op, &op->store_job);
        if (r < 0) {
                op->store_rec = image_record_free(op->store_rec);
                return pull_op_complete(op, r, NULL, "cannot start storing the image: %s", strerror(-r));
        }
}
