/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A pod's revisions in the store: key STORE_HISTORY_PREFIX "<pod>/<revision>"
 * -> a JSON record. The revision is the etcd mod_revision of the pod's key
 * (the one `get -o json` shows and `apply --if-revision` compares), so a
 * record names exactly one write of /tank/v1/pods/<pod>. Records are hostile
 * input on read: a value that does not parse, or whose revision does not
 * match its key, is skipped with a warning "<key>: <reason>".
 *
 * The record: {"revision": N, "time": usec (CLOCK_REALTIME, when tankd first
 * saw it), "cause": "apply"|"rollback"|"undo"|"image-update", "result":
 * "in-progress"|"succeeded"|"failed"|"reverted"|"superseded", "reason": "...",
 * "finished": usec or 0, "images": [{"container", "image", "digest"}], "spec":
 * "<canonical pod JSON>"}. "digest" is the one the container ran (or, for an
 * image update, the one it was pinned to); "" when not known. */

#include "spec/pod.h"
#include "store.h"

#define STORE_HISTORY_PREFIX "/tank/v1/history/"
/* The spec inside is a JSON string: escaping may double it. */
#define STORE_HISTORY_RECORD_MAX (2 * POD_JSON_MAX + 65536)

typedef struct HistoryImage {
        char *container;
        char *image;
        char *digest;                   /* "" when not known */
} HistoryImage;

typedef struct HistoryRecord {
        int64_t revision;
        uint64_t time_usec;
        char *cause;
        char *result;
        char *reason;                   /* "" when none */
        uint64_t finished_usec;         /* 0 while in progress */
        HistoryImage *images;
        size_t n_images;
        char *spec;
} HistoryRecord;

HistoryRecord *history_record_free(HistoryRecord *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(HistoryRecord *, history_record_free);
int history_record_copy(const HistoryRecord *r, HistoryRecord **ret);

typedef struct HistoryList {
        HistoryRecord **records;        /* sorted by revision, oldest first */
        size_t n_records;
        char **warnings;
} HistoryList;

HistoryList *history_list_free(HistoryList *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(HistoryList *, history_list_free);
const HistoryRecord *history_list_find(const HistoryList *l, int64_t revision);

int store_history_key(const char *pod, int64_t revision, char **ret);
int history_record_format(const HistoryRecord *r, char **ret_json);
/* -EINVAL with *ret_error naming the fault; -ENOMEM. */
int history_record_parse(const char *value, size_t size, HistoryRecord **ret, char **ret_error);

/* r >= 0: list is yours. */
typedef void (*StoreHistoryListCallback)(Store *s, int r, HistoryList *list, const char *error, void *userdata);
/* r >= 0 on success. */
typedef void (*StoreHistoryWriteCallback)(Store *s, int r, const char *error, void *userdata);

int store_history_list(Store *s, const char *pod, StoreHistoryListCallback cb, void *userdata);
int store_history_put(Store *s, const char *pod, const HistoryRecord *rec, StoreHistoryWriteCallback cb,
                      void *userdata);
int store_history_delete(Store *s, const char *pod, int64_t revision, StoreHistoryWriteCallback cb, void *userdata);
