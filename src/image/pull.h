/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Asynchronous image pulls, on the daemon's sd-event loop.
 *
 * image_pull("busybox", ...) resolves the reference, fetches the manifest (OCI
 * index/manifest, Docker manifest list/schema2), picks this host's platform from
 * an index (error lists the platforms the image has), verifies a pull by digest
 * against the digest asked for, fetches config and layers (layers in parallel)
 * into the blob store verifying each against its digest while streaming, hands
 * each verified layer to the layer hook when one is set (tankd sets none: it
 * extracts layers when a container needs them, reconcile/unpack.h) and finally
 * writes the image record + tag. Only then is the completion called with the
 * manifest digest. Two pulls of the same reference (or the same digest) share one
 * operation; each caller gets its own completion.
 *
 * Failure leaves nothing behind: blobs are verified while they stream and stay
 * temp files until every layer of the image passed; then the layers, config and
 * manifests become visible, the layer hook runs, and the record is written. A
 * crashed pull leaves at most temp files, swept on the next start.
 *
 * Limits (puller_set_limits(), limits.h): free space (MinFreeSpace=) is checked
 * when a pull starts and, with the bytes still to download, once the manifest
 * is known; the manifest's declared layer sizes against MaxLayerSize= and their
 * sum against MaxImageSize= before anything is downloaded (a body longer than
 * declared is cut off by the registry client). With an unpacked limit set,
 * every downloaded layer is read once more in a worker thread (layer_scan():
 * decompressed, never written) to verify its diff_id and its unpacked size
 * against MaxUnpackedLayerSize=, and their sum against MaxImageSize= (layers
 * whose blobs were stored already are not read again: extraction counts them).
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

int puller_new(sd_event *event, Registry *registry, BlobStore *store, Puller **ret);
/* Cancels outstanding pulls without calling handlers. Free the Puller before
 * its Registry and BlobStore. */
Puller *puller_free(Puller *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Puller *, puller_free);

void puller_set_layer_hook(Puller *p, pull_layer_hook_t hook, void *userdata);

/* Default: none (IMAGE_LIMITS_NONE). */
void puller_set_limits(Puller *p, const ImageLimits *l);

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
