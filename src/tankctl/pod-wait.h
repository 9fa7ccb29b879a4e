/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Waiting for pods to reach a phase (tankctl wait, apply --wait), driven by
 * tankd's signals, never by polling: GetManagedObjects() gives every pod
 * object's phase in one call (also of pods being torn down, which List()
 * leaves out), at the start and whenever pods appear or go or tankd changes
 * hands; each pod's PropertiesChanged carries its new Phase, Ready and
 * Containers. A pod is "ready" when it is running and Ready counts all of
 * its Containers; "deleted" once its object is gone, i.e. fully torn down.
 *
 * Subscribe (pod_wait_new) before the action whose effect is awaited, so no
 * signal can fall between the two. */

#include <stdint.h>

#include "tankctl.h"

typedef enum PodWaitFor {
        POD_WAIT_RUNNING,
        POD_WAIT_READY,
        POD_WAIT_DELETED,
        _POD_WAIT_UNSET = -1,
} PodWaitFor;

typedef struct PodWait PodWait;

/* 0, or an exit status after printing why. */
int pod_wait_new(Context *ctx, PodWait **ret);
PodWait *pod_wait_free(PodWait *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(PodWait *, pod_wait_free);

/* Until every pod in names is running, ready (or gone); deadline is CLOCK_MONOTONIC
 * usec, 0 for none. EXIT_SUCCESS, or EXIT_FAILURE after one line per pod
 * that did not get there, with the phase it was in. */
int pod_wait_run(PodWait *w, char **names, PodWaitFor what, uint64_t deadline);

uint64_t now_monotonic(void);
