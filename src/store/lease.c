/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "base64.h"
#include "etcd-json.h"
#include "lease.h"
#include "store-internal.h"

#define LEASE_ANSWER_MAX (64U * 1024U)

typedef enum LeaseOpKind {
        LEASE_GRANT,
        LEASE_KEEPALIVE,
        LEASE_REVOKE,
        LEASE_PUT,
} LeaseOpKind;

typedef struct LeaseOp {
        Store *store;
        LeaseOpKind kind;
        int64_t id;
        StoreLeaseCallback cb;
        StoreCallback put_cb;
        void *userdata;
} LeaseOp;

static int set_error(char **ret_error, const char *msg) {
        if (ret_error)
                *ret_error = strdup(msg);
        return ret_error && !*ret_error ? -ENOMEM : -EBADMSG;
}

static int parse_grant(const char *body, size_t size, int64_t *ret_id, int64_t *ret_ttl, char **ret_error) {
        _cleanup_yajl_ yajl_val root = NULL;
        int64_t id, ttl;
        int r;

        r = etcd_parse_json(body, size, LEASE_ANSWER_MAX, &root, ret_error);
        if (r < 0)
                return r;
        r = etcd_parse_int64(json_guard_get(root, "ID"), "ID", &id, ret_error);
        if (r < 0)
                return r;
        r = etcd_parse_int64(json_guard_get(root, "TTL"), "TTL", &ttl, ret_error);
        if (r < 0)
                return r;
        if (id == 0)
                return set_error(ret_error, "invalid response: lease grant without an ID");
        if (ttl <= 0)
                return set_error(ret_error, "invalid response: lease granted with no TTL");
        *ret_id = id;
        *ret_ttl = ttl;
        return 0;
}

static int parse_keepalive(const char *body, size_t size, int64_t id, int64_t *ret_ttl, char **ret_error) {
        _cleanup_yajl_ yajl_val root = NULL;
        yajl_val result;
        int64_t got, ttl;
        int r;

        r = etcd_parse_json(body, size, LEASE_ANSWER_MAX, &root, ret_error);
        if (r < 0)
                return r;
        result = json_guard_get(root, "result");
        if (!YAJL_IS_OBJECT(result))
                return set_error(ret_error, "invalid response: keepalive without a result");
        r = etcd_parse_int64(json_guard_get(result, "ID"), "result.ID", &got, ret_error);
        if (r < 0)
                return r;
        r = etcd_parse_int64(json_guard_get(result, "TTL"), "result.TTL", &ttl, ret_error);
        if (r < 0)
                return r;
        if (got != id)
                return set_error(ret_error, "invalid response: keepalive answered for another lease");
        if (ttl <= 0) {
                if (ret_error)
                        *ret_error = strdup("lease expired");
                return -ENOENT;
        }
        *ret_ttl = ttl;
        return 0;
}

/* etcd-json.h's parsers always write their message: keep it here unless asked for. */
int store_lease_parse_grant(const char *body, size_t size, int64_t *ret_id, int64_t *ret_ttl, char **ret_error) {
        _cleanup_free_ char *e = NULL;
        int r = parse_grant(body, size, ret_id, ret_ttl, &e);

        if (r < 0 && ret_error)
                *ret_error = TAKE_PTR(e);
        return r;
}

int store_lease_parse_keepalive(const char *body, size_t size, int64_t id, int64_t *ret_ttl, char **ret_error) {
        _cleanup_free_ char *e = NULL;
        int r = parse_keepalive(body, size, id, ret_ttl, &e);

        if (r < 0 && ret_error)
                *ret_error = TAKE_PTR(e);
        return r;
}

int store_lease_request_put(const char *key, const void *value, size_t size, int64_t lease, char **ret) {
        _cleanup_free_ char *k = NULL, *v = NULL;
        int r;

        if (lease <= 0)
                return -EINVAL;
        r = store_base64_encode(key, strlen(key), &k);
        if (r < 0)
                return r;
        r = store_base64_encode(value, size, &v);
        if (r < 0)
                return r;
        if (asprintf(ret, "{\"key\":\"%s\",\"value\":\"%s\",\"lease\":\"%" PRIi64 "\"}", k, v, lease) < 0)
                return -ENOMEM;
        return 0;
}

static void lease_op_done(StoreRequest *req _unused_, int r, const char *body, size_t size, const char *error,
                          void *userdata) {
        _cleanup_free_ LeaseOp *op = userdata;
        _cleanup_free_ char *msg = NULL;
        int64_t id = op->id, ttl = 0;

        /* -ENOENT means "the lease is gone" to our callers, so only etcd's
         * answer may say it: a unix socket missing while etcd restarts comes
         * from the transport as ENOENT too. */
        if (r == -ENOENT)
                r = -ECONNREFUSED;
        if (r >= 0 && r != 200) {
                r = store_http_error(body, size, LEASE_ANSWER_MAX, &msg);
                if (msg && strstr(msg, "requested lease not found"))
                        r = -ENOENT;
                error = msg ?: "store error";
        } else if (r >= 0) {
                switch (op->kind) {
                case LEASE_GRANT:
                        r = store_lease_parse_grant(body, size, &id, &ttl, &msg);
                        break;
                case LEASE_KEEPALIVE:
                        r = store_lease_parse_keepalive(body, size, op->id, &ttl, &msg);
                        break;
                case LEASE_PUT: {
                        _cleanup_yajl_ yajl_val root = NULL;
                        StoreResult res = {};

                        r = etcd_parse_json(body, size, LEASE_ANSWER_MAX, &root, &msg);
                        if (r >= 0)
                                r = etcd_parse_result(ETCD_OP_PUT, root, &res, &msg);
                        if (r >= 0) {
                                op->put_cb(op->store, 0, &res, NULL, op->userdata);
                                store_result_done(&res);
                                return;
                        }
                        break;
                }
                default:
                        r = 0;
                }
                if (r < 0)
                        error = msg ?: "out of memory";
        }

        if (op->kind == LEASE_PUT)
                op->put_cb(op->store, r, NULL, error, op->userdata);
        else
                op->cb(op->store, r, id, ttl, r < 0 ? error : NULL, op->userdata);
}

static int lease_op_start(Store *s, LeaseOpKind kind, const char *path, char *body, int64_t id,
                          StoreLeaseCallback cb, StoreCallback put_cb, void *userdata) {
        LeaseOp *op;
        int r;

        if (!body)
                return -ENOMEM;
        op = calloc(1, sizeof(LeaseOp));
        if (!op) {
                free(body);
                return -ENOMEM;
        }
        *op = (LeaseOp) { .store = s, .kind = kind, .id = id, .cb = cb, .put_cb = put_cb, .userdata = userdata };
        /* All four may be sent again: a second grant leaves an unused lease that
         * expires by itself, the others do the same thing twice. */
        r = store_request_start(s, path, body, true, false, lease_op_done, NULL, op, NULL);
        if (r < 0)
                free(op);
        return r;
}

static char *id_body(const char *field, int64_t v) {
        char *b;

        if (asprintf(&b, "{\"%s\":\"%" PRIi64 "\"}", field, v) < 0)
                return NULL;
        return b;
}

int store_lease_grant(Store *s, int64_t ttl, StoreLeaseCallback cb, void *userdata) {
        if (!s || !cb || ttl <= 0)
                return -EINVAL;
        return lease_op_start(s, LEASE_GRANT, "/v3/lease/grant", id_body("TTL", ttl), 0, cb, NULL, userdata);
}

int store_lease_keepalive(Store *s, int64_t id, StoreLeaseCallback cb, void *userdata) {
        if (!s || !cb || id <= 0)
                return -EINVAL;
        return lease_op_start(s, LEASE_KEEPALIVE, "/v3/lease/keepalive", id_body("ID", id), id, cb, NULL, userdata);
}

int store_lease_revoke(Store *s, int64_t id, StoreLeaseCallback cb, void *userdata) {
        if (!s || !cb || id <= 0)
                return -EINVAL;
        return lease_op_start(s, LEASE_REVOKE, "/v3/lease/revoke", id_body("ID", id), id, cb, NULL, userdata);
}

int store_put_leased(Store *s, const char *key, const void *value, size_t size, int64_t lease,
                     StoreCallback cb, void *userdata) {
        char *body = NULL;
        int r;

        if (!s || isempty(key) || !cb || lease <= 0)
                return -EINVAL;
        r = store_lease_request_put(key, value ?: "", size, lease, &body);
        if (r < 0)
                return r;
        return lease_op_start(s, LEASE_PUT, "/v3/kv/put", body, lease, NULL, cb, userdata);
}
