/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Named network namespaces for pods: <runtime_dir>/netns/<pod> is a bind mount of
 * a namespace file, so the namespace outlives every container of the pod and any
 * tankd restart, and is found again by path (adoption). A new namespace has only
 * loopback, and it is up. */

#include "macro.h"

int netns_path(const char *runtime_dir, const char *pod, char **ret);
/* 0 if created now, 1 if it already existed (adopted). */
int netns_ensure(const char *runtime_dir, const char *pod, char **ret_path);
/* Makes <runtime_dir>/netns a mount point of its own (a shared one, in a peer
 * group of its own), so that a copy of the host's mount namespace can drop
 * every pin with one umount and receives no new ones (shim-mntns.h). Only
 * while it holds no pin: a mount over pins would hide them, and their
 * namespaces would live on, out of reach. 0 when it is one (now or before),
 * -EBUSY when pins are in the way (until they are gone: the next boot). */
int netns_dir_prepare(const char *runtime_dir, char **ret_dir);
/* Unmount and remove; 0 if there was nothing. */
int netns_remove(const char *runtime_dir, const char *pod);
