/* SPDX-License-Identifier: LGPL-2.1-or-later */
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

static void delete_done(Store *s, int r, const StoreResult *res, const char *error, void *userdata) {
        _cleanup_free_ PodOp *op = userdata;

        if (r >= 0 && res->n_deleted == 0)
                return op->write_cb(s, -ENOENT, 0, "no such pod", op->userdata);
        op->write_cb(s, r, r >= 0 ? res->revision : res && res->n_kvs > 0 ? res->kvs[0].mod_revision : 0,
                     error, op->userdata);
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

int store_pods_create(Store *s, const Pod *p, StorePodWriteCallback cb, void *userdata) {
        return pod_write(s, p, 0, true, cb, userdata);
}

int store_pods_put(Store *s, const Pod *p, int64_t mod_revision, StorePodWriteCallback cb, void *userdata) {
        return pod_write(s, p, mod_revision, false, cb, userdata);
}

int store_pods_delete(Store *s, const char *name, int64_t mod_revision, StorePodWriteCallback cb,
                      void *userdata) {
        _cleanup_free_ char *key = NULL;
        PodOp *op;
        int r;

        if (!cb || mod_revision < 0)
                return -EINVAL;
        r = store_pod_key(name, &key);
        if (r < 0)
                return r;
        op = calloc(1, sizeof(PodOp));
        if (!op)
                return -ENOMEM;
        *op = (PodOp) { .write_cb = cb, .userdata = userdata };
        r = store_delete(s, key, mod_revision, delete_done, op);
        if (r < 0)
                free(op);
        return r;
}
