/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* etcd v3 JSON gateway: building request bodies and parsing answers. Pure
 * functions, no I/O, so the unit tests can feed them anything. Parsing never
 * trusts the input: every field's type is checked, int64 fields (strings in the
 * gateway; numbers accepted too) are range-checked, base64 is decoded strictly.
 * Errors: -EBADMSG with a malloc'd "<field>: <problem>" in *ret_error. */

#include "json-guard.h"
#include "store.h"

typedef enum EtcdCompare {
        ETCD_COMPARE_NONE,
        ETCD_COMPARE_CREATE,        /* create_revision == value (0: absent) */
        ETCD_COMPARE_MOD,           /* mod_revision == value */
} EtcdCompare;

int etcd_request_range(const char *key, const char *range_end, char **ret);
int etcd_request_put(const char *key, const void *value, size_t size, char **ret);
int etcd_request_delete(const char *key, const char *range_end, char **ret);
/* compare on key; success: put (value != NULL) or delete (value == NULL); failure: range key */
int etcd_request_txn(const char *key, EtcdCompare compare, int64_t compare_value,
                     const void *value, size_t size, char **ret);
/* The body of store_txn(): -EINVAL for an empty key, a bad enum, a negative
 * number or more than STORE_TXN_OPS_MAX of anything. */
int etcd_request_txn_ops(const StoreTxn *txn, char **ret);
int etcd_request_watch(const char *key, const char *range_end, int64_t start_revision, char **ret);

/* One JSON object, at most max_size bytes (-EMSGSIZE), nested at most
 * JSON_STREAM_DEPTH_MAX levels -> yajl tree. */
int etcd_parse_json(const char *body, size_t size, size_t max_size, yajl_val *ret, char **ret_error);

/* The gateway's error object ({"error": "...", "message": "...", "code": N} or,
 * on streams, {"error": {"message": ...}}): 1 and the message if present, 0 if not. */
int etcd_parse_error(yajl_val root, char **ret_message);

int etcd_parse_int64(yajl_val v, const char *field, int64_t *ret, char **ret_error);
int etcd_parse_kv(yajl_val v, StoreKV *ret, char **ret_error);
void store_result_done(StoreResult *r);

typedef enum EtcdOp {
        ETCD_OP_RANGE,
        ETCD_OP_PUT,
        ETCD_OP_DELETE,
        ETCD_OP_TXN,
        ETCD_OP_TXN_OPS,            /* store_txn(): header and "succeeded" only */
} EtcdOp;

int etcd_parse_result(EtcdOp op, yajl_val root, StoreResult *ret, char **ret_error);

typedef struct EtcdWatchMessage {
        int64_t revision;           /* header revision */
        bool created;
        bool canceled;
        int64_t compact_revision;
        char *cancel_reason;
        StoreEvent *events;
        size_t n_events;
} EtcdWatchMessage;

void etcd_watch_message_done(EtcdWatchMessage *m);
int etcd_parse_watch_message(yajl_val root, EtcdWatchMessage *ret, char **ret_error);
