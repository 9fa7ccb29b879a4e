/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Managed volumes live in <data>/volumes/<pod>/<volume>/ and outlive their pod:
 * a delete keeps them, `tankctl delete --volumes` (RemoveVolumes) removes them
 * once the pod is gone. (Empty volumes, "source": {"empty": {}}, are not
 * here: they live in the pod's scratch, reconcile/launch.h, and go with it.) Sizes are computed by walking the tree without
 * following symlinks or crossing into other file systems. */

#include <stdint.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "rm-rf-async.h"

typedef struct VolumeInfo {
        char *pod;
        char *name;
        uint64_t size;          /* bytes of regular file data */
} VolumeInfo;

void volume_info_array_free(VolumeInfo *v, size_t n);

int volumes_list(const char *data_dir, VolumeInfo **ret, size_t *ret_n);

/* volumes_list() in a worker thread: the trees are the containers' and may be
 * as large and as deep as they make them, so the walk never runs on the loop.
 * cb runs on the loop and takes v (free it with volume_info_array_free). */
typedef struct VolumesListJob VolumesListJob;
typedef void (*volumes_list_handler_t)(int r, VolumeInfo *v, size_t n, void *userdata);
int volumes_list_async(sd_event *event, const char *data_dir, volumes_list_handler_t cb, void *userdata,
                       VolumesListJob **ret);
/* cb will not be called; the job frees itself when the thread is done. */
void volumes_list_job_cancel(VolumesListJob *j);
/* The pod's volumes are gone from volumes/ when this returns (hidden, then
 * removed through trash, off the loop); 0 if there was nothing to remove. */
int volumes_remove_pod(RmRfQueue *trash, const char *data_dir, const char *pod);
