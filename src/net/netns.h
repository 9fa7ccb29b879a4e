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
/* Unmount and remove; 0 if there was nothing. */
int netns_remove(const char *runtime_dir, const char *pod);
