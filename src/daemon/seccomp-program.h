/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The containers' default seccomp policy (shim/security.h), compiled once per
 * tankd start to <runtime_dir>/seccomp.bpf (root's, 0644, replaced
 * atomically) and named in every container's config, so that tank-shim and
 * tank-exec load a ready program instead of building and compiling it with
 * libseccomp for each start and exec. A libseccomp that cannot express the
 * policy stops tankd here rather than every container later. */

/* 0 and *ret_path: written; 0 and *ret_path NULL: built, but not written
 * (logged: the shims build it themselves); negative: the policy cannot be
 * built (logged). */
int seccomp_program_write(const char *runtime_dir, char **ret_path);
