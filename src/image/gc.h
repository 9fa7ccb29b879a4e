/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Image garbage collection over the blob store and the layer store.
 *
 * Promises:
 *   - image_gc_remove() removes the given records (and every tag pointing at
 *     them), then exactly those blobs (manifest, config, layer blobs) and
 *     layers (by diff_id) that a removed record used and no remaining record
 *     uses. Blobs and layers no removed record mentions are never touched, so
 *     a pull in flight (blobs committed, record not written yet) is safe unless
 *     it shares content with a removed image; callers hold off pulls of the
 *     same content meanwhile.
 *   - Which images are in use is the caller's business (tankd knows the pods).
 * Library code: logs at debug level only. */

#include "image/blobstore.h"
#include "image/layer.h"

/* digests: record digests ("sha256:<hex>") to remove. *ret_removed (optional)
 * gets those whose record existed and was removed. On error some records may
 * already be gone; their content is then collected by the next call. */
int image_gc_remove(BlobStore *bs, LayerStore *ls, char * const *digests, char ***ret_removed);

/* Every record digest that is not in `used`: the candidates of a prune. */
int image_gc_unused(BlobStore *bs, char * const *used, char ***ret_digests);
