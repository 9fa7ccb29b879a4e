/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* etcd leases over the JSON gateway, on the Store's loop and transport
 * (store.h: failover, retries, capped and checked answers):
 *   grant      POST /v3/lease/grant      {"TTL": n}        -> ID, granted TTL
 *   keepalive  POST /v3/lease/keepalive  {"ID": id}        -> {"result":{"ID", "TTL"}}
 *              (a streaming RPC; the gateway takes one request per POST; a TTL
 *              of 0, absent, means the lease is gone: -ENOENT)
 *   revoke     POST /v3/lease/revoke     {"ID": id}        (etcd 3.4 serves it there and,
 *              as 3.3 did, at /v3/kv/lease/revoke; a lease not found is -ENOENT)
 *   put        POST /v3/kv/put           {key, value, "lease": id}
 * IDs are int64, JSON strings in the gateway. Callbacks run exactly once,
 * never from inside the call that queued them; -ECANCELED when the Store is
 * freed first. Nothing here logs above debug. */

#include "store.h"

/* r >= 0: id and ttl (granted or remaining seconds); r < 0: error set. */
typedef void (*StoreLeaseCallback)(Store *s, int r, int64_t id, int64_t ttl, const char *error,
                                   void *userdata);

int store_lease_grant(Store *s, int64_t ttl, StoreLeaseCallback cb, void *userdata);
int store_lease_keepalive(Store *s, int64_t id, StoreLeaseCallback cb, void *userdata);
int store_lease_revoke(Store *s, int64_t id, StoreLeaseCallback cb, void *userdata);
/* A put whose key vanishes with the lease (lease > 0). -ENOENT: the lease is gone. */
int store_put_leased(Store *s, const char *key, const void *value, size_t size, int64_t lease,
                     StoreCallback cb, void *userdata);

/* Pure, for the tests: request bodies and the answers of grant and keepalive. */
int store_lease_request_put(const char *key, const void *value, size_t size, int64_t lease, char **ret);
int store_lease_parse_grant(const char *body, size_t size, int64_t *ret_id, int64_t *ret_ttl, char **ret_error);
/* 0 with ttl > 0; -ENOENT when the answer says the lease is gone */
int store_lease_parse_keepalive(const char *body, size_t size, int64_t id, int64_t *ret_ttl, char **ret_error);
