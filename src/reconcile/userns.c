/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <pwd.h>
#include <stdio.h>

#include "log.h"
#include "reconcile/reconciler-internal.h"
#include "reconcile/userns.h"
#include "store/userns.h"
#include "subid.h"

/* Requests carry the pod's name, not the PodState: a pod may be deleted and
 * freed while its lookup is in flight. */
typedef struct UsernsRequest {
        Reconciler *reconciler;
        char *pod;
        char *key;
        StoreUserns range;      /* the one being written */
} UsernsRequest;

static UsernsRequest *userns_request_free(UsernsRequest *q) {
        if (!q)
                return NULL;
        free(q->pod);
        free(q->key);
        return mfree(q);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(UsernsRequest *, userns_request_free);

bool pod_wants_userns(const Reconciler *rc, const Pod *pod) {
        if (!pod)
                return false;
        if (pod->user_namespace == USER_NAMESPACE_DEFAULT)
                return rc->config->userns_auto;
        return pod->user_namespace == USER_NAMESPACE_AUTO;
}

typedef struct SubidSet {
        SubidRange *uids, *gids;
        size_t n_uids, n_gids;
} SubidSet;

static void subid_set_done(SubidSet *s) {
        s->uids = mfree(s->uids);
        s->gids = mfree(s->gids);
}

static int subid_set_load(SubidSet *s, char **ret_error) {
        struct passwd pw, *res = NULL;
        char buf[4096];
        uid_t uid = (uid_t) -1;
        int r;

        /* By name or by uid, as shadow's tools accept either. */
        if (getpwnam_r(USERNS_USER, &pw, buf, sizeof buf, &res) == 0 && res)
                uid = res->pw_uid;
        r = subid_load(USERNS_SUBUID_FILE, USERNS_USER, uid, &s->uids, &s->n_uids, NULL);
        if (r < 0)
                return asprintf(ret_error, "cannot read " USERNS_SUBUID_FILE ": %s", strerror(-r)) < 0 ? -ENOMEM : r;
        r = subid_load(USERNS_SUBGID_FILE, USERNS_USER, uid, &s->gids, &s->n_gids, NULL);
        if (r < 0)
                return asprintf(ret_error, "cannot read " USERNS_SUBGID_FILE ": %s", strerror(-r)) < 0 ? -ENOMEM : r;
        if (s->n_uids == 0 || s->n_gids == 0)
                return asprintf(ret_error, "user_namespace \"auto\" needs subordinate ids of the user \""
                                USERNS_USER "\" in " USERNS_SUBUID_FILE " and " USERNS_SUBGID_FILE
                                " (none usable there; e.g. usermod --add-subuids 524288-1572863 "
                                "--add-subgids 524288-1572863 " USERNS_USER ")") < 0 ? -ENOMEM : -ENOENT;
        return 0;
}

static void finish(UsernsRequest *q, const StoreUserns *u, const char *error) {
        Reconciler *rc = q->reconciler;
        PodState *p = hashmap_get(rc->pods, q->pod);

        if (!p)
                return;
        p->userns_busy = false;
        if (u) {
                p->userns_uid = u->uid;
                p->userns_gid = u->gid;
                p->userns_size = u->size;
                log_info("Pod %s: user namespace uids %" PRIu32 "-%" PRIu32 ", gids %" PRIu32 "-%" PRIu32 ".",
                         q->pod, u->uid, u->uid + u->size - 1, u->gid, u->gid + u->size - 1);
        } else
                log_error("Pod %s: no user namespace range: %s", q->pod, error);
        reconcile_userns_done(rc, p, u ? NULL : error);
}

/* A recorded range is used only if it is still tank's in both files: a value
 * in the store is not trusted to name host ids by itself. */
static void use_recorded(UsernsRequest *q, const StoreKV *kv) {
        _cleanup_(subid_set_done) SubidSet ids = {};
        _cleanup_free_ char *error = NULL, *msg = NULL;
        StoreUserns u;
        int r;

        r = store_userns_parse(kv->value, kv->value_size, &u);
        if (r < 0) {
                if (asprintf(&msg, "%s: not a user namespace range", kv->key) < 0)
                        msg = NULL;
                return finish(q, NULL, msg ?: "unreadable user namespace range in the store");
        }
        r = subid_set_load(&ids, &error);
        if (r < 0)
                return finish(q, NULL, error ?: "cannot read the subordinate ids");
        if (u.size != USERNS_RANGE_SIZE || !subid_contains(ids.uids, ids.n_uids, u.uid, u.size) ||
            !subid_contains(ids.gids, ids.n_gids, u.gid, u.size)) {
                if (asprintf(&msg, "the range recorded in %s (uids %" PRIu32 "+%" PRIu32 ", gids %" PRIu32
                             "+%" PRIu32 ") is not the user \"" USERNS_USER "\"'s in " USERNS_SUBUID_FILE
                             " and " USERNS_SUBGID_FILE, kv->key, u.uid, u.size, u.gid, u.size) < 0)
                        msg = NULL;
                return finish(q, NULL, msg ?: "recorded range outside the subordinate ids");
        }
        finish(q, &u, NULL);
}

static void on_created(Store *s, int r, const StoreResult *res, const char *error, void *userdata) {
        _cleanup_(userns_request_freep) UsernsRequest *q = userdata;
        _cleanup_free_ char *msg = NULL;

        if (r == -ECANCELED)
                return;         /* the store client (and maybe the Reconciler) is going away */
        if (r == -EEXIST && res && res->n_kvs == 1)
                return use_recorded(q, &res->kvs[0]);   /* someone was quicker: theirs */
        if (r < 0 || !res || !res->succeeded) {
                if (asprintf(&msg, "cannot record the user namespace range: %s",
                             error ?: strerror(r < 0 ? -r : EIO)) < 0)
                        msg = NULL;
                return finish(q, NULL, msg ?: "cannot record the user namespace range");
        }
        finish(q, &q->range, NULL);
}

/* Deletes of a pod's record (the pod is gone, or was deleted while tankd was
 * away) are counted per pod name in rc->userns_releasing, and a lookup for that
 * name waits until they are done: otherwise a pod applied again under the same
 * name could read the old record just before its delete lands, and run with a
 * range the store no longer says is taken. */
typedef struct UsernsRelease {
        Reconciler *reconciler;
        char *pod;
        char *key;
} UsernsRelease;

static void release_add(Reconciler *rc, const char *pod) {
        uintptr_t n = (uintptr_t) hashmap_get(rc->userns_releasing, pod);

        if (hashmap_replace(rc->userns_releasing, pod, (void *) (n + 1), NULL) < 0)
                log_oom();
}

static void on_release_done(Store *s, int r, const StoreResult *res, const char *error, void *userdata) {
        UsernsRelease *rel = userdata;
        Reconciler *rc = rel->reconciler;
        uintptr_t n;
        PodState *p;

        if (r == -ECANCELED)
                goto finish;    /* shutting down: the Reconciler may be half gone */
        if (r < 0 && r != -ENOENT && r != -ESTALE)
                log_warning("Failed to remove %s: %s", rel->key, strna(error));
        n = (uintptr_t) hashmap_get(rc->userns_releasing, rel->pod);
        if (n > 1)
                (void) hashmap_replace(rc->userns_releasing, rel->pod, (void *) (n - 1), NULL);
        else {
                (void) hashmap_remove(rc->userns_releasing, rel->pod);
                /* Containers of a pod applied again meanwhile look it up now. */
                p = hashmap_get(rc->pods, rel->pod);
                if (p && !p->userns_busy)
                        reconcile_userns_done(rc, p, NULL);
        }
finish:
        free(rel->pod);
        free(rel->key);
        free(rel);
}

/* mod_revision 0: whatever is there. */
static void release(Reconciler *rc, const char *pod, int64_t mod_revision) {
        UsernsRelease *rel = calloc(1, sizeof(UsernsRelease));

        if (!rel || !(rel->pod = strdup(pod)) || store_userns_key(pod, &rel->key) < 0) {
                if (rel) {
                        free(rel->pod);
                        free(rel);
                }
                log_oom();
                return;
        }
        rel->reconciler = rc;
        if (store_delete(rc->store, rel->key, mod_revision, on_release_done, rel) < 0) {
                log_warning("Failed to remove %s from the store.", rel->key);
                free(rel->pod);
                free(rel->key);
                free(rel);
                return;
        }
        release_add(rc, pod);
}

/* Every range in the store is taken, except those of pods this tankd no longer
 * knows at all (deleted while it was away, their containers and data gone with
 * them at adoption): those are removed and their slots free again. */
static void on_listed(Store *s, int r, const StoreResult *res, const char *error, void *userdata) {
        _cleanup_(userns_request_freep) UsernsRequest *q = userdata;
        _cleanup_(subid_set_done) SubidSet ids = {};
        _cleanup_free_ char *msg = NULL, *json = NULL;
        _cleanup_free_ uint32_t *used = NULL;
        size_t n_used = 0;
        Reconciler *rc;
        uint32_t base;

        if (r == -ECANCELED)
                return;
        rc = q->reconciler;
        if (r < 0) {
                if (asprintf(&msg, "cannot list the user namespace ranges: %s", strna(error)) < 0)
                        msg = NULL;
                return finish(q, NULL, msg ?: "cannot list the user namespace ranges");
        }
        r = subid_set_load(&ids, &msg);
        if (r < 0)
                return finish(q, NULL, msg ?: "cannot read the subordinate ids");

        used = calloc(res->n_kvs * 2 + 1, sizeof(uint32_t));
        if (!used)
                return finish(q, NULL, "out of memory");
        for (size_t i = 0; i < res->n_kvs; i++) {
                const StoreKV *kv = &res->kvs[i];
                const char *pod = store_userns_key_pod(kv->key);
                StoreUserns u;

                if (store_userns_parse(kv->value, kv->value_size, &u) < 0) {
                        log_warning("%s: not a user namespace range, ignored.", kv->key);
                        continue;
                }
                if (pod && !hashmap_get(rc->pods, pod)) {
                        release(rc, pod, kv->mod_revision);
                        continue;
                }
                /* Slots are the same number in both files (subid_alloc), so
                 * either base blocks its slot. */
                used[n_used++] = u.uid;
                used[n_used++] = u.gid;
        }
        r = subid_alloc(ids.uids, ids.n_uids, ids.gids, ids.n_gids, used, n_used, USERNS_RANGE_SIZE, &base);
        if (r == -ENOSPC) {
                if (asprintf(&msg, "no free range of %" PRIu32 " ids left in the user \"" USERNS_USER "\"'s "
                             "subordinate ids (" USERNS_SUBUID_FILE ", " USERNS_SUBGID_FILE "; %zu in use)",
                             USERNS_RANGE_SIZE, n_used / 2) < 0)
                        msg = NULL;
                return finish(q, NULL, msg ?: "no free user namespace range");
        }
        if (r < 0)
                return finish(q, NULL, "cannot allocate a user namespace range");
        q->range = (StoreUserns) { .uid = base, .gid = base, .size = USERNS_RANGE_SIZE };
        r = store_userns_format(&q->range, &json);
        if (r < 0)
                return finish(q, NULL, "out of memory");
        /* Create-only: the slot is the pod's only if the key did not exist. */
        r = store_create(rc->store, q->key, json, strlen(json), on_created, q);
        if (r < 0)
                return finish(q, NULL, "cannot write to the store");
        TAKE_PTR(q);
}

static void on_got(Store *s, int r, const StoreResult *res, const char *error, void *userdata) {
        _cleanup_(userns_request_freep) UsernsRequest *q = userdata;
        _cleanup_free_ char *msg = NULL;

        if (r == -ECANCELED)
                return;
        if (r < 0) {
                if (asprintf(&msg, "cannot read %s: %s", q->key, strna(error)) < 0)
                        msg = NULL;
                return finish(q, NULL, msg ?: "cannot read the user namespace range");
        }
        if (res->n_kvs == 1)
                return use_recorded(q, &res->kvs[0]);
        r = store_range_prefix(q->reconciler->store, STORE_USERNS_PREFIX, on_listed, q);
        if (r < 0)
                return finish(q, NULL, "cannot list the user namespace ranges");
        TAKE_PTR(q);
}

int pod_userns_request(Reconciler *rc, PodState *p) {
        _cleanup_(userns_request_freep) UsernsRequest *q = NULL;
        int r;

        if (p->userns_busy || hashmap_get(rc->userns_releasing, p->name))
                return 0;       /* on_release_done() wakes the pod */
        q = calloc(1, sizeof(UsernsRequest));
        if (!q)
                return -ENOMEM;
        q->reconciler = rc;
        q->pod = strdup(p->name);
        if (!q->pod)
                return -ENOMEM;
        r = store_userns_key(p->name, &q->key);
        if (r < 0)
                return r;
        r = store_get(rc->store, q->key, on_got, q);
        if (r < 0)
                return r;
        TAKE_PTR(q);
        p->userns_busy = true;
        return 0;
}

void pod_userns_release(Reconciler *rc, const char *pod) {
        release(rc, pod, 0);
}
