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

/* Writes a built filter to fd as the classic BPF program the kernel loads
 * (struct sock_filter[], native byte order). tankd compiles the policy once
 * at start this way (SECCOMP_FILTER_FILE_NAME in its runtime directory), so
 * that a shim or tank-exec loads a ready program instead of building and
 * compiling it with libseccomp for every start and exec (0.6-0.9 ms each). */
int security_seccomp_export(void *ctx, int fd);

#define SECCOMP_FILTER_FILE_NAME "seccomp.bpf"

/* What security_apply() loads: a program read from a file, or a filter built
 * here. */
typedef struct SeccompFilter SeccompFilter;

/* The filter for security_apply(), prepared while the host's files can still
 * be reached (before pivot_root or joining a container): the program at path
 * (NULL: none) if it is a regular file owned by root, writable by no one
 * else, of 1..BPF_MAXINSNS whole instructions; else the policy built with
 * libseccomp as security_seccomp_build() does, so a missing or refused file
 * only costs time. 1: read from path, 0: built. The kernel checks the program
 * itself when it is loaded. */
int security_seccomp_prepare(const char *path, SeccompFilter **ret, char **ret_error);
SeccompFilter *security_seccomp_filter_free(SeccompFilter *f);
static inline void security_seccomp_filter_freep(SeccompFilter **f) {
        security_seccomp_filter_free(*f);
}
