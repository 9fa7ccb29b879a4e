/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layer store: every image layer extracted once, keyed by its diff_id (the
 * sha256 of the uncompressed tar stream), shared by all images that use it.
 *
 * On disk, under <data_dir>/layers/:
 *   sha256/<hex>/root/        the layer's tree, ready to be an overlayfs lowerdir
 *                             (OCI whiteouts already turned into overlay ones)
 *   sha256/<hex>/info         "size=<bytes>\nentries=<n>\n" (size: unpacked, limits.h)
 *   sha256/.tmp-<hex>-<rnd>/  an extraction in progress (or one that died)
 *
 * Promises:
 *   - A layer directory appears (one renameat2(RENAME_NOREPLACE)) only once its
 *     whole tar has been extracted, synced to disk, and the sha256 of the
 *     uncompressed stream equals diff_id. Anything else leaves no layer.
 *   - An extraction holds an flock on its temp dir; layer_store_open() removes
 *     temp dirs whose owner is gone (crash, kill), never a live one.
 *   - No tar entry can create, modify or change metadata of anything outside the
 *     layer's root: every parent path is resolved with openat2(RESOLVE_BENEATH|
 *     RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS|RESOLVE_NO_XDEV), leaves are
 *     created with *at() calls that never follow symlinks, device nodes are
 *     created but never opened. A refused layer fails with the entry's name.
 *   - Concurrent unpacks of the same diff_id (two images sharing a layer) are
 *     safe: one wins the rename, the other discards its copy and reports the
 *     layer as present.
 *
 * Not thread-safe per LayerStore object; use one per thread (they may share the
 * same data dir). Library code: logs at debug level only. */

#include <stdint.h>

#include "limits.h"
#include "macro.h"

typedef struct LayerStore LayerStore;

typedef enum LayerCompression {
        LAYER_COMPRESSION_AUTO,   /* gzip, zstd or none, detected from the bytes */
        LAYER_COMPRESSION_NONE,
        LAYER_COMPRESSION_GZIP,
        LAYER_COMPRESSION_ZSTD,
} LayerCompression;

/* OCI and Docker layer media types -> compression; NULL or "" -> AUTO.
 * Returns -EPROTONOSUPPORT for anything that is not a tar layer. */
int layer_compression_from_media_type(const char *media_type);

/* Opens (creating if needed) <data_dir>/layers/ and removes stale temp dirs. */
int layer_store_open(const char *data_dir, LayerStore **ret);
LayerStore *layer_store_free(LayerStore *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(LayerStore *, layer_store_free);

/* Whether to syncfs() a finished layer before it is renamed into place (default:
 * true; only benchmarks and tests that do not care about power loss turn it off). */
void layer_store_set_sync(LayerStore *s, bool b);

/* MaxUnpackedLayerSize=, MaxImageSize= (unpacked) and MinFreeSpace= for every
 * unpack (default: none). A refusal is -EFBIG ("unpacks to more than
 * MaxUnpackedLayerSize=64M (at entry 'big')") or -ENOSPC, and leaves nothing. */
void layer_store_set_limits(LayerStore *s, const ImageLimits *l);
void layer_store_get_limits(LayerStore *s, ImageLimits *ret);

/* "sha256:<64 lowercase hex>" only. */
bool layer_diff_id_is_valid(const char *diff_id);

/* Extracts the layer read from blob_fd (read from its current offset to EOF; the
 * fd is not closed) unless it is already present. media_type may be NULL
 * (autodetect). Returns 0 if it was extracted now, 1 if it was already present,
 * negative errno on failure with a human-readable *ret_error (if ret_error is
 * non-NULL), e.g. "layer entry 'etc/../../x': path contains '..'". */
int layer_store_unpack(LayerStore *s, int blob_fd, const char *media_type,
                       const char *diff_id, char **ret_error);

/* The same for one layer of an image whose lower layers unpacked to
 * image_unpacked bytes: the cap is what MaxImageSize= leaves, if that is less
 * than MaxUnpackedLayerSize=. MinFreeSpace= is checked before and while
 * writing. *ret_unpacked (optional): this layer's unpacked size (also when it
 * was present already). */
int layer_store_unpack_image(LayerStore *s, int blob_fd, const char *media_type, const char *diff_id,
                             uint64_t image_unpacked, uint64_t *ret_unpacked, char **ret_error);

/* Reads the layer without writing anything: verifies diff_id and checks the
 * unpacked size against the limits as layer_store_unpack_image() would (no
 * free-space check: nothing is written). Blocking. When *cancel (optional)
 * becomes true (from another thread), stops within one buffer: -ECANCELED. */
int layer_scan(int blob_fd, const char *media_type, const char *diff_id, const ImageLimits *l,
               uint64_t image_unpacked, const bool *cancel, uint64_t *ret_unpacked, char **ret_error);

/* Adapter with the shape of pull.h's pull_layer_hook_t: userdata is the
 * LayerStore; 0 on success (also when already present). Blocking: extraction
 * takes seconds, so run it off the event loop (worker thread with its own
 * LayerStore, or a child process). */
int layer_store_pull_hook(void *userdata, int blob_fd, const char *media_type,
                          const char *digest, const char *diff_id, char **ret_error);

/* > 0 if the layer is present, 0 if not, < 0 on error (invalid diff_id: -EINVAL). */
int layer_store_has(LayerStore *s, const char *diff_id);

/* Absolute path of the layer's root directory (the overlay lowerdir). -ENOENT if
 * the layer is not present. */
int layer_store_root_path(LayerStore *s, const char *diff_id, char **ret_path);

/* Bytes of regular file data in the layer (as recorded at extraction). */
int layer_store_size(LayerStore *s, const char *diff_id, uint64_t *ret_size);

/* Removes a layer (for GC; the caller ensures no image uses it). It is first
 * renamed to a temp name, so a half-removed layer is never visible. 0 if it was
 * not present. */
int layer_store_remove(LayerStore *s, const char *diff_id);

/* All present layers, as diff_ids. */
int layer_store_list(LayerStore *s, char ***ret_diff_ids);

/* Garbage collection: removes every present layer not in `keep` (the diff_ids
 * of all images still recorded; the caller holds off new pulls meanwhile).
 * Returns the number of layers removed; *ret_freed (optional) gets their size. */
int layer_store_prune(LayerStore *s, char * const *keep, uint64_t *ret_freed);
