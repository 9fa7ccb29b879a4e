/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "etcd-json.h"
#include "store-internal.h"
#include "strv.h"

typedef enum OpKind {
        OP_GET,
        OP_RANGE,
        OP_PUT,
        OP_DELETE,
        OP_DELETE_IF,
        OP_CREATE,
        OP_UPDATE,
        OP_TXN,
} OpKind;

typedef struct Op {
        Store *store;
        OpKind kind;
        StoreCallback cb;
        void *userdata;
} Op;

static bool endpoint_is_valid(const char *e) {
        const char *p;

        if ((p = startswith(e, "unix://")))
                return p[0] == '/' && p[1] != 0;
        p = startswith(e, "http://") ?: startswith(e, "https://");
        /* host:port only; the path is ours */
        return p && *p && !strchr(p, '/') && !strpbrk(p, " \t\r\n?#@");
}

int store_new(sd_event *event, const StoreConfig *config, Store **ret, char **ret_error) {
        _cleanup_store_free_ Store *s = NULL;
        int r;

        if (!event || !config || !ret)
                return -EINVAL;
        if (strv_length(config->endpoints) == 0) {
                if (ret_error)
                        *ret_error = strdup("no store endpoints configured");
                return -EINVAL;
        }
        STRV_FOREACH(e, config->endpoints)
                if (!endpoint_is_valid(*e)) {
                        if (ret_error && asprintf(ret_error, "invalid store endpoint \"%s\" "
                                                  "(expected http://HOST:PORT, https://HOST:PORT or unix:///PATH)", *e) < 0)
                                *ret_error = NULL;
                        return -EINVAL;
                }

        s = calloc(1, sizeof(Store));
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(event);
        s->up = true;
        s->timeout_usec = config->timeout_usec ?: STORE_DEFAULT_TIMEOUT_USEC;
        s->connect_timeout_usec = config->connect_timeout_usec ?: STORE_DEFAULT_CONNECT_TIMEOUT_USEC;
        s->max_attempts = config->max_attempts ?: STORE_DEFAULT_MAX_ATTEMPTS;
        s->response_max = STORE_RESPONSE_MAX;
        s->endpoints = strv_copy(config->endpoints);
        if (!s->endpoints)
                return -ENOMEM;
        s->n_endpoints = strv_length(s->endpoints);
        if (free_and_strdup(&s->cert_file, config->cert_file) < 0 ||
            free_and_strdup(&s->key_file, config->key_file) < 0 ||
            free_and_strdup(&s->ca_file, config->trusted_ca_file) < 0)
                return -ENOMEM;

        r = store_http_init(s);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(s);
        return 0;
}

Store *store_free(Store *s) {
        if (!s)
                return NULL;
        s->freeing = true;
        while (s->watches)
                store_watch_detach(s->watches);
        store_http_done(s);
        strv_free(s->endpoints);
        free(s->cert_file);
        free(s->key_file);
        free(s->ca_file);
        sd_event_unref(s->event);
        free(s);
        return NULL;
}

void store_set_health_callback(Store *s, StoreHealthCallback cb, void *userdata) {
        s->health_cb = cb;
        s->health_userdata = userdata;
}

bool store_is_up(Store *s) {
        return s->up;
}

const char *store_current_endpoint(Store *s) {
        return s->endpoints[s->current];
}

int store_prefix_range_end(const char *prefix, char **ret) {
        char *e;
        size_t n = strlen(prefix);

        /* The smallest key greater than every key with this prefix: drop trailing 0xff
         * bytes, increment the last. An all-0xff prefix has no end; etcd spells "to the
         * end of the key space" as "\0", which a C string cannot hold, so refuse. */
        while (n > 0 && (unsigned char) prefix[n - 1] == 0xff)
                n--;
        if (n == 0)
                return -EINVAL;
        e = strndup(prefix, n);
        if (!e)
                return -ENOMEM;
        e[n - 1]++;
        *ret = e;
        return 0;
}

static void op_done(StoreRequest *req _unused_, int r, const char *body, size_t size, const char *error,
                    void *userdata) {
        _cleanup_free_ Op *op = userdata;
        _cleanup_free_ char *msg = NULL;
        StoreResult res = {};
        yajl_val root = NULL;
        EtcdOp eop;

        if (r < 0)
                return op->cb(op->store, r, NULL, error, op->userdata);

        if (r != 200) {
                r = store_http_error(body, size, op->store ? op->store->response_max : STORE_RESPONSE_MAX, &msg);
                return op->cb(op->store, r, NULL, msg ?: "store error", op->userdata);
        }

        switch (op->kind) {
        case OP_GET:
        case OP_RANGE:
                eop = ETCD_OP_RANGE;
                break;
        case OP_PUT:
                eop = ETCD_OP_PUT;
                break;
        case OP_DELETE:
                eop = ETCD_OP_DELETE;
                break;
        case OP_TXN:
                eop = ETCD_OP_TXN_OPS;
                break;
        default:
                eop = ETCD_OP_TXN;
        }

        r = etcd_parse_json(body, size, op->store->response_max, &root, &msg);
        if (r >= 0) {
                r = etcd_parse_result(eop, root, &res, &msg);
                yajl_tree_free(root);
        }
        if (r < 0)
                return op->cb(op->store, r, NULL, msg ?: "out of memory", op->userdata);

        if (op->kind == OP_GET && res.n_kvs > 1) {
                store_result_done(&res);
                return op->cb(op->store, -EBADMSG, NULL, "invalid response: several kvs for one key",
                              op->userdata);
        }

        r = 0;
        if (eop == ETCD_OP_TXN_OPS) {
                op->cb(op->store, 0, &res, NULL, op->userdata);
                store_result_done(&res);
                return;
        }
        if (eop == ETCD_OP_TXN && !res.succeeded) {
                r = op->kind == OP_CREATE ? -EEXIST : -ESTALE;
                if (op->kind == OP_DELETE_IF && res.n_kvs == 0)
                        r = -ENOENT;
        } else if (eop == ETCD_OP_TXN)
                res.n_kvs = 0;

        op->cb(op->store, r, &res, r == -EEXIST ? "key exists" :
                               r == -ESTALE ? "revision changed" :
                               r == -ENOENT ? "no such key" : NULL, op->userdata);
        store_result_done(&res);
}

static int op_start(Store *s, OpKind kind, const char *path, char *body, StoreCallback cb, void *userdata) {
        Op *op;
        int r;

        if (!body)
                return -ENOMEM;
        op = calloc(1, sizeof(Op));
        if (!op) {
                free(body);
                return -ENOMEM;
        }
        *op = (Op) { .store = s, .kind = kind, .cb = cb, .userdata = userdata };

        /* A plain put is idempotent as far as the data goes (same key, same value);
         * a compare-and-swap is not: sent twice, the second would report a conflict
         * caused by the first. */
        r = store_request_start(s, path, body, !(kind == OP_CREATE || kind == OP_UPDATE || kind == OP_DELETE_IF || kind == OP_TXN),
                                false, op_done, NULL, op, NULL);
        if (r < 0)
                free(op);
        return r;
}

static int check_key(const char *key) {
        return isempty(key) ? -EINVAL : 0;
}

int store_put(Store *s, const char *key, const void *value, size_t size, StoreCallback cb, void *userdata) {
        char *body = NULL;
        int r;

        if (check_key(key) < 0 || !cb)
                return -EINVAL;
        r = etcd_request_put(key, value, size, &body);
        if (r < 0)
                return r;
        return op_start(s, OP_PUT, "/v3/kv/put", body, cb, userdata);
}

int store_get(Store *s, const char *key, StoreCallback cb, void *userdata) {
        char *body = NULL;
        int r;

        if (check_key(key) < 0 || !cb)
                return -EINVAL;
        r = etcd_request_range(key, NULL, &body);
        if (r < 0)
                return r;
        return op_start(s, OP_GET, "/v3/kv/range", body, cb, userdata);
}

int store_range_prefix(Store *s, const char *prefix, StoreCallback cb, void *userdata) {
        _cleanup_free_ char *end = NULL;
        char *body = NULL;
        int r;

        if (check_key(prefix) < 0 || !cb)
                return -EINVAL;
        r = store_prefix_range_end(prefix, &end);
        if (r < 0)
                return r;
        r = etcd_request_range(prefix, end, &body);
        if (r < 0)
                return r;
        return op_start(s, OP_RANGE, "/v3/kv/range", body, cb, userdata);
}

int store_delete(Store *s, const char *key, int64_t mod_revision, StoreCallback cb, void *userdata) {
        char *body = NULL;
        int r;

        if (check_key(key) < 0 || !cb || mod_revision < 0)
                return -EINVAL;
        if (mod_revision > 0) {
                r = etcd_request_txn(key, ETCD_COMPARE_MOD, mod_revision, NULL, 0, &body);
                if (r < 0)
                        return r;
                return op_start(s, OP_DELETE_IF, "/v3/kv/txn", body, cb, userdata);
        }
        r = etcd_request_delete(key, NULL, &body);
        if (r < 0)
                return r;
        return op_start(s, OP_DELETE, "/v3/kv/deleterange", body, cb, userdata);
}

int store_create(Store *s, const char *key, const void *value, size_t size, StoreCallback cb, void *userdata) {
        char *body = NULL;
        int r;

        if (check_key(key) < 0 || !cb)
                return -EINVAL;
        r = etcd_request_txn(key, ETCD_COMPARE_CREATE, 0, value ?: "", size, &body);
        if (r < 0)
                return r;
        return op_start(s, OP_CREATE, "/v3/kv/txn", body, cb, userdata);
}

int store_update(Store *s, const char *key, const void *value, size_t size, int64_t mod_revision,
                 StoreCallback cb, void *userdata) {
        char *body = NULL;
        int r;

        if (check_key(key) < 0 || !cb || mod_revision <= 0)
                return -EINVAL;
        r = etcd_request_txn(key, ETCD_COMPARE_MOD, mod_revision, value ?: "", size, &body);
        if (r < 0)
                return r;
        return op_start(s, OP_UPDATE, "/v3/kv/txn", body, cb, userdata);
}

int store_txn(Store *s, const StoreTxn *txn, StoreCallback cb, void *userdata) {
        char *body = NULL;
        int r;

        if (!s || !txn || !cb)
                return -EINVAL;
        r = etcd_request_txn_ops(txn, &body);
        if (r < 0)
                return r;
        return op_start(s, OP_TXN, "/v3/kv/txn", body, cb, userdata);
}
