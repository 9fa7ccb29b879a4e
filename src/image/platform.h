/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* OCI platforms (os/architecture/variant) and matching against this host.
 * uname machine -> OCI: x86_64->amd64, aarch64/arm64->arm64 (variant v8),
 * armv7l->arm v7, armv6l->arm v6, armv5*->arm v5, i386..i686->386,
 * ppc64le->ppc64le, s390x->s390x, riscv64->riscv64, mips64->mips64le ... */

#include "macro.h"

typedef struct Platform {
        char *os;
        char *architecture;
        char *variant;      /* NULL when none */
} Platform;

void platform_done(Platform *p);

/* Map a uname(2) machine string. -EOPNOTSUPP for unknown machines. */
int platform_from_machine(const char *machine, const char **ret_arch, const char **ret_variant);
/* This host: os "linux" + mapped uname machine. */
int platform_host(Platform *ret);

/* Does an index entry's platform (want = this host) match? os and architecture
 * must be equal; variant: equal, or the entry has none, or for arm64 "v8" equals
 * none. Returns a score > 0 for a match (higher = better) or 0. */
int platform_match(const Platform *want, const char *os, const char *architecture, const char *variant);

/* "linux/arm64/v8" */
char *platform_to_string(const char *os, const char *architecture, const char *variant);
