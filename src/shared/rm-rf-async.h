/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* rm -rf off the event loop. A container's scratch or a pod's volume can hold
 * millions of files; removing them on tankd's loop would stall D-Bus, the
 * store's watch and every other pod for as long as that takes.
 *
 * rm_rf_queue_add() makes dir_fd/name vanish at once: it is renamed, within
 * the same directory, to a hidden ".#rm-<name>-<n>" (so a pod applied again
 * under the name starts from nothing, and a power cut after the call never
 * brings the name back once the directory is synced), and the hidden tree is
 * removed in a worker thread (rm_rf_at: no symlinks followed, no mount
 * crossed). What a crash leaves behind is found by rm_rf_queue_sweep(), which
 * queues every hidden entry of a directory.
 *
 * rm_rf_queue_free() waits for the removals in flight (joins their threads). */

#include <systemd/sd-event.h>

#include "macro.h"

typedef struct RmRfQueue RmRfQueue;

int rm_rf_queue_new(sd_event *event, RmRfQueue **ret);
RmRfQueue *rm_rf_queue_free(RmRfQueue *q);
DEFINE_TRIVIAL_CLEANUP_FUNC(RmRfQueue *, rm_rf_queue_free);

/* 0 when dir_fd/name is absent, 1 when it was hidden and queued. */
int rm_rf_queue_add(RmRfQueue *q, int dir_fd, const char *name);
/* Queue the hidden leftovers in dir_fd; the number queued. */
int rm_rf_queue_sweep(RmRfQueue *q, int dir_fd);
/* Removals in flight. */
unsigned rm_rf_queue_pending(const RmRfQueue *q);
