/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Image update pins (issue 16, "Image auto-update"): pure, no I/O.
 *
 * A container with "image_update": "registry" names a tag ("reg/x:stable");
 * an update pins the digest the tag pointed at when it was checked by
 * writing it into the reference ("reg/x:stable@sha256:..."), a normal OCI
 * reference that is pulled by digest. So the tag (the intent) stays visible
 * in the spec and the history, and the digest is what runs (podman
 * auto-update's semantics).
 *
 * A later Apply of the plain tag keeps the pin (pod_carry_image_pins()): the
 * user's tag is the same intent, and taking the plain tag literally would
 * run whatever this host last pulled for it, silently an older image. An
 * Apply of another tag, of an explicit digest, or with image_update off takes
 * the spec as written. */

#include "pod.h"

/* "d/p:t@sha256:x" -> "d/p:t" and "sha256:x"; "d/p:t" -> "d/p:t" and NULL.
 * -EINVAL for a reference without a tag (nothing to follow) or not a reference.
 * ret_digest is optional. */
int image_pin_split(const char *image, char **ret_tagged, char **ret_digest);

/* "d/p:t[@old]" pinned to digest: "d/p:t@digest". -EINVAL as above or for a
 * bad digest. */
int image_pin_set(const char *image, const char *digest, char **ret);

typedef enum ImageUpdateVerdict {
        IMAGE_UPDATE_NONE,              /* the tag points at what runs, or nothing is known */
        IMAGE_UPDATE_AVAILABLE,         /* pull it, pin it, roll it out */
        IMAGE_UPDATE_SKIPPED,           /* an update to it failed: not again until the tag moves */
} ImageUpdateVerdict;

/* current: the digest the container is pinned to or runs (NULL: unknown, e.g.
 * never pulled: the start pulls the tag anyway); available: the tag's digest
 * in the registry now; failed: the digest of the container's newest image
 * update that changed its pin and failed, or NULL. */
ImageUpdateVerdict image_update_decide(const char *current, const char *available, const char *failed);

/* Apply: for every container of new with image_update "registry" and an
 * unpinned image, a container of the same name in old pinned on the same tag
 * lends its pin. Returns the number of pins carried, or -ENOMEM. */
int pod_carry_image_pins(Pod *new, const Pod *old);
