/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "gc.h"
#include "log.h"
#include "strv.h"

/* The blobs (manifest, config, layer blobs) and diff_ids of one record. */
static int record_content(const ImageRecord *rec, char ***blobs, char ***diff_ids) {
        int r;

        r = strv_extend(blobs, rec->digest);
        if (r >= 0 && rec->config_digest)
                r = strv_extend(blobs, rec->config_digest);
        FOREACH_ARRAY(l, rec->layers, rec->n_layers) {
                if (r >= 0 && l->digest)
                        r = strv_extend(blobs, l->digest);
                if (r >= 0 && l->diff_id)
                        r = strv_extend(diff_ids, l->diff_id);
        }
        return r < 0 ? r : 0;
}

int image_gc_unused(BlobStore *bs, char * const *used, char ***ret_digests) {
        _cleanup_strv_free_ char **all = NULL, **unused = NULL;
        int r;

        r = image_record_list(bs, &all);
        if (r < 0)
                return r;
        unused = calloc(1, sizeof(char *));
        if (!unused)
                return -ENOMEM;
        STRV_FOREACH(d, all)
                if (!strv_contains(used, *d)) {
                        r = strv_extend(&unused, *d);
                        if (r < 0)
                                return r;
                }
        *ret_digests = TAKE_PTR(unused);
        return 0;
}

int image_gc_remove(BlobStore *bs, LayerStore *ls, char * const *digests, char ***ret_removed) {
        _cleanup_strv_free_ char **removed = NULL, **cand_blobs = NULL, **cand_layers = NULL,
                **keep_blobs = NULL, **keep_layers = NULL, **remaining = NULL;
        int r;

        if (!bs || !ls)
                return -EINVAL;
        removed = calloc(1, sizeof(char *));
        if (!removed)
                return -ENOMEM;

        /* Read what each record used before it is gone; a record that cannot
         * be read is still removed (its content then stays: we cannot know it). */
        STRV_FOREACH(d, digests) {
                _cleanup_(image_record_freep) ImageRecord *rec = NULL;

                if (!digest_is_valid(*d))
                        return -EINVAL;
                if (strv_contains(removed, *d))
                        continue;
                r = image_record_load(bs, *d, &rec);
                if (r >= 0) {
                        r = record_content(rec, &cand_blobs, &cand_layers);
                        if (r < 0)
                                return r;
                } else if (r != -ENOENT)
                        log_debug_errno(r, "gc: record %s unreadable, removing it alone: %m", *d);
                r = image_record_remove(bs, *d);
                if (r < 0)
                        return r;
                if (r > 0) {
                        r = strv_extend(&removed, *d);
                        if (r < 0)
                                return r;
                }
        }

        /* Content shared with any remaining image stays. */
        r = image_record_list(bs, &remaining);
        if (r < 0)
                return r;
        STRV_FOREACH(d, remaining) {
                _cleanup_(image_record_freep) ImageRecord *rec = NULL;

                r = image_record_load(bs, *d, &rec);
                if (r < 0)
                        /* Unknown content: keep everything rather than break an image. */
                        return log_debug_errno(r, "gc: record %s unreadable, not collecting: %m", *d);
                r = record_content(rec, &keep_blobs, &keep_layers);
                if (r < 0)
                        return r;
        }

        STRV_FOREACH(b, cand_blobs)
                if (!strv_contains(keep_blobs, *b)) {
                        r = blobstore_remove_blob(bs, *b);
                        if (r < 0)
                                return r;
                }
        STRV_FOREACH(l, cand_layers)
                if (!strv_contains(keep_layers, *l)) {
                        r = layer_store_remove(ls, *l);
                        if (r < 0)
                                return r;
                }

        if (ret_removed)
                *ret_removed = TAKE_PTR(removed);
        return 0;
}
