/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bindings.h"
#include "pods.h"
#include "strv.h"

typedef struct PodOp {
        StorePodListCallback list_cb;
        StorePodWriteCallback write_cb;
        void *userdata;
} PodOp;

int store_pod_key(const char *name, char **ret) {
        if (!pod_name_is_valid(name))
                return -EINVAL;
        if (asprintf(ret, STORE_PODS_PREFIX "%s", name) < 0)
                return -ENOMEM;
        return 0;
}

int store_pod_from_kv(const StoreKV *kv, Pod **ret, char **ret_error) {
        _cleanup_pod_free_ Pod *p = NULL;
        _cleanup_free_ char *err = NULL;
        const char *name;
        int r;

        name = startswith(kv->key, STORE_PODS_PREFIX);
        if (!name || !pod_name_is_valid(name))
                return asprintf(ret_error, "%s: not a pod key", kv->key) < 0 ? -ENOMEM : -EINVAL;
        if (kv->value_size > POD_JSON_MAX)
                return asprintf(ret_error, "%s: value too large (%zu bytes)", kv->key, kv->value_size) < 0 ?
                        -ENOMEM : -EINVAL;
        if (strlen(kv->value) != kv->value_size)
                return asprintf(ret_error, "%s: value contains a NUL byte", kv->key) < 0 ? -ENOMEM : -EINVAL;

        r = pod_parse(kv->value, kv->value_size, &p, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return asprintf(ret_error, "%s: %s", kv->key, err ?: "invalid pod spec") < 0 ? -ENOMEM : -EINVAL;
        if (!streq(p->name, name))
                return asprintf(ret_error, "%s: pod is named \"%s\"", kv->key, p->name) < 0 ? -ENOMEM : -EINVAL;

        *ret = TAKE_PTR(p);
        return 0;
}

void store_pod_list_free(StorePodList *l) {
        if (!l)
                return;
        for (size_t i = 0; i < l->n_pods; i++)
                pod_free(l->pods[i].pod);
        free(l->pods);
        strv_free(l->warnings);
        free(l);
}

static void list_done(Store *s, int r, const StoreResult *res, const char *error, void *userdata) {
        _cleanup_free_ PodOp *op = userdata;
        StorePodList *l;

        if (r < 0)
                return op->list_cb(s, r, NULL, error, op->userdata);

        l = calloc(1, sizeof(StorePodList));
        if (!l)
                return op->list_cb(s, -ENOMEM, NULL, "out of memory", op->userdata);
        l->revision = res->revision;
        l->pods = calloc(MAX(res->n_kvs, (size_t) 1), sizeof(StorePod));
        if (!l->pods)
                goto oom;

        /* etcd returns keys sorted, so the pods come out sorted by name */
        for (size_t i = 0; i < res->n_kvs; i++) {
                _cleanup_free_ char *err = NULL;
                Pod *p = NULL;

                r = store_pod_from_kv(res->kvs + i, &p, &err);
                if (r == -ENOMEM)
                        goto oom;
                if (r < 0) {
                        if (strv_consume(&l->warnings, TAKE_PTR(err)) < 0)
                                goto oom;
                        continue;
                }
                l->pods[l->n_pods++] = (StorePod) {
                        .pod = p,
                        .create_revision = res->kvs[i].create_revision,
                        .mod_revision = res->kvs[i].mod_revision,
                };
        }
        return op->list_cb(s, 0, l, NULL, op->userdata);

oom:
        store_pod_list_free(l);
        op->list_cb(s, -ENOMEM, NULL, "out of memory", op->userdata);
}

int store_pods_list(Store *s, StorePodListCallback cb, void *userdata) {
        PodOp *op;
        int r;

        if (!cb)
                return -EINVAL;
        op = calloc(1, sizeof(PodOp));
        if (!op)
                return -ENOMEM;
        *op = (PodOp) { .list_cb = cb, .userdata = userdata };
        r = store_range_prefix(s, STORE_PODS_PREFIX, list_done, op);
        if (r < 0)
                free(op);
        return r;
}

static void write_done(Store *s, int r, const StoreResult *res, const char *error, void *userdata) {
        _cleanup_free_ PodOp *op = userdata;
        int64_t rev = 0;

        /* success: the put's revision is the header's; a failed compare: the current kv's */
        if (res)
                rev = r >= 0 ? res->revision : res->n_kvs > 0 ? res->kvs[0].mod_revision : 0;
        op->write_cb(s, r, rev, error, op->userdata);
}

static int pod_write(Store *s, const Pod *p, int64_t mod_revision, bool create, StorePodWriteCallback cb,
                     void *userdata) {
        _cleanup_free_ char *key = NULL, *json = NULL;
        PodOp *op;
        int r;

        if (!p || !cb)
                return -EINVAL;
        r = store_pod_key(p->name, &key);
        if (r < 0)
                return r;
        r = pod_serialize(p, &json);
        if (r < 0)
                return r;

        op = calloc(1, sizeof(PodOp));
        if (!op)
                return -ENOMEM;
        *op = (PodOp) { .write_cb = cb, .userdata = userdata };

        if (create || mod_revision == 0)
                r = store_create(s, key, json, strlen(json), write_done, op);
        else if (mod_revision > 0)
                r = store_update(s, key, json, strlen(json), mod_revision, write_done, op);
        else
                r = store_put(s, key, json, strlen(json), write_done, op);
        if (r < 0)
                free(op);
        return r;
}

static void create_bound_done(Store *s, int r, const StoreResult *res, const char *error, void *userdata) {
        _cleanup_free_ PodOp *op = userdata;

        if (r >= 0 && !res->succeeded)
                return op->write_cb(s, -EAGAIN, 0, "the pod or its binding exists", op->userdata);
        op->write_cb(s, r, r >= 0 ? res->revision : 0, error, op->userdata);
}

int store_pods_create_bound(Store *s, const Pod *p, const char *node, uint64_t bound_usec,
                            StorePodWriteCallback cb, void *userdata) {
        _cleanup_free_ char *key = NULL, *json = NULL;
        char *strings[5];
        StoreTxnOp ops[5];
        StoreCompare cmp[2];
        size_t n;
        PodOp *op;
        int r;

        if (!p || !cb)
                return -EINVAL;
        r = store_pod_key(p->name, &key);
        if (r >= 0)
                r = pod_serialize(p, &json);
        if (r < 0)
                return r;
        r = store_bind_ops(node, p->name, NULL, bound_usec, ops + 1, &n, strings);
        if (r < 0)
                return r;
        ops[0] = (StoreTxnOp) { .type = STORE_TXN_PUT, .key = key, .value = json, .value_size = strlen(json) };
        cmp[0] = (StoreCompare) { .key = key, .target = STORE_COMPARE_CREATE, .result = STORE_COMPARE_EQUAL };
        cmp[1] = (StoreCompare) { .key = strings[2], .target = STORE_COMPARE_CREATE, .result = STORE_COMPARE_EQUAL };
        op = calloc(1, sizeof(PodOp));
        if (!op)
                r = -ENOMEM;
        else {
                *op = (PodOp) { .write_cb = cb, .userdata = userdata };
                r = store_txn(s, &(StoreTxn) { .compare = cmp, .n_compare = 2, .success = ops, .n_success = n + 1 },
                              create_bound_done, op);
                if (r < 0)
                        free(op);
        }
        for (size_t i = 0; i < 5; i++)
                free(strings[i]);
        return r;
}

int store_pods_create(Store *s, const Pod *p, StorePodWriteCallback cb, void *userdata) {
        return pod_write(s, p, 0, true, cb, userdata);
}

int store_pods_put(Store *s, const Pod *p, int64_t mod_revision, StorePodWriteCallback cb, void *userdata) {
        return pod_write(s, p, mod_revision, false, cb, userdata);
}

/* Delete: the pod, its binding, its index and its unschedulable key in one
 * txn, so that no binding outlives its pod. The binding's key names the
 * node, which only bound/<pod> tells: read it first, and make the txn
 * compare it, so that a bind or a move in between fails the txn (then read
 * again) rather than leave a stale binding behind. */
#define POD_DELETE_ATTEMPTS 8U

typedef struct PodDelete {
        Store *store;
        char *name;
        char *pod_key;
        char *bound_key;
        int64_t mod_revision;
        unsigned attempts;
        StorePodWriteCallback cb;
        void *userdata;
} PodDelete;

static PodDelete *pod_delete_free(PodDelete *d) {
        if (!d)
                return NULL;
        free(d->name);
        free(d->pod_key);
        free(d->bound_key);
        return mfree(d);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(PodDelete *, pod_delete_free);

static int pod_delete_read(PodDelete *d);

static void pod_delete_done(Store *s, int r, const StoreResult *res, const char *error, void *userdata) {
        _cleanup_(pod_delete_freep) PodDelete *d = userdata;
        const StoreKV *pod = NULL;

        if (r < 0)
                return d->cb(s, r, 0, error, d->userdata);
        if (res->succeeded)
                return d->cb(s, 0, res->revision, NULL, d->userdata);
        for (size_t i = 0; i < res->n_kvs; i++)
                if (streq(res->kvs[i].key, d->pod_key))
                        pod = res->kvs + i;
        if (!pod)
                return d->cb(s, -ENOENT, 0, "no such pod", d->userdata);
        if (d->mod_revision > 0 && pod->mod_revision != d->mod_revision)
                return d->cb(s, -ESTALE, pod->mod_revision, "revision changed", d->userdata);
        /* The binding moved under us: read it again. */
        if (++d->attempts >= POD_DELETE_ATTEMPTS)
                return d->cb(s, -EAGAIN, 0, "the pod's binding keeps changing", d->userdata);
        r = pod_delete_read(d);
        if (r < 0)
                return d->cb(s, r, 0, "out of memory", d->userdata);
        TAKE_PTR(d);
}

static void pod_delete_bound(Store *s, int r, const StoreResult *res, const char *error, void *userdata) {
        _cleanup_(pod_delete_freep) PodDelete *d = userdata;
        _cleanup_free_ char *node = NULL, *binding_key = NULL, *unsched_key = NULL;
        StoreCompare cmp[3];
        StoreTxnOp ok[4], ko[2];
        size_t n_cmp = 0, n_ok = 0;
        int64_t bound_rev = 0;

        if (r < 0)
                return d->cb(s, r, 0, error, d->userdata);
        if (res->n_kvs > 0) {
                bound_rev = res->kvs[0].mod_revision;
                /* A corrupt index names no node: delete it, and no binding. */
                if (bound_value_parse(res->kvs[0].value, res->kvs[0].value_size, &node) == -ENOMEM)
                        return d->cb(s, -ENOMEM, 0, "out of memory", d->userdata);
        }
        if (store_unschedulable_key(d->name, &unsched_key) < 0 ||
            (node && store_binding_key(node, d->name, &binding_key) < 0))
                return d->cb(s, -ENOMEM, 0, "out of memory", d->userdata);

        cmp[n_cmp++] = (StoreCompare) { .key = d->pod_key, .target = STORE_COMPARE_VERSION,
                                        .result = STORE_COMPARE_GREATER, .number = 0 };
        if (d->mod_revision > 0)
                cmp[n_cmp++] = (StoreCompare) { .key = d->pod_key, .target = STORE_COMPARE_MOD,
                                                .result = STORE_COMPARE_EQUAL, .number = d->mod_revision };
        cmp[n_cmp++] = (StoreCompare) { .key = d->bound_key,
                                        .target = bound_rev > 0 ? STORE_COMPARE_MOD : STORE_COMPARE_CREATE,
                                        .result = STORE_COMPARE_EQUAL, .number = bound_rev };
        ok[n_ok++] = (StoreTxnOp) { .type = STORE_TXN_DELETE, .key = d->pod_key };
        ok[n_ok++] = (StoreTxnOp) { .type = STORE_TXN_DELETE, .key = d->bound_key };
        ok[n_ok++] = (StoreTxnOp) { .type = STORE_TXN_DELETE, .key = unsched_key };
        if (binding_key)
                ok[n_ok++] = (StoreTxnOp) { .type = STORE_TXN_DELETE, .key = binding_key };
        ko[0] = (StoreTxnOp) { .type = STORE_TXN_GET, .key = d->pod_key };
        ko[1] = (StoreTxnOp) { .type = STORE_TXN_GET, .key = d->bound_key };

        r = store_txn(d->store, &(StoreTxn) { .compare = cmp, .n_compare = n_cmp, .success = ok, .n_success = n_ok,
                                              .failure = ko, .n_failure = 2 }, pod_delete_done, d);
        if (r < 0)
                return d->cb(s, r, 0, "could not queue the delete", d->userdata);
        TAKE_PTR(d);
}

static int pod_delete_read(PodDelete *d) {
        return store_get(d->store, d->bound_key, pod_delete_bound, d);
}

int store_pods_delete(Store *s, const char *name, int64_t mod_revision, StorePodWriteCallback cb,
                      void *userdata) {
        _cleanup_(pod_delete_freep) PodDelete *d = NULL;
        int r;

        if (!cb || mod_revision < 0)
                return -EINVAL;
        d = calloc(1, sizeof(PodDelete));
        if (!d)
                return -ENOMEM;
        *d = (PodDelete) { .store = s, .mod_revision = mod_revision, .cb = cb, .userdata = userdata };
        d->name = strdup(name ?: "");
        if (!d->name)
                return -ENOMEM;
        r = store_pod_key(name, &d->pod_key);
        if (r >= 0)
                r = store_bound_key(name, &d->bound_key);
        if (r < 0)
                return r;
        r = pod_delete_read(d);
        if (r < 0)
                return r;
        TAKE_PTR(d);
        return 0;
}
