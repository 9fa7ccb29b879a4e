/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Image auto-update (issue 16): containers with "image_update": "registry"
 * follow their tag. Every [Rollout] UpdateCheckSec= (and on
 * Manager.CheckUpdates) each such tag's digest is asked of the registry with
 * one HEAD of its manifest (Docker-Content-Digest; one request per tag however
 * many pods use it, with the registry client's credentials and mirrors); a
 * tag whose digest differs from the one the container is pinned to (or runs,
 * before its first update) is pulled by digest, and then the pod's spec is
 * written with that digest pinned in the container's reference (spec/image-pin.h)
 * as a new revision, compared on the revision that was checked, cause
 * "image-update": it rolls out and reverts like any change.
 *
 * A digest whose update failed is not tried again until the tag moves: the
 * pod's history says so (the newest image-update record that pinned the
 * container to something other than what it has now, if failed or reverted),
 * so this survives a restart of tankd. A registry that cannot be reached, a
 * pull that fails or a write that loses a race is logged and left to the
 * next check; running containers are never touched by a failed check.
 * Everything is asynchronous on the loop. */

#include <stdbool.h>
#include <stddef.h>

typedef struct Manager Manager;
typedef struct ImageUpdater ImageUpdater;

typedef struct ImageUpdateItem {
        char *pod, *container;
        char *image;                    /* the tag, as the user asked: "reg/x:stable" */
        char *current;                  /* the digest pinned (or running) */
        char *available;                /* the tag's digest in the registry */
} ImageUpdateItem;

/* r < 0 only when the check could not run at all. items: the updates found
 * (dry run) or written. Borrowed for the call. */
typedef void (*image_update_done_t)(int r, const ImageUpdateItem *items, size_t n_items, void *userdata);

int image_updater_new(Manager *m, ImageUpdater **ret);
/* Pending checks are cancelled: their callbacks are called with -ECANCELED. */
ImageUpdater *image_updater_free(ImageUpdater *u);

/* Checks now; dry_run only reports. cb may be NULL (the timer's checks). */
int image_updater_check(ImageUpdater *u, bool dry_run, image_update_done_t cb, void *userdata);
