/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The desired-state store client: etcd v3 over its JSON gateway (POST
 * /v3/kv/{range,put,deleterange,txn}, streaming /v3/watch), driven entirely by
 * an sd-event loop through the libcurl multi interface. Nothing here blocks.
 *
 * Promises:
 * - Every operation completes exactly once through its callback, with r >= 0 on
 *   success or a negative errno plus a one-line human message, e.g.
 *   "store unreachable: http://127.0.0.1:2379: Connection refused". A Store that
 *   is freed with operations pending calls their callbacks with -ECANCELED
 *   (result NULL) so owners can release their userdata. store_free() must not be
 *   called from inside a Store callback (defer it); store_watch_free() may be.
 * - Connection-level failures (refused, reset, timeout, TLS) fail over to the
 *   next endpoint and retry with exponential backoff, up to max_attempts in
 *   total. etcd answering with an error (HTTP 4xx/5xx with a JSON "error") is
 *   not retried except for "etcdserver: leader changed"/"no leader"/timeouts,
 *   which are transient by etcd's own definition.
 *   A put that timed out may or may not have been applied: callers that need
 *   exactly-once use the txn operations (revision compare-and-swap).
 * - Responses are hostile input: sizes are capped (STORE_RESPONSE_MAX), types
 *   checked, int64 fields (JSON strings in etcd's gateway) range-checked. A bad
 *   response is -EBADMSG with a message saying what was wrong.
 * - A StoreWatch delivers the events of a key prefix in revision order, each
 *   exactly once. A broken stream is resumed (with backoff) at the last
 *   delivered revision + 1. If that revision has been compacted, the watch
 *   re-lists the prefix and calls `resync` with the complete current state and
 *   its revision, then continues from there: the consumer replaces its view
 *   instead of applying deltas. Events of one etcd revision are never split
 *   across a resync.
 * - The health callback fires on transitions only: down when a request fails to
 *   reach any endpoint, up when a request (or the watch) gets through again.
 *
 * Keys and values are arbitrary bytes in etcd; here keys are C strings and
 * values carry an explicit size and are always NUL-terminated as well. */

#include <stdint.h>
#include <systemd/sd-event.h>

#include "macro.h"

#define STORE_RESPONSE_MAX (64U * 1024U * 1024U)   /* a larger response is refused */
#define STORE_WATCH_MESSAGE_MAX (16U * 1024U * 1024U)
#define STORE_DEFAULT_TIMEOUT_USEC (5U * 1000U * 1000U)
#define STORE_DEFAULT_CONNECT_TIMEOUT_USEC (2U * 1000U * 1000U)
#define STORE_DEFAULT_MAX_ATTEMPTS 4U

typedef struct Store Store;
typedef struct StoreWatch StoreWatch;

typedef struct StoreConfig {
        char **endpoints;               /* "http://h:p", "https://h:p", "unix:///abs/path" */
        const char *cert_file;          /* TLS client certificate (PEM), optional */
        const char *key_file;           /* its key, optional */
        const char *trusted_ca_file;    /* CA bundle for https endpoints, optional */
        uint64_t timeout_usec;          /* per attempt; 0: STORE_DEFAULT_TIMEOUT_USEC */
        uint64_t connect_timeout_usec;  /* 0: STORE_DEFAULT_CONNECT_TIMEOUT_USEC */
        unsigned max_attempts;          /* 0: STORE_DEFAULT_MAX_ATTEMPTS */
} StoreConfig;

typedef struct StoreKV {
        char *key;
        char *value;                    /* NUL-terminated; may contain NULs (value_size) */
        size_t value_size;
        int64_t create_revision;
        int64_t mod_revision;
        int64_t version;
} StoreKV;

typedef struct StoreResult {
        int64_t revision;               /* the store's revision when it answered (header) */
        StoreKV *kvs;                   /* get / range; txn failure: the current kv, if any */
        size_t n_kvs;
        int64_t n_deleted;              /* delete */
        bool succeeded;                 /* txn: the compare held and the put was done */
} StoreResult;

/* result is valid only during the call (copy what you keep), NULL when r < 0
 * except for txn compare failures (see below). error is NULL when r >= 0. */
typedef void (*StoreCallback)(Store *s, int r, const StoreResult *result, const char *error,
                              void *userdata);

typedef void (*StoreHealthCallback)(Store *s, bool up, const char *error, void *userdata);

int store_new(sd_event *event, const StoreConfig *config, Store **ret, char **ret_error);
Store *store_free(Store *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(Store *, store_free);
#define _cleanup_store_free_ _cleanup_(store_freep)

void store_set_health_callback(Store *s, StoreHealthCallback cb, void *userdata);
bool store_is_up(Store *s);             /* last known reachability (true before any request) */
const char *store_current_endpoint(Store *s);

/* All return 0 when queued (the callback will run later, never from inside the
 * call) or a negative errno when they could not even be queued (then no callback). */
int store_put(Store *s, const char *key, const void *value, size_t size,
              StoreCallback cb, void *userdata);
int store_get(Store *s, const char *key, StoreCallback cb, void *userdata);     /* n_kvs 0 or 1 */
int store_range_prefix(Store *s, const char *prefix, StoreCallback cb, void *userdata); /* sorted by key */
/* mod_revision > 0: delete only if the key is at that revision (else -ESTALE). */
int store_delete(Store *s, const char *key, int64_t mod_revision, StoreCallback cb, void *userdata);

/* Put only if the key does not exist. r = 0, succeeded = true on success;
 * r = -EEXIST, result->kvs[0] = the existing kv, when it already exists. */
int store_create(Store *s, const char *key, const void *value, size_t size,
                 StoreCallback cb, void *userdata);
/* Put only if the key's mod_revision is exactly mod_revision. r = 0 on success;
 * r = -ESTALE with result->kvs = the current kv (n_kvs 0 if it was deleted). */
int store_update(Store *s, const char *key, const void *value, size_t size, int64_t mod_revision,
                 StoreCallback cb, void *userdata);

/* A general transaction (etcd POST /v3/kv/txn): if every compare holds, the
 * success ops are applied, else the failure ops (which may be none), all at
 * one revision. r = 0 whenever etcd answered the txn, with result->succeeded
 * saying which branch ran and result->kvs the kvs its STORE_TXN_GET ops found,
 * in op order (an absent key adds none).
 * A leased put whose lease is gone fails the whole txn (r < 0, "requested
 * lease not found"). Bounded: at most STORE_TXN_OPS_MAX compares and ops each. */
#define STORE_TXN_OPS_MAX 64U

typedef enum StoreCompareTarget {
        STORE_COMPARE_CREATE,           /* the key's create_revision (0: absent) */
        STORE_COMPARE_MOD,              /* its mod_revision (0: absent) */
        STORE_COMPARE_VERSION,          /* its version (0: absent) */
        STORE_COMPARE_VALUE,            /* its value, bytewise */
        _STORE_COMPARE_TARGET_MAX,
} StoreCompareTarget;

typedef enum StoreCompareResult {
        STORE_COMPARE_EQUAL,
        STORE_COMPARE_NOT_EQUAL,
        STORE_COMPARE_GREATER,
        STORE_COMPARE_LESS,
        _STORE_COMPARE_RESULT_MAX,
} StoreCompareResult;

typedef struct StoreCompare {
        const char *key;
        StoreCompareTarget target;
        StoreCompareResult result;
        int64_t number;                 /* CREATE, MOD, VERSION */
        const void *value;              /* VALUE */
        size_t value_size;
} StoreCompare;

typedef enum StoreTxnOpType {
        STORE_TXN_PUT,                  /* key = value, with lease if lease > 0 */
        STORE_TXN_DELETE,               /* key; absent is not an error */
        STORE_TXN_GET,                  /* the key, into result->kvs */
        _STORE_TXN_OP_TYPE_MAX,
} StoreTxnOpType;

typedef struct StoreTxnOp {
        StoreTxnOpType type;
        const char *key;
        const void *value;
        size_t value_size;
        int64_t lease;
} StoreTxnOp;

typedef struct StoreTxn {
        const StoreCompare *compare;
        size_t n_compare;
        const StoreTxnOp *success;
        size_t n_success;
        const StoreTxnOp *failure;
        size_t n_failure;
} StoreTxn;

int store_txn(Store *s, const StoreTxn *txn, StoreCallback cb, void *userdata);

/* Watch */
typedef enum StoreEventType {
        STORE_EVENT_PUT,
        STORE_EVENT_DELETE,
} StoreEventType;

typedef struct StoreEvent {
        StoreEventType type;
        StoreKV kv;                     /* DELETE: value empty; kv.mod_revision = the delete's revision */
} StoreEvent;

/* event and resync return 0, or a negative errno when the consumer could not
 * take the news in (out of memory, say): the watch then drops what it holds,
 * and lists again after a backoff, so that nothing is lost and nothing is
 * half-applied; resync then replaces whatever the consumer had. */
typedef struct StoreWatchCallbacks {
        /* one event, in revision order */
        int (*event)(StoreWatch *w, const StoreEvent *ev, void *userdata);
        /* the full current state under the prefix at `revision`; replaces everything
         * the consumer knew. Called first when the watch starts with start_revision 0,
         * after a compaction made resuming impossible, and after a callback failed. */
        int (*resync)(StoreWatch *w, const StoreKV *kvs, size_t n_kvs, int64_t revision,
                      void *userdata);
        /* optional: the stream broke (it is being resumed) or could not be resumed yet */
        void (*broken)(StoreWatch *w, int r, const char *error, void *userdata);
} StoreWatchCallbacks;

/* start_revision 0: list first (resync), then watch from that revision + 1.
 * start_revision > 0: deliver every event from that revision on. */
int store_watch_new(Store *s, const char *prefix, int64_t start_revision,
                    const StoreWatchCallbacks *callbacks, void *userdata, StoreWatch **ret);
StoreWatch *store_watch_free(StoreWatch *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(StoreWatch *, store_watch_free);
#define _cleanup_store_watch_free_ _cleanup_(store_watch_freep)
int64_t store_watch_revision(StoreWatch *w);    /* last delivered revision */

/* Helpers also used by the tests. */
void store_kv_done(StoreKV *kv);
int store_prefix_range_end(const char *prefix, char **ret);     /* prefix with last byte + 1 */
