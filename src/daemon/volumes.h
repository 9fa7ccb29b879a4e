/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Managed volumes live in <data>/volumes/<pod>/<volume>/ and outlive their pod:
 * a delete keeps them, `tankctl delete --volumes` (RemoveVolumes) removes them
 * once the pod is gone. Sizes are computed by walking the tree without
 * following symlinks or crossing into other file systems. */

#include <stdint.h>

#include "macro.h"

typedef struct VolumeInfo {
        char *pod;
        char *name;
        uint64_t size;          /* bytes of regular file data */
} VolumeInfo;

void volume_info_array_free(VolumeInfo *v, size_t n);

int volumes_list(const char *data_dir, VolumeInfo **ret, size_t *ret_n);
/* 0 if there was nothing to remove. */
int volumes_remove_pod(const char *data_dir, const char *pod);
