/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Pods in the store: key STORE_PODS_PREFIX "<name>" -> canonical spec JSON
 * (pod_serialize()). Values are validated on read with pod_parse(): a value that
 * does not parse, or whose name does not match its key, is reported as a warning
 * "<key>: <reason>" and skipped; it never fails the whole list. */

#include "spec/pod.h"
#include "store.h"

#define STORE_PODS_PREFIX "/tank/v1/pods/"

typedef struct StorePod {
        Pod *pod;
        int64_t create_revision;
        int64_t mod_revision;
} StorePod;

typedef struct StorePodList {
        StorePod *pods;                 /* sorted by name */
        size_t n_pods;
        char **warnings;                /* "<key>: <reason>" for every skipped value */
        int64_t revision;               /* the store revision of this snapshot */
} StorePodList;

void store_pod_list_free(StorePodList *l);      /* frees contents and l */

/* list: r >= 0 -> list is yours (free with store_pod_list_free) */
typedef void (*StorePodListCallback)(Store *s, int r, StorePodList *list, const char *error,
                                     void *userdata);
/* single-pod writes: r = 0 with the new mod_revision; -EEXIST / -ESTALE on a
 * failed compare with the current mod_revision (0 if absent) */
typedef void (*StorePodWriteCallback)(Store *s, int r, int64_t mod_revision, const char *error,
                                      void *userdata);

int store_pod_key(const char *name, char **ret);
/* Parse a kv under STORE_PODS_PREFIX: -EINVAL with "<key>: <reason>" for corrupt
 * or foreign values. */
int store_pod_from_kv(const StoreKV *kv, Pod **ret, char **ret_error);

int store_pods_list(Store *s, StorePodListCallback cb, void *userdata);
/* create-if-absent (boot seeds) */
int store_pods_create(Store *s, const Pod *p, StorePodWriteCallback cb, void *userdata);
/* apply: mod_revision 0 = must not exist yet, > 0 = must still be at that revision,
 * < 0 = unconditional put */
int store_pods_put(Store *s, const Pod *p, int64_t mod_revision, StorePodWriteCallback cb,
                   void *userdata);
/* Apply of a new pod with its binding in the same txn (a fleet of one pays
 * no extra round trip): only if pods/<pod> and bound/<pod> are both absent.
 * r = 0 with the txn's revision; -EAGAIN when either exists (write the
 * plain way then). */
int store_pods_create_bound(Store *s, const Pod *p, const char *node, uint64_t bound_usec,
                            StorePodWriteCallback cb, void *userdata);
/* Delete the pod, its binding, its index (bound/) and its unschedulable key in one txn.
 * mod_revision 0 = unconditional; r = -ENOENT if there was no such pod */
int store_pods_delete(Store *s, const char *name, int64_t mod_revision, StorePodWriteCallback cb,
                      void *userdata);
