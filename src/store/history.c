/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "history.h"
#include "json-guard.h"
#include "spec/pod.h"
#include "strv.h"

HistoryRecord *history_record_free(HistoryRecord *r) {
        if (!r)
                return NULL;
        free(r->cause);
        free(r->result);
        free(r->reason);
        for (size_t i = 0; i < r->n_images; i++) {
                free(r->images[i].container);
                free(r->images[i].image);
                free(r->images[i].digest);
        }
        free(r->images);
        free(r->spec);
        return mfree(r);
}

int history_record_copy(const HistoryRecord *r, HistoryRecord **ret) {
        _cleanup_(history_record_freep) HistoryRecord *c = calloc(1, sizeof(HistoryRecord));

        if (!c)
                return -ENOMEM;
        c->revision = r->revision;
        c->time_usec = r->time_usec;
        c->finished_usec = r->finished_usec;
        c->cause = strdup(strempty(r->cause));
        c->result = strdup(strempty(r->result));
        c->reason = strdup(strempty(r->reason));
        c->spec = strdup(strempty(r->spec));
        if (!c->cause || !c->result || !c->reason || !c->spec)
                return -ENOMEM;
        c->images = calloc(MAX(r->n_images, (size_t) 1), sizeof(HistoryImage));
        if (!c->images)
                return -ENOMEM;
        for (size_t i = 0; i < r->n_images; i++) {
                c->n_images++;
                c->images[i].container = strdup(strempty(r->images[i].container));
                c->images[i].image = strdup(strempty(r->images[i].image));
                c->images[i].digest = strdup(strempty(r->images[i].digest));
                if (!c->images[i].container || !c->images[i].image || !c->images[i].digest)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

HistoryList *history_list_free(HistoryList *l) {
        if (!l)
                return NULL;
        for (size_t i = 0; i < l->n_records; i++)
                history_record_free(l->records[i]);
        free(l->records);
        strv_free(l->warnings);
        return mfree(l);
}

const HistoryRecord *history_list_find(const HistoryList *l, int64_t revision) {
        for (size_t i = 0; l && i < l->n_records; i++)
                if (l->records[i]->revision == revision)
                        return l->records[i];
        return NULL;
}

int store_history_key(const char *pod, int64_t revision, char **ret) {
        if (!pod_name_is_valid(pod) || revision <= 0)
                return -EINVAL;
        if (asprintf(ret, STORE_HISTORY_PREFIX "%s/%" PRIi64, pod, revision) < 0)
                return -ENOMEM;
        return 0;
}

int history_record_format(const HistoryRecord *r, char **ret_json) {
        JsonGen *g = json_gen_new(0);
        int k;

        if (!g)
                return -ENOMEM;
        json_gen_map_open(g);
        json_gen_kv_integer(g, "revision", r->revision);
        json_gen_kv_integer(g, "time", (long long) r->time_usec);
        json_gen_kv_string(g, "cause", strempty(r->cause));
        json_gen_kv_string(g, "result", strempty(r->result));
        json_gen_kv_string(g, "reason", strempty(r->reason));
        json_gen_kv_integer(g, "finished", (long long) r->finished_usec);
        json_gen_string(g, "images");
        json_gen_array_open(g);
        for (size_t i = 0; i < r->n_images; i++) {
                json_gen_map_open(g);
                json_gen_kv_string(g, "container", strempty(r->images[i].container));
                json_gen_kv_string(g, "image", strempty(r->images[i].image));
                json_gen_kv_string(g, "digest", strempty(r->images[i].digest));
                json_gen_map_close(g);
        }
        json_gen_array_close(g);
        json_gen_kv_string(g, "spec", strempty(r->spec));
        json_gen_map_close(g);
        k = json_gen_finish(g, ret_json, NULL, NULL);
        json_gen_free(g);
        return k;
}

static int parse_fail(char **ret_error, const char *what) {
        if (ret_error) {
                char *e = strdup(what);
                if (!e)
                        return -ENOMEM;
                *ret_error = e;
        }
        return -EINVAL;
}

static int dup_member(yajl_val root, const char *key, char **ret) {
        const char *s = json_guard_string(json_guard_get(root, key));

        if (!s)
                return -EINVAL;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int history_record_parse(const char *value, size_t size, HistoryRecord **ret, char **ret_error) {
        _cleanup_(history_record_freep) HistoryRecord *rec = NULL;
        _cleanup_yajl_ yajl_val root = NULL;
        yajl_val images;
        long long v;
        int r;

        r = json_guard_parse(value, size, STORE_HISTORY_RECORD_MAX, 8, &root, NULL);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !YAJL_IS_OBJECT(root))
                return parse_fail(ret_error, "not a JSON object");
        rec = calloc(1, sizeof(HistoryRecord));
        if (!rec)
                return -ENOMEM;
        if (json_guard_int(json_guard_get(root, "revision"), 1, INT64_MAX, &v) < 0)
                return parse_fail(ret_error, "revision: expected a positive integer");
        rec->revision = v;
        if (json_guard_int(json_guard_get(root, "time"), 0, INT64_MAX, &v) < 0)
                return parse_fail(ret_error, "time: expected a non-negative integer");
        rec->time_usec = (uint64_t) v;
        if (json_guard_int(json_guard_get(root, "finished"), 0, INT64_MAX, &v) < 0)
                return parse_fail(ret_error, "finished: expected a non-negative integer");
        rec->finished_usec = (uint64_t) v;
        static const char *const strings[] = { "cause", "result", "reason", "spec" };
        char **slots[] = { &rec->cause, &rec->result, &rec->reason, &rec->spec };
        for (size_t i = 0; i < ELEMENTSOF(strings); i++) {
                r = dup_member(root, strings[i], slots[i]);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        _cleanup_free_ char *m = NULL;
                        if (asprintf(&m, "%s: expected a string", strings[i]) < 0)
                                return -ENOMEM;
                        return parse_fail(ret_error, m);
                }
        }
        images = json_guard_get(root, "images");
        if (!YAJL_IS_ARRAY(images) || images->u.array.len > POD_CONTAINERS_MAX)
                return parse_fail(ret_error, "images: expected an array of at most " XSTRINGIFY(POD_CONTAINERS_MAX)
                                  " objects");
        rec->images = calloc(MAX(images->u.array.len, (size_t) 1), sizeof(HistoryImage));
        if (!rec->images)
                return -ENOMEM;
        for (size_t i = 0; i < images->u.array.len; i++) {
                yajl_val x = images->u.array.values[i];
                HistoryImage *im = &rec->images[rec->n_images++];

                if ((r = dup_member(x, "container", &im->container)) < 0 ||
                    (r = dup_member(x, "image", &im->image)) < 0 ||
                    (r = dup_member(x, "digest", &im->digest)) < 0)
                        return r == -ENOMEM ? r : parse_fail(ret_error, "images: expected container, image and digest strings");
        }
        *ret = TAKE_PTR(rec);
        return 0;
}

typedef struct HistoryOp {
        char *pod;
        int64_t revision;
        StoreHistoryListCallback list_cb;
        StoreHistoryWriteCallback write_cb;
        void *userdata;
} HistoryOp;

static HistoryOp *history_op_free(HistoryOp *op) {
        if (!op)
                return NULL;
        free(op->pod);
        return mfree(op);
}

static int record_cmp(const void *a, const void *b) {
        const HistoryRecord *x = *(HistoryRecord * const *) a, *y = *(HistoryRecord * const *) b;
        return x->revision < y->revision ? -1 : x->revision > y->revision;
}

static int list_build(const char *pod, const StoreResult *res, HistoryList **ret) {
        _cleanup_(history_list_freep) HistoryList *l = calloc(1, sizeof(HistoryList));
        _cleanup_free_ char *prefix = NULL;
        int r;

        if (!l || asprintf(&prefix, STORE_HISTORY_PREFIX "%s/", pod) < 0)
                return -ENOMEM;
        l->records = calloc(MAX(res->n_kvs, (size_t) 1), sizeof(HistoryRecord *));
        if (!l->records)
                return -ENOMEM;
        for (size_t i = 0; i < res->n_kvs; i++) {
                const StoreKV *kv = &res->kvs[i];
                _cleanup_free_ char *error = NULL, *w = NULL;
                HistoryRecord *rec = NULL;
                const char *tail = startswith(kv->key, prefix);
                char *end = NULL;
                long long n;

                n = tail ? strtoll(tail, &end, 10) : 0;
                if (!tail || !end || *end || n <= 0) {
                        r = asprintf(&w, "%s: not a revision key", kv->key);
                        goto warn;
                }
                r = history_record_parse(kv->value, kv->value_size, &rec, &error);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0 && rec->revision != n) {
                        r = asprintf(&w, "%s: its record says revision %" PRIi64, kv->key, rec->revision);
                        history_record_free(rec);
                        goto warn;
                }
                if (r < 0) {
                        r = asprintf(&w, "%s: %s", kv->key, strna(error));
                        goto warn;
                }
                l->records[l->n_records++] = rec;
                continue;
        warn:
                if (r < 0)
                        return -ENOMEM;
                r = strv_consume(&l->warnings, TAKE_PTR(w));
                if (r < 0)
                        return r;
        }
        qsort(l->records, l->n_records, sizeof(HistoryRecord *), record_cmp);
        *ret = TAKE_PTR(l);
        return 0;
}

static void list_done(Store *s, int r, const StoreResult *res, const char *error, void *userdata) {
        HistoryOp *op = userdata;
        HistoryList *l = NULL;

        if (r >= 0) {
                r = list_build(op->pod, res, &l);
                if (r < 0)
                        error = "out of memory";
        }
        op->list_cb(s, r, l, error, op->userdata);
        history_op_free(op);
}

int store_history_list(Store *s, const char *pod, StoreHistoryListCallback cb, void *userdata) {
        _cleanup_free_ char *prefix = NULL;
        HistoryOp *op;
        int r;

        if (!cb || !pod_name_is_valid(pod))
                return -EINVAL;
        if (asprintf(&prefix, STORE_HISTORY_PREFIX "%s/", pod) < 0)
                return -ENOMEM;
        op = calloc(1, sizeof(HistoryOp));
        if (!op || !(op->pod = strdup(pod))) {
                history_op_free(op);
                return -ENOMEM;
        }
        op->list_cb = cb;
        op->userdata = userdata;
        r = store_range_prefix(s, prefix, list_done, op);
        if (r < 0)
                history_op_free(op);
        return r;
}

static void write_done(Store *s, int r, const StoreResult *res, const char *error, void *userdata) {
        HistoryOp *op = userdata;

        if (op->write_cb)
                op->write_cb(s, r, error, op->userdata);
        history_op_free(op);
}

int store_history_put(Store *s, const char *pod, const HistoryRecord *rec, StoreHistoryWriteCallback cb,
                      void *userdata) {
        _cleanup_free_ char *key = NULL, *json = NULL;
        HistoryOp *op;
        int r;

        r = store_history_key(pod, rec->revision, &key);
        if (r < 0)
                return r;
        r = history_record_format(rec, &json);
        if (r < 0)
                return r;
        op = calloc(1, sizeof(HistoryOp));
        if (!op)
                return -ENOMEM;
        *op = (HistoryOp) { .write_cb = cb, .userdata = userdata };
        r = store_put(s, key, json, strlen(json), write_done, op);
        if (r < 0)
                history_op_free(op);
        return r;
}

int store_history_delete(Store *s, const char *pod, int64_t revision, StoreHistoryWriteCallback cb, void *userdata) {
        _cleanup_free_ char *key = NULL;
        HistoryOp *op;
        int r;

        r = store_history_key(pod, revision, &key);
        if (r < 0)
                return r;
        op = calloc(1, sizeof(HistoryOp));
        if (!op)
                return -ENOMEM;
        *op = (HistoryOp) { .write_cb = cb, .userdata = userdata };
        r = store_delete(s, key, 0, write_done, op);
        if (r < 0)
                history_op_free(op);
        return r;
}
