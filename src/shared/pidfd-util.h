/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* A pidfd (O_CLOEXEC) of pid, only if pid is parent's child: checked
 * through /proc while the pidfd pins it, and alive afterwards, so /proc
 * showed that process and not a successor under a reused pid. -ESRCH: not
 * parent's child (or gone). */
int pidfd_open_child(pid_t pid, pid_t parent, int *ret);
