/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Pulls people can watch (issue 19):
 *   Manager.StartPull(s image) -> (o pull)
 * starts (or joins) the pull of image and returns its object,
 * /org/tank/Tank1/pull/<n>, interface org.tank.Tank1.Pull: property Image (the
 * reference as the pull keys it, "127.0.0.1:5000/tank/busybox:latest"),
 * signals Progress(s layer_digest, s state, t done, t total), state "exists"
 * (the store has the blob), "downloading" or "complete" (verified), at most
 * ten a second per pull besides each layer's first and last, and
 * Finished(s digest, s error_name, s error_message) once (error_name empty
 * on success, else org.tank.Tank1.Error.PullFailed), after which the object
 * is gone. Pulls a pod's start makes get an object with their first
 * Progress. No signal of a pull StartPull started can precede its reply:
 * a client that adds its match first (path_namespace=/org/tank/Tank1/pull)
 * misses nothing. Manager.Pull(s) -> (s digest) stays as it was. */

#include "daemon/manager.h"

int bus_pull_install(Manager *m);
