/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The progress of tankd's pulls, from the Progress and Finished signals of
 * their org.tank.Tank1.Pull objects (src/daemon/bus-pull.h), on stderr: on a
 * terminal one line per layer, redrawn in place (short digest, a bar that
 * fits the width, bytes done/total, percent, rate; "exists" for a layer the
 * store had); elsewhere one line per layer when it is complete or found
 * present. tankctl pull follows the pull it started (pull_progress_follow());
 * apply --wait shows the pulls of the images its pods name
 * (pull_progress_add_image()), dispatched by the wait's own loop on the same
 * connection.
 *
 * pull_progress_new() adds the match synchronously: create it before the
 * pull starts and no signal can be missed. */

#include <stdbool.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "macro.h"

typedef struct PullProgress PullProgress;

/* -errno on failure (nothing printed). */
int pull_progress_new(sd_bus *bus, PullProgress **ret);
PullProgress *pull_progress_free(PullProgress *pp);
DEFINE_TRIVIAL_CLEANUP_FUNC(PullProgress *, pull_progress_free);

/* Show the pulls of this image (a reference as a pod names it). */
int pull_progress_add_image(PullProgress *pp, const char *reference);

/* Quiet: no progress lines, only the outcome. */
void pull_progress_set_quiet(PullProgress *pp, bool quiet);

/* Follow the pull object at path until its Finished: EXIT_SUCCESS with the
 * digest printed on stdout, or EXIT_FAILURE after one line on stderr
 * ("PREFIX: " and the pull's error, or tankd gone). */
int pull_progress_follow(PullProgress *pp, const char *path, const char *prefix);
