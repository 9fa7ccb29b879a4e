/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Content-addressed blobs and image records under <data>/images/:
 *   blobs/sha256/<hex>      verified blobs (manifests, configs, layers), 0444
 *   tmp/                    in-flight downloads (O_TMPFILE or random names), swept at open
 *   records/sha256/<hex>    image record JSON, keyed by manifest digest
 *   tags/<escaped name>     "sha256:<hex>\n", name = canonical reference without digest
 * Every digest is validated (sha256:<64 lowercase hex>) before it is used in a
 * path (CVE-2024-3727). A blob becomes visible only by an atomic rename once its
 * content was verified; a record is written (temp + rename) only after all its
 * blobs exist, and a tag only after its record.
 *
 * A BlobStore holds only directory fds: its functions may be called from a
 * worker thread while the loop uses the same object. */

#include <stdint.h>

#include "macro.h"
#include "spec/oci.h"
#include "spec/reference.h"

typedef struct BlobStore BlobStore;

/* Creates the directories as needed; sweeps tmp/. */
int blobstore_open(const char *data_dir, BlobStore **ret);
BlobStore *blobstore_free(BlobStore *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(BlobStore *, blobstore_free);

int blobstore_images_fd(BlobStore *s);      /* dirfd of <data>/images, not owned */

bool blobstore_has(BlobStore *s, const char *digest);
/* O_RDONLY|O_CLOEXEC fd of a verified blob. -ENOENT if absent, -EINVAL bad digest. */
int blobstore_open_blob(BlobStore *s, const char *digest, int *ret_fd);
int blobstore_read_blob(BlobStore *s, const char *digest, uint64_t max_size, char **ret, size_t *ret_size);

/* A temp file in tmp/ for a download (O_RDWR|O_CLOEXEC). */
int blobstore_temp(BlobStore *s, int *ret_fd, char **ret_name);
/* Re-hash the temp file, compare with digest and rename into blobs/ (fsynced).
 * -EBADMSG on mismatch (the temp file is removed either way). */
int blobstore_commit(BlobStore *s, int fd, const char *temp_name, const char *digest);
/* Trust the caller's streaming hash: rename without re-reading. */
int blobstore_commit_verified(BlobStore *s, int fd, const char *temp_name, const char *digest);
void blobstore_discard(BlobStore *s, const char *temp_name);
/* fsync of blobs/: the renames of committed blobs survive a power cut. */
int blobstore_sync(BlobStore *s);
/* Store an in-memory blob (already verified or verified here). */
int blobstore_put(BlobStore *s, const char *digest, const void *data, size_t size);

typedef struct ImageLayer {
        char *digest;        /* compressed blob digest */
        char *media_type;
        char *diff_id;       /* uncompressed digest, from the config */
        uint64_t size;
} ImageLayer;

typedef struct ImageRecord {
        char *digest;        /* manifest digest: the image id */
        char *name;          /* canonical reference it was last pulled as */
        char *config_digest;
        char *os, *architecture, *variant;
        ImageLayer *layers;  /* lowest first */
        size_t n_layers;
        uint64_t size;       /* sum of blob sizes */
        uint64_t pulled_usec;/* CLOCK_REALTIME */
        ImageConfig *config; /* what the runtime needs */
} ImageRecord;

ImageRecord *image_record_free(ImageRecord *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImageRecord *, image_record_free);

int image_record_save(BlobStore *s, const ImageRecord *r);
/* key: "sha256:<hex>" (a record digest) or a reference string
 * ("busybox", "127.0.0.1:5000/tank/busybox:latest", "...@sha256:..."). */
int image_record_load(BlobStore *s, const char *key, ImageRecord **ret);
/* Point name (canonical reference without digest) at digest. */
int image_tag_set(BlobStore *s, const char *name, const char *digest);
int image_tag_get(BlobStore *s, const char *name, char **ret_digest);
/* image_reference_key() is in spec/reference.h. */

/* All record digests (for `tankctl images`). */
int image_record_list(BlobStore *s, char ***ret_digests);

/* For garbage collection (src/image/gc.h). */
/* Unlinks a verified blob; 0 if it was not there. */
int blobstore_remove_blob(BlobStore *s, const char *digest);
/* Unlinks every tag that points at digest, then its record: 1 if a record was
 * removed, 0 if there was none. */
int image_record_remove(BlobStore *s, const char *digest);
