/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Asynchronous image pulls, on the daemon's sd-event loop.
 *
 * image_pull("busybox", ...) resolves the reference, fetches the manifest (OCI
 * index/manifest, Docker manifest list/schema2), picks this host's platform from
 * an index (error lists the platforms the image has), verifies a pull by digest
 * against the digest asked for, fetches config and layers (layers in parallel)
 * into the blob store verifying each against its digest while streaming, and
 * finally writes the image record + tag. Only then is the completion called
 * with the manifest digest. Two pulls of the same reference (or the same
 * digest) share one operation; each caller gets its own completion.
 *
 * The last step runs in a worker thread (pull-store.c), never on the loop:
 * with puller_set_extract() (tankd) every layer the layer store lacks is
 * extracted there (layer.h: hostile-tar-safe, under the limits), so that a
 * pull leaves the image ready to run and a refused entry fails the pull with
 * the entry named; then the blobs are fdatasync'd and renamed into place,
 * blobs/ is fsync'd, and only then the record and tag are written. A layer
 * hook (puller_set_layer_hook(), for tools) instead keeps that step on the
 * loop: blobs, then the hook per layer, then the record.
 *
 * Failure leaves no blob and no record behind: blobs are verified while they
 * stream and stay temp files until every layer of the image passed (and was
 * extracted); then the layers, config and manifests become visible, and the
 * record is written. Layers a pull extracted are removed again when a later
 * layer of it is refused. A crashed pull leaves
 * at most temp files, swept on the next start. Cancelling the last request of
 * a pull in its last step lets the step finish.
 *
 * Limits (puller_set_limits(), limits.h): free space (MinFreeSpace=) is checked
 * when a pull starts and, with the bytes still to download, once the manifest
 * is known; the manifest's declared layer sizes against MaxLayerSize= and their
 * sum against MaxImageSize= before anything is downloaded (a body longer than
 * declared is cut off by the registry client). With an unpacked limit set,
 * every downloaded layer is read once more in a worker thread (layer_scan():
 * decompressed, never written) to verify its diff_id and its unpacked size
 * against MaxUnpackedLayerSize=, and their sum against MaxImageSize= (layers
 * whose blobs were stored already are not read again: extraction counts them),
 * so that a refusal comes before anything is written.
 * A refusal names the layer's digest and the limit. */

#include <systemd/sd-event.h>

#include "macro.h"
#include "registry.h"
#include "blobstore.h"
#include "limits.h"

typedef struct Puller Puller;
typedef struct PullRequest PullRequest;

/* Called for each verified layer (in manifest order, once the whole image
 * passed; layers whose blobs were stored already first), before the image record is
 * written. blob_fd is a read-only O_CLOEXEC fd at offset 0 (not owned: dup it to
 * keep it). media_type is the layer's as given in the manifest (tar, tar+gzip,
 * tar+zstd, OCI or Docker flavour). diff_id is the config's rootfs.diff_ids entry
 * for this layer (the uncompressed digest to verify). Return < 0 to fail the pull;
 * *ret_error (malloc'd, optional) names the bad entry. The hook runs synchronously
 * on the event loop. */
typedef int (*pull_layer_hook_t)(void *userdata, int blob_fd, const char *media_type,
                                 const char *digest, const char *diff_id, char **ret_error);

/* r < 0: error_message says why (never NULL then). On success digest is the
 * manifest digest ("sha256:<hex>") of the platform image that was stored, and
 * the record can be loaded with image_record_load(). */
typedef void (*pull_handler_t)(int r, const char *digest, const char *error_message, void *userdata);

/* What a pull does, for those who show it (tankd's pull objects on the bus).
 * key is the op's tag key (image_reference_key()), shared by every request
 * of one pull. A layer's progress is reported once when the layers are
 * known (EXISTS for a blob the store has, DOWNLOADING 0/total for the
 * others), then at most every PULL_PROGRESS_INTERVAL_USEC per pull while
 * bytes arrive (a retry starts over at 0), and COMPLETE once its blob is
 * verified. finished comes once per op, before its requests' handlers run
 * (r < 0 with the message, -ECANCELED when nobody waits any more), never
 * from puller_free(). Both are called on the loop and must not start,
 * cancel or free pulls. */
typedef enum PullLayerState {
        PULL_LAYER_EXISTS,
        PULL_LAYER_DOWNLOADING,
        PULL_LAYER_COMPLETE,
} PullLayerState;

const char *pull_layer_state_to_string(PullLayerState s);

#define PULL_PROGRESS_INTERVAL_USEC (100 * 1000ULL)

typedef struct PullObserver {
        void (*layer)(void *userdata, const char *key, const char *layer_digest, PullLayerState state,
                      uint64_t done, uint64_t total);
        void (*finished)(void *userdata, const char *key, int r, const char *digest, const char *error_message);
} PullObserver;

int puller_new(sd_event *event, Registry *registry, BlobStore *store, Puller **ret);
/* Cancels outstanding pulls without calling handlers. Free the Puller before
 * its Registry and BlobStore. */
Puller *puller_free(Puller *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Puller *, puller_free);

void puller_set_layer_hook(Puller *p, pull_layer_hook_t hook, void *userdata);
/* NULL: none (the default). The table is copied. */
void puller_set_observer(Puller *p, const PullObserver *o, void *userdata);

/* Default: none (IMAGE_LIMITS_NONE). */
void puller_set_limits(Puller *p, const ImageLimits *l);

/* Extract every pulled layer into <data_dir>/layers/ (layer.h, with the
 * puller's limits) before the record is written. Default: off (NULL). */
int puller_set_extract(Puller *p, const char *data_dir);

/* Override the platform (tests, cross pulls): os "linux", arch "arm64", variant
 * "v8" or NULL. Default is the host's (platform_host()). */
int puller_set_platform(Puller *p, const char *os, const char *arch, const char *variant);

/* Start (or join) a pull. ret_request (optional) allows cancelling this caller's
 * interest; the underlying pull is aborted when nobody waits for it any more.
 * Invalid references fail synchronously with -EINVAL and a message in ret_error. */
int image_pull(Puller *p, const char *reference, pull_handler_t cb, void *userdata,
               PullRequest **ret_request, char **ret_error);
/* Only before the handler ran (the request is freed after its handler). */
void pull_request_cancel(PullRequest *req);
