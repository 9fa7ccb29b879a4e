/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The default seccomp policy (the table in security.c), shared by tank-shim,
 * tank-exec and tankd, which builds it once at start so that a libseccomp
 * that cannot express it stops tankd instead of every container. Nothing
 * here logs. */

#include <stddef.h>

/* The syscalls the filter answers with EPERM, by libseccomp name. */
const char *const *security_denied_syscalls(size_t *ret_n);

/* Builds the filter without loading it, so allocation happens before
 * privileges are dropped. Every name must be known to libseccomp: an unknown
 * one is -ENOSYS with *ret_error naming it (an older libseccomp would
 * otherwise drop the rule). A name libseccomp knows but that is not a syscall
 * of the native ABI (a negative pseudo-syscall number: i386-only calls such as
 * vm86 on x86-64) is added for the ABIs that have it. */
int security_seccomp_build(void **ret_ctx, char **ret_error);
void security_seccomp_free(void *ctx);
