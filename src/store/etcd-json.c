/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdint.h>

#include "base64.h"
#include "etcd-json.h"
#include "json-stream.h"
#include "lease.h"

/* Every string we put into a request body is base64 or a number: no JSON
 * escaping is ever needed, which keeps the builders plain asprintf(). */

static int b64(const void *p, size_t n, char **ret) {
        return store_base64_encode(p, n, ret);
}

static int put_op(const char *key, const void *value, size_t size, char **ret) {
        _cleanup_free_ char *k = NULL, *v = NULL;
        int r;

        r = b64(key, strlen(key), &k);
        if (r < 0)
                return r;
        r = b64(value, size, &v);
        if (r < 0)
                return r;
        if (asprintf(ret, "{\"key\":\"%s\",\"value\":\"%s\"}", k, v) < 0)
                return -ENOMEM;
        return 0;
}

static int key_op(const char *key, const char *range_end, char **ret) {
        _cleanup_free_ char *k = NULL, *e = NULL;
        int r;

        r = b64(key, strlen(key), &k);
        if (r < 0)
                return r;
        if (range_end) {
                r = b64(range_end, strlen(range_end), &e);
                if (r < 0)
                        return r;
                if (asprintf(ret, "{\"key\":\"%s\",\"range_end\":\"%s\"}", k, e) < 0)
                        return -ENOMEM;
        } else if (asprintf(ret, "{\"key\":\"%s\"}", k) < 0)
                return -ENOMEM;
        return 0;
}

int etcd_request_range(const char *key, const char *range_end, char **ret) {
        return key_op(key, range_end, ret);
}

int etcd_request_put(const char *key, const void *value, size_t size, char **ret) {
        return put_op(key, value, size, ret);
}

int etcd_request_delete(const char *key, const char *range_end, char **ret) {
        return key_op(key, range_end, ret);
}

static int compare_json(const StoreCompare *c, char **ret) {
        static const char *const targets[_STORE_COMPARE_TARGET_MAX] = {
                [STORE_COMPARE_CREATE] = "CREATE", [STORE_COMPARE_MOD] = "MOD",
                [STORE_COMPARE_VERSION] = "VERSION", [STORE_COMPARE_VALUE] = "VALUE",
        };
        static const char *const fields[_STORE_COMPARE_TARGET_MAX] = {
                [STORE_COMPARE_CREATE] = "create_revision", [STORE_COMPARE_MOD] = "mod_revision",
                [STORE_COMPARE_VERSION] = "version", [STORE_COMPARE_VALUE] = "value",
        };
        static const char *const results[_STORE_COMPARE_RESULT_MAX] = {
                [STORE_COMPARE_EQUAL] = "EQUAL", [STORE_COMPARE_NOT_EQUAL] = "NOT_EQUAL",
                [STORE_COMPARE_GREATER] = "GREATER", [STORE_COMPARE_LESS] = "LESS",
        };
        _cleanup_free_ char *k = NULL, *v = NULL;
        int r;

        if (isempty(c->key) || (unsigned) c->target >= _STORE_COMPARE_TARGET_MAX ||
            (unsigned) c->result >= _STORE_COMPARE_RESULT_MAX ||
            (c->target != STORE_COMPARE_VALUE && c->number < 0) ||
            (c->target == STORE_COMPARE_VALUE && !c->value && c->value_size > 0))
                return -EINVAL;
        r = b64(c->key, strlen(c->key), &k);
        if (r < 0)
                return r;
        if (c->target == STORE_COMPARE_VALUE) {
                r = b64(c->value ?: "", c->value_size, &v);
                if (r < 0)
                        return r;
                r = asprintf(ret, "{\"key\":\"%s\",\"target\":\"%s\",\"result\":\"%s\",\"%s\":\"%s\"}",
                             k, targets[c->target], results[c->result], fields[c->target], v);
        } else
                r = asprintf(ret, "{\"key\":\"%s\",\"target\":\"%s\",\"result\":\"%s\",\"%s\":\"%" PRIi64 "\"}",
                             k, targets[c->target], results[c->result], fields[c->target], c->number);
        return r < 0 ? -ENOMEM : 0;
}

static int txn_op_json(const StoreTxnOp *o, char **ret) {
        _cleanup_free_ char *body = NULL;
        const char *name;
        int r;

        if (isempty(o->key) || o->lease < 0 || (!o->value && o->value_size > 0))
                return -EINVAL;
        switch (o->type) {
        case STORE_TXN_PUT:
                name = "request_put";
                r = o->lease > 0 ? store_lease_request_put(o->key, o->value ?: "", o->value_size, o->lease, &body)
                                 : put_op(o->key, o->value ?: "", o->value_size, &body);
                break;
        case STORE_TXN_DELETE:
                name = "request_delete_range";
                r = key_op(o->key, NULL, &body);
                break;
        case STORE_TXN_GET:
                name = "request_range";
                r = key_op(o->key, NULL, &body);
                break;
        default:
                return -EINVAL;
        }
        if (r < 0)
                return r;
        if (asprintf(ret, "{\"%s\":%s}", name, body) < 0)
                return -ENOMEM;
        return 0;
}

/* "[a,b,...]" of n items made by one of the two functions above */
static int json_list(const void *items, size_t size, size_t n, int (*one)(const void *, char **), char **ret) {
        _cleanup_free_ char *out = strdup("[");
        int r;

        if (!out)
                return -ENOMEM;
        if (n > STORE_TXN_OPS_MAX)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *j = NULL;
                char *joined;

                r = one((const char *) items + i * size, &j);
                if (r < 0)
                        return r;
                if (asprintf(&joined, "%s%s%s", out, i > 0 ? "," : "", j) < 0)
                        return -ENOMEM;
                free(out);
                out = joined;
        }
        if (asprintf(ret, "%s]", out) < 0)
                return -ENOMEM;
        return 0;
}

static int compare_json_any(const void *c, char **ret) {
        return compare_json(c, ret);
}

static int txn_op_json_any(const void *o, char **ret) {
        return txn_op_json(o, ret);
}

int etcd_request_txn_ops(const StoreTxn *txn, char **ret) {
        _cleanup_free_ char *cmp = NULL, *ok = NULL, *ko = NULL;
        int r;

        if (!txn || (!txn->compare && txn->n_compare > 0) || (!txn->success && txn->n_success > 0) ||
            (!txn->failure && txn->n_failure > 0))
                return -EINVAL;
        r = json_list(txn->compare, sizeof(StoreCompare), txn->n_compare, compare_json_any, &cmp);
        if (r >= 0)
                r = json_list(txn->success, sizeof(StoreTxnOp), txn->n_success, txn_op_json_any, &ok);
        if (r >= 0)
                r = json_list(txn->failure, sizeof(StoreTxnOp), txn->n_failure, txn_op_json_any, &ko);
        if (r < 0)
                return r;
        if (asprintf(ret, "{\"compare\":%s,\"success\":%s,\"failure\":%s}", cmp, ok, ko) < 0)
                return -ENOMEM;
        return 0;
}

int etcd_request_txn(const char *key, EtcdCompare compare, int64_t compare_value,
                     const void *value, size_t size, char **ret) {
        StoreCompare cmp = {
                .key = key,
                .target = compare == ETCD_COMPARE_CREATE ? STORE_COMPARE_CREATE : STORE_COMPARE_MOD,
                .result = STORE_COMPARE_EQUAL,
                .number = compare_value,
        };
        StoreTxnOp success = {
                .type = value ? STORE_TXN_PUT : STORE_TXN_DELETE,
                .key = key,
                .value = value,
                .value_size = value ? size : 0,
        };
        StoreTxnOp failure = { .type = STORE_TXN_GET, .key = key };

        if (!key)
                return -EINVAL;
        return etcd_request_txn_ops(&(StoreTxn) {
                .compare = &cmp,
                .n_compare = compare == ETCD_COMPARE_NONE ? 0 : 1,
                .success = &success,
                .n_success = 1,
                .failure = &failure,
                .n_failure = 1,
        }, ret);
}

int etcd_request_watch(const char *key, const char *range_end, int64_t start_revision, char **ret) {
        _cleanup_free_ char *k = NULL, *e = NULL;
        int r;

        r = b64(key, strlen(key), &k);
        if (r < 0)
                return r;
        r = b64(range_end ?: "", range_end ? strlen(range_end) : 0, &e);
        if (r < 0)
                return r;
        if (asprintf(ret, "{\"create_request\":{\"key\":\"%s\",\"range_end\":\"%s\","
                     "\"start_revision\":\"%" PRIi64 "\"}}", k, e, start_revision) < 0)
                return -ENOMEM;
        return 0;
}

int etcd_parse_json(const char *body, size_t size, size_t max_size, yajl_val *ret, char **ret_error) {
        _cleanup_free_ char *e = NULL;
        size_t n = MIN(size, max_size), i = 0;
        yajl_val v;
        int r;

        /* Every answer of the gateway is one object: say so rather than what yajl
         * makes of an HTML error page. */
        while (i < n && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
                i++;
        if (i < n && body[i] != '{') {
                *ret_error = strdup("invalid response: expected a JSON object");
                return *ret_error ? -EBADMSG : -ENOMEM;
        }

        r = json_guard_parse(body, size, max_size, JSON_STREAM_DEPTH_MAX, &v, &e);
        if (r == -EMSGSIZE) {
                *ret_error = strdup("response too large");
                return *ret_error ? r : -ENOMEM;
        }
        if (r < 0) {
                if (r != -ENOMEM && asprintf(ret_error, "invalid response: %s", strna(e)) < 0)
                        return -ENOMEM;
                return r;
        }
        *ret = v;
        return 0;
}

static int bad(char **ret_error, const char *field, const char *what) {
        if (asprintf(ret_error, "invalid response: %s: %s", field, what) < 0)
                *ret_error = NULL;
        return -EBADMSG;
}

int etcd_parse_error(yajl_val root, char **ret_message) {
        yajl_val e = json_guard_get(root, "error"), m;

        if (!e)
                return 0;
        if (YAJL_IS_OBJECT(e))
                m = json_guard_get(e, "message");
        else
                m = json_guard_get(root, "message") ?: e;
        *ret_message = strdup(YAJL_IS_STRING(m) ? m->u.string : "unknown error");
        return *ret_message ? 1 : -ENOMEM;
}

int etcd_parse_int64(yajl_val v, const char *field, int64_t *ret, char **ret_error) {
        if (!v) {
                *ret = 0;       /* proto3 JSON omits zero values */
                return 0;
        }
        if (YAJL_IS_INTEGER(v)) {
                *ret = v->u.number.i;
                return 0;
        }
        if (YAJL_IS_STRING(v)) {
                const char *s = v->u.string;
                char *end;
                long long x;

                if (!*s || !(*s == '-' || (*s >= '0' && *s <= '9')))
                        return bad(ret_error, field, "not an integer");
                errno = 0;
                x = strtoll(s, &end, 10);
                if (errno == ERANGE)
                        return bad(ret_error, field, "integer out of range");
                if (*end)
                        return bad(ret_error, field, "not an integer");
                *ret = x;
                return 0;
        }
        return bad(ret_error, field, "not an integer");
}

static int parse_revision(yajl_val v, const char *field, int64_t *ret, char **ret_error) {
        int r = etcd_parse_int64(v, field, ret, ret_error);
        if (r < 0)
                return r;
        if (*ret < 0)
                return bad(ret_error, field, "negative revision");
        return 0;
}

static int parse_b64(yajl_val v, const char *field, char **ret, size_t *ret_size, char **ret_error) {
        if (!v) {
                *ret = strdup("");
                if (!*ret)
                        return -ENOMEM;
                *ret_size = 0;
                return 0;
        }
        if (!YAJL_IS_STRING(v))
                return bad(ret_error, field, "not a string");
        if (store_base64_decode(v->u.string, strlen(v->u.string), ret, ret_size) < 0)
                return bad(ret_error, field, "invalid base64");
        return 0;
}

void store_kv_done(StoreKV *kv) {
        if (!kv)
                return;
        free(kv->key);
        free(kv->value);
        *kv = (StoreKV) {};
}

int etcd_parse_kv(yajl_val v, StoreKV *ret, char **ret_error) {
        _cleanup_free_ char *key = NULL, *value = NULL;
        StoreKV kv = {};
        size_t ks;
        int r;

        if (!YAJL_IS_OBJECT(v))
                return bad(ret_error, "kv", "not an object");

        r = parse_b64(json_guard_get(v, "key"), "kv.key", &key, &ks, ret_error);
        if (r < 0)
                return r;
        if (ks == 0 || strlen(key) != ks)
                return bad(ret_error, "kv.key", "empty or contains NUL");
        r = parse_b64(json_guard_get(v, "value"), "kv.value", &value, &kv.value_size, ret_error);
        if (r < 0)
                return r;
        r = parse_revision(json_guard_get(v, "create_revision"), "kv.create_revision", &kv.create_revision, ret_error);
        if (r < 0)
                return r;
        r = parse_revision(json_guard_get(v, "mod_revision"), "kv.mod_revision", &kv.mod_revision, ret_error);
        if (r < 0)
                return r;
        r = parse_revision(json_guard_get(v, "version"), "kv.version", &kv.version, ret_error);
        if (r < 0)
                return r;

        kv.key = TAKE_PTR(key);
        kv.value = TAKE_PTR(value);
        *ret = kv;
        return 0;
}

static void kvs_free(StoreKV *kvs, size_t n) {
        for (size_t i = 0; i < n; i++)
                store_kv_done(kvs + i);
        free(kvs);
}

static int parse_kvs(yajl_val v, StoreKV **ret, size_t *ret_n, char **ret_error) {
        StoreKV *kvs;
        size_t n;
        int r;

        if (!v) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        if (!YAJL_IS_ARRAY(v))
                return bad(ret_error, "kvs", "not an array");
        n = v->u.array.len;
        kvs = calloc(MAX(n, (size_t) 1), sizeof(StoreKV));
        if (!kvs)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r = etcd_parse_kv(v->u.array.values[i], kvs + i, ret_error);
                if (r < 0) {
                        kvs_free(kvs, i);
                        return r;
                }
        }
        *ret = kvs;
        *ret_n = n;
        return 0;
}

void store_result_done(StoreResult *r) {
        if (!r)
                return;
        kvs_free(r->kvs, r->n_kvs);
        *r = (StoreResult) {};
}

static int parse_header(yajl_val root, int64_t *ret, char **ret_error) {
        yajl_val h = json_guard_get(root, "header");

        if (!YAJL_IS_OBJECT(h))
                return bad(ret_error, "header", "missing");
        /* a store always has revision >= 1, so it is never omitted as a zero value */
        if (!json_guard_get(h, "revision"))
                return bad(ret_error, "header.revision", "missing");
        return parse_revision(json_guard_get(h, "revision"), "header.revision", ret, ret_error);
}

int etcd_parse_result(EtcdOp op, yajl_val root, StoreResult *ret, char **ret_error) {
        StoreResult res = {};
        yajl_val v;
        int r;

        r = parse_header(root, &res.revision, ret_error);
        if (r < 0)
                return r;

        switch (op) {
        case ETCD_OP_RANGE:
                r = parse_kvs(json_guard_get(root, "kvs"), &res.kvs, &res.n_kvs, ret_error);
                if (r < 0)
                        return r;
                break;
        case ETCD_OP_PUT:
                break;
        case ETCD_OP_DELETE:
                r = etcd_parse_int64(json_guard_get(root, "deleted"), "deleted", &res.n_deleted, ret_error);
                if (r < 0)
                        return r;
                break;
        case ETCD_OP_TXN_OPS:
                v = json_guard_get(root, "succeeded");
                if (v && !YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
                        return bad(ret_error, "succeeded", "not a boolean");
                res.succeeded = YAJL_IS_TRUE(v);
                v = json_guard_get(root, "responses");
                if (v && !YAJL_IS_ARRAY(v))
                        return bad(ret_error, "responses", "not an array");
                /* The kvs of every range op of the branch that ran, in order. */
                for (size_t i = 0; v && i < v->u.array.len; i++) {
                        yajl_val rr = json_guard_get(v->u.array.values[i], "response_range");
                        StoreKV *kvs = NULL, *all;
                        size_t n = 0;

                        if (!rr)
                                continue;
                        r = parse_kvs(json_guard_get(rr, "kvs"), &kvs, &n, ret_error);
                        if (r < 0) {
                                store_result_done(&res);
                                return r;
                        }
                        if (n == 0) {
                                free(kvs);
                                continue;
                        }
                        all = reallocarray(res.kvs, res.n_kvs + n + 1, sizeof(StoreKV));
                        if (!all) {
                                for (size_t j = 0; j < n; j++)
                                        store_kv_done(kvs + j);
                                free(kvs);
                                store_result_done(&res);
                                return -ENOMEM;
                        }
                        res.kvs = all;
                        memcpy(res.kvs + res.n_kvs, kvs, n * sizeof(StoreKV));
                        res.n_kvs += n;
                        free(kvs);
                }
                break;
        case ETCD_OP_TXN:
                v = json_guard_get(root, "succeeded");
                if (v && !YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
                        return bad(ret_error, "succeeded", "not a boolean");
                res.succeeded = YAJL_IS_TRUE(v);

                v = json_guard_get(root, "responses");
                if (v && (!YAJL_IS_ARRAY(v) || v->u.array.len > 1))
                        return bad(ret_error, "responses", "not an array of at most one");
                if (!res.succeeded) {
                        yajl_val rr = v && v->u.array.len == 1 ? json_guard_get(v->u.array.values[0], "response_range") : NULL;
                        if (!rr)
                                return bad(ret_error, "responses", "missing response_range for a failed compare");
                        r = parse_kvs(json_guard_get(rr, "kvs"), &res.kvs, &res.n_kvs, ret_error);
                        if (r < 0)
                                return r;
                        if (res.n_kvs > 1) {
                                store_result_done(&res);
                                return bad(ret_error, "responses", "more than one kv for one key");
                        }
                } else if (v && v->u.array.len == 1) {
                        yajl_val d = json_guard_get(json_guard_get(v->u.array.values[0], "response_delete_range"), "deleted");
                        r = etcd_parse_int64(d, "deleted", &res.n_deleted, ret_error);
                        if (r < 0)
                                return r;
                }
                break;
        }

        *ret = res;
        return 0;
}

void etcd_watch_message_done(EtcdWatchMessage *m) {
        if (!m)
                return;
        for (size_t i = 0; i < m->n_events; i++)
                store_kv_done(&m->events[i].kv);
        free(m->events);
        free(m->cancel_reason);
        *m = (EtcdWatchMessage) {};
}

static int parse_bool(yajl_val v, const char *field, bool *ret, char **ret_error) {
        if (!v) {
                *ret = false;
                return 0;
        }
        if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
                return bad(ret_error, field, "not a boolean");
        *ret = YAJL_IS_TRUE(v);
        return 0;
}

int etcd_parse_watch_message(yajl_val root, EtcdWatchMessage *ret, char **ret_error) {
        EtcdWatchMessage m = {};
        yajl_val res = json_guard_get(root, "result"), v;
        int r;

        if (!YAJL_IS_OBJECT(res))
                return bad(ret_error, "result", "missing");

        r = parse_bool(json_guard_get(res, "created"), "result.created", &m.created, ret_error);
        if (r < 0)
                return r;
        r = parse_bool(json_guard_get(res, "canceled"), "result.canceled", &m.canceled, ret_error);
        if (r < 0)
                return r;
        r = parse_revision(json_guard_get(res, "compact_revision"), "result.compact_revision", &m.compact_revision, ret_error);
        if (r < 0)
                return r;
        v = json_guard_get(res, "cancel_reason");
        if (v && !YAJL_IS_STRING(v))
                return bad(ret_error, "result.cancel_reason", "not a string");
        if (v) {
                m.cancel_reason = strdup(v->u.string);
                if (!m.cancel_reason)
                        return -ENOMEM;
        }
        /* A cancel response may lack the revision; everything else has a header. */
        v = json_guard_get(res, "header");
        if (!YAJL_IS_OBJECT(v)) {
                r = bad(ret_error, "result.header", "missing");
                goto fail;
        }
        r = parse_revision(json_guard_get(v, "revision"), "result.header.revision", &m.revision, ret_error);
        if (r < 0)
                goto fail;

        v = json_guard_get(res, "events");
        if (v) {
                if (!YAJL_IS_ARRAY(v)) {
                        r = bad(ret_error, "result.events", "not an array");
                        goto fail;
                }
                m.events = calloc(MAX(v->u.array.len, (size_t) 1), sizeof(StoreEvent));
                if (!m.events) {
                        r = -ENOMEM;
                        goto fail;
                }
                for (size_t i = 0; i < v->u.array.len; i++) {
                        yajl_val e = v->u.array.values[i], t;
                        StoreEvent *ev = m.events + m.n_events;

                        if (!YAJL_IS_OBJECT(e)) {
                                r = bad(ret_error, "result.events[]", "not an object");
                                goto fail;
                        }
                        t = json_guard_get(e, "type");
                        if (!t || (YAJL_IS_STRING(t) && streq(t->u.string, "PUT")))
                                ev->type = STORE_EVENT_PUT;
                        else if (YAJL_IS_STRING(t) && streq(t->u.string, "DELETE"))
                                ev->type = STORE_EVENT_DELETE;
                        else {
                                r = bad(ret_error, "result.events[].type", "unknown event type");
                                goto fail;
                        }
                        r = etcd_parse_kv(json_guard_get(e, "kv"), &ev->kv, ret_error);
                        if (r < 0)
                                goto fail;
                        m.n_events++;
                        if (ev->kv.mod_revision <= 0) {
                                r = bad(ret_error, "result.events[].kv.mod_revision", "missing");
                                goto fail;
                        }
                        if (m.n_events > 1 && ev->kv.mod_revision < m.events[m.n_events - 2].kv.mod_revision) {
                                r = bad(ret_error, "result.events", "revisions out of order");
                                goto fail;
                        }
                }
        }

        *ret = m;
        return 0;
fail:
        etcd_watch_message_done(&m);
        return r;
}
