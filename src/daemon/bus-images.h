/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Image garbage collection on tankd's bus (issue 4):
 *   Manager.ImagesWithUsers() -> a(ssttas)  name, digest, size, pulled_usec, pods
 *   Manager.RemoveImage(s image) -> (as removed_digests)
 *   Manager.PruneImages() -> (as removed_digests)
 * An image is in use when a desired pod names it (its tag resolves to the
 * record) or a container still runs from it (ContainerState->image_digest).
 * RemoveImage refuses an image in use with org.tank.Tank1.Error.Busy naming the
 * pods; PruneImages removes every image not in use. Content shared with kept
 * images stays (src/image/gc.h). */

#include "daemon/manager.h"

/* Registers the methods on the Manager object; owned by the bus connection. */
int bus_images_install(Manager *m);

/* The reply of Images (a(sstt)) and, with_users, of ImagesWithUsers (a(ssttas)). */
int bus_images_reply(Manager *m, sd_bus_message *call, bool with_users);
