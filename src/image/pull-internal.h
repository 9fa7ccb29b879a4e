/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between pull.c (the pull's steps) and pull-limits.c (the [Images]
 * limits: declared sizes, free space, the layer scans). Not a public API. */

#include "hashmap.h"
#include "manifest.h"
#include "platform.h"
#include "pull.h"
#include "thread-job.h"

typedef struct PullOp PullOp;

struct PullRequest {
        PullOp *op;
        pull_handler_t cb;
        void *userdata;
        PullRequest *next;
};

typedef struct LayerJob {
        PullOp *op;
        size_t index;
        RegistryFetch *fetch;
        int fd;
        char *temp_name;        /* downloaded and verified, committed when the whole image is */
        bool done;
        bool hooked;            /* the layer hook ran */
        bool extracted;         /* extracted by this pull (pull-store.c) */

        /* The scan (layer_scan() in a worker thread) of a downloaded blob:
         * the thread reads only scan_fd and writes only the scan_* results. */
        ThreadJob *scan;
        int scan_fd;
        bool scan_cancel;
        int scan_result;
        char *scan_error;
        uint64_t scan_unpacked;
} LayerJob;

struct PullOp {
        Puller *puller;
        char *key;              /* tag key: domain/path:tag or domain/path@digest */
        ImageReference *ref;
        PullRequest *requests;
        bool detached;          /* no longer in puller->ops: a new pull of the key may be */
        /* Another reference that resolved to the same manifest digest follows the
         * op that got there first instead of downloading it again. */
        PullOp *leader;
        PullOp *followers, *next_follower;

        RegistryFetch *fetch;   /* manifest or config in flight */
        char *manifest_digest;
        Manifest *manifest;
        /* Stored only once every layer passed the limits: a refused image leaves
         * no blob behind. */
        char *index_digest, *index_body, *manifest_body, *config_body;
        size_t index_size, manifest_size, config_size;
        uint64_t unpacked;      /* sum of the scanned layers' unpacked sizes */
        char *os, *arch, *variant;
        char *config_digest;
        ImageConfigInfo info;
        LayerJob *layers;
        size_t n_layers, n_pending;

        /* The last step (pull-store.c) in a worker thread: extraction, the
         * blobs made durable and visible, the record and tag. While it runs
         * the loop touches nothing of the op but these fields' owner. */
        uint64_t progress_usec; /* CLOCK_MONOTONIC of the last rate-limited progress report */

        ThreadJob *store_job;
        ImageRecord *store_rec;
        int store_result;
        char *store_error;
};

struct Puller {
        sd_event *event;
        Registry *registry;
        BlobStore *store;
        Platform platform;
        pull_layer_hook_t hook;
        void *hook_userdata;
        Hashmap *ops;
        ImageLimits limits;
        char *extract_dir;      /* puller_set_extract(): layers extracted by the pull */
        PullObserver observer;
        void *observer_userdata;
};

/* Tell every waiter, then forget the op (it is freed). */
void pull_op_complete(PullOp *op, int r, const char *digest, const char *fmt, ...) _printf_(4, 5);
/* A layer passed everything: the image is finished when it was the last one. */
void layer_job_finished(LayerJob *j);

/* pull-store.c */
/* Every layer passed: extract (with puller_set_extract()), store the blobs
 * durably, write the record and tag, in a worker; then complete the op. Takes
 * rec. */
void pull_store_start(PullOp *op, ImageRecord *rec);
/* The two halves of storing, shared with pull.c's layer hook path (on the
 * loop), which runs the hook between them: the verified layer blobs committed
 * (each discarded on failure), then the config, manifest and index; and the
 * blobs synced before the record and tag are written. Nothing here waits on
 * the loop. On failure *ret_error is the message (or NULL without memory). */
int pull_store_blobs(PullOp *op, char **ret_error);
int pull_store_record(PullOp *op, const ImageRecord *rec, char **ret_error);

/* pull-limits.c */
/* The manifest's declared sizes and the free space for the download; < 0: the
 * op was completed with the refusal (and is gone). */
int pull_check_declared_sizes(PullOp *op);
/* A layer's blob is downloaded and verified: scan it (when an unpacked limit
 * is set), then layer_job_finished(). */
void pull_layer_verified(LayerJob *j);
