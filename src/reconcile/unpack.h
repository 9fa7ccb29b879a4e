/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Layer extraction off the event loop. Extracting a large layer takes seconds;
 * the daemon must keep serving D-Bus, watching the store and reaping
 * containers meanwhile. An UnpackJob extracts every layer of an image that the
 * layer store does not have yet, in a worker thread with its own LayerStore
 * (LayerStore objects are per thread), and reports back on the loop through an
 * eventfd. Layers already present cost nothing (checked before any thread).
 * The daemon's LayerStore's limits (layer_store_set_limits()) apply in the
 * thread too, MaxImageSize= to the present and the new layers together. */

#include <systemd/sd-event.h>

#include "image/blobstore.h"
#include "image/layer.h"

typedef struct UnpackJob UnpackJob;

/* r < 0: message names the layer and why. Called on the event loop. */
typedef void (*unpack_handler_t)(int r, const char *message, void *userdata);

/* cb is always called later, from the loop (r = 0 at the next iteration when
 * nothing needs extracting), never from within this call; *ret is set. */
int unpack_image_layers(sd_event *event, const char *data_dir, BlobStore *blobs, LayerStore *layers,
                        const ImageRecord *image, unpack_handler_t cb, void *userdata, UnpackJob **ret);
/* The handler will not be called; the thread finishes its layer and exits. */
void unpack_job_cancel(UnpackJob *j);
