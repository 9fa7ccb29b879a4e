/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A pull: manifest (-> platform manifest) -> config -> layers in parallel ->
 * layer hook -> image record + tag. One PullOp per tag key; callers that ask
 * for the same image while it is in flight join it. */

#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <time.h>

#include "hashmap.h"
#include "log.h"
#include "manifest.h"
#include "platform.h"
#include "pull-internal.h"
#include "spec/reference.h"
#include "strv.h"
#include "time-util.h"

static void layer_job_done(LayerJob *j, BlobStore *s) {
        if (j->scan) {
                /* The scan stops within one buffer; the join is short. */
                __atomic_store_n(&j->scan_cancel, true, __ATOMIC_RELAXED);
                j->scan = thread_job_free(j->scan);
        }
        j->scan_fd = safe_close(j->scan_fd);
        j->scan_error = mfree(j->scan_error);
        registry_fetch_cancel(j->fetch);
        j->fetch = NULL;
        if (j->temp_name)
                blobstore_discard(s, j->temp_name);
        j->temp_name = mfree(j->temp_name);
        j->fd = safe_close(j->fd);
}

const char *pull_layer_state_to_string(PullLayerState s) {
        static const char *const table[] = {
                [PULL_LAYER_EXISTS] = "exists",
                [PULL_LAYER_DOWNLOADING] = "downloading",
                [PULL_LAYER_COMPLETE] = "complete",
        };
        return (size_t) s < ELEMENTSOF(table) ? table[s] : NULL;
}

static void report_layer(PullOp *op, size_t i, PullLayerState state, uint64_t done) {
        const Descriptor *d = &op->manifest->entries[i];
        Puller *p = op->puller;

        if (p->observer.layer)
                p->observer.layer(p->observer_userdata, op->key, d->digest, state, done,
                                  d->size > 0 ? (uint64_t) d->size : 0);
}

/* Bytes of layer j arrive (inside curl's write callback). */
static void on_layer_bytes(uint64_t received, void *userdata) {
        LayerJob *j = userdata;
        PullOp *op = j->op;
        uint64_t now;

        if (!op->puller->observer.layer)
                return;
        now = now_monotonic_usec();
        if (now - op->progress_usec < PULL_PROGRESS_INTERVAL_USEC)
                return;
        op->progress_usec = now;
        report_layer(op, j->index, PULL_LAYER_DOWNLOADING, received);
}

static void report_finished(PullOp *op, int r, const char *digest, const char *msg) {
        Puller *p = op->puller;

        if (p->observer.finished && op->key)
                p->observer.finished(p->observer_userdata, op->key, r, digest, msg);
}

static void pull_op_unfollow(PullOp *op) {
        if (!op->leader)
                return;
        for (PullOp **i = &op->leader->followers; *i; i = &(*i)->next_follower)
                if (*i == op) {
                        *i = op->next_follower;
                        break;
                }
        op->leader = NULL;
        op->next_follower = NULL;
}

static PullOp *pull_op_free(PullOp *op) {
        if (!op)
                return NULL;
        /* Only at puller_free(): the worker finishes its step first. */
        op->store_job = thread_job_free(op->store_job);
        image_record_free(op->store_rec);
        free(op->store_error);
        pull_op_unfollow(op);
        while (op->followers) {
                PullOp *f = op->followers;
                op->followers = f->next_follower;
                f->leader = NULL;
                f->next_follower = NULL;
        }
        if (op->key && !op->detached) {
                (void) hashmap_remove(op->puller->ops, op->key);
                report_finished(op, -ECANCELED, NULL, "pull cancelled");
        }
        registry_fetch_cancel(op->fetch);
        FOREACH_ARRAY(j, op->layers, op->n_layers)
                layer_job_done(j, op->puller->store);
        free(op->layers);
        while (op->requests) {
                PullRequest *r = op->requests;
                op->requests = r->next;
                free(r);
        }
        free(op->key);
        image_reference_free(op->ref);
        free(op->manifest_digest);
        manifest_free(op->manifest);
        free(op->os);
        free(op->arch);
        free(op->variant);
        free(op->config_digest);
        free(op->index_digest);
        free(op->index_body);
        free(op->manifest_body);
        free(op->config_body);
        image_config_info_done(&op->info);
        free(op);
        return NULL;
}

/* Tell every waiter, then forget the op. */
void pull_op_complete(PullOp *op, int r, const char *digest, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        PullRequest *reqs;
        va_list ap;

        if (r < 0) {
                va_start(ap, fmt);
                if (vasprintf(&msg, fmt, ap) < 0)
                        msg = NULL;
                va_end(ap);
                log_debug("pull %s: %s", op->key, strempty(msg));
        }

        /* Detach first: handlers may start new pulls of the same image. */
        (void) hashmap_remove(op->puller->ops, op->key);
        op->detached = true;
        report_finished(op, r, digest, r < 0 ? (msg ?: "pull failed") : NULL);
        reqs = TAKE_PTR(op->requests);
        registry_fetch_cancel(op->fetch);
        op->fetch = NULL;
        FOREACH_ARRAY(j, op->layers, op->n_layers)
                layer_job_done(j, op->puller->store);

        /* Followers are done when their leader is: tag them, tell their waiters. */
        PullOp *followers = TAKE_PTR(op->followers);
        for (PullOp *f = followers; f; f = f->next_follower)
                f->leader = NULL;

        _cleanup_free_ char *d = digest ? strdup(digest) : NULL;
        while (reqs) {
                PullRequest *q = reqs;
                reqs = q->next;
                q->cb(r, r < 0 ? NULL : d, r < 0 ? (msg ?: "pull failed") : NULL, q->userdata);
                free(q);
        }
        pull_op_free(op);

        while (followers) {
                PullOp *f = followers;
                int k = r;

                followers = f->next_follower;
                f->next_follower = NULL;
                if (k >= 0)
                        k = d ? image_tag_set(f->puller->store, f->key, d) : -ENOMEM;
                if (k < 0 && r >= 0)
                        pull_op_complete(f, k, NULL, "cannot tag the image: %s", strerror(-k));
                else
                        pull_op_complete(f, k, d, "%s", msg ?: "pull failed");
        }
}

/* Is another op already getting this manifest digest? Then wait for it. */
static bool pull_op_try_follow(PullOp *op) {
        PullOp *other;

        HASHMAP_FOREACH(other, op->puller->ops)
                if (other != op && !other->leader && other->manifest_digest &&
                    streq(other->manifest_digest, op->manifest_digest)) {
                        op->leader = other;
                        op->next_follower = other->followers;
                        other->followers = op;
                        log_debug("pull %s: same image as %s, sharing its pull", op->key, other->key);
                        return true;
                }
        return false;
}

static int fetch_manifest(PullOp *op, const char *object, const char *expected_digest);

static int run_layer_hook(PullOp *op, size_t i);

static int pull_op_build_record(PullOp *op, ImageRecord **ret) {
        _cleanup_(image_record_freep) ImageRecord *rec = NULL;
        struct timespec ts;

        rec = calloc(1, sizeof *rec);
        if (!rec)
                return -ENOMEM;
        rec->digest = strdup(op->manifest_digest);
        rec->config_digest = strdup(op->config_digest);
        if (asprintf(&rec->name, "%s/%s%s%s", op->ref->domain, op->ref->path,
                     op->ref->tag ? ":" : "", strempty(op->ref->tag)) < 0)
                rec->name = NULL;
        rec->os = op->info.os ? strdup(op->info.os) : NULL;
        rec->architecture = op->info.architecture ? strdup(op->info.architecture) : NULL;
        rec->variant = op->info.variant ? strdup(op->info.variant) : NULL;
        rec->layers = calloc(MAX(op->manifest->n_entries, 1U), sizeof(ImageLayer));
        if (!rec->digest || !rec->config_digest || !rec->name || !rec->layers)
                return -ENOMEM;
        rec->size = op->manifest->config.size;
        for (size_t i = 0; i < op->manifest->n_entries; i++) {
                const Descriptor *d = &op->manifest->entries[i];
                ImageLayer *l = &rec->layers[rec->n_layers++];

                l->digest = strdup(d->digest);
                l->media_type = strdup(d->media_type);
                l->diff_id = strdup(op->info.diff_ids[i]);
                l->size = d->size;
                if (!l->digest || !l->media_type || !l->diff_id)
                        return -ENOMEM;
                rec->size += d->size;
        }
        clock_gettime(CLOCK_REALTIME, &ts);
        rec->pulled_usec = (uint64_t) ts.tv_sec * 1000000U + ts.tv_nsec / 1000;
        *ret = TAKE_PTR(rec);
        return 0;
}

/* Every layer passed. Without a layer hook (tankd), the rest runs in a
 * worker (pull-store.c). With one (a tool's, run on the loop by contract),
 * here: the blobs become visible (layers, config, manifests), the hook runs,
 * then the record is written. */
static void pull_op_finish_image(PullOp *op) {
        _cleanup_(image_record_freep) ImageRecord *rec = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = pull_op_build_record(op, &rec);
        if (r < 0)
                return pull_op_complete(op, r, NULL, "out of memory");
        if (!op->puller->hook)
                return pull_store_start(op, TAKE_PTR(rec));

        r = pull_store_blobs(op, &error);
        if (r < 0)
                return pull_op_complete(op, r, NULL, "%s", error ?: strerror(-r));
        for (size_t i = 0; i < op->n_layers; i++)
                if (!op->layers[i].hooked && run_layer_hook(op, i) < 0)
                        return;   /* op is gone */
        r = pull_store_record(op, rec, &error);
        if (r < 0)
                return pull_op_complete(op, r, NULL, "%s", error ?: strerror(-r));

        pull_op_complete(op, 0, rec->digest, NULL);
}

/* Layers are independent (keyed by diff_id), so each is handed to the hook as
 * soon as its blob is verified. */
static int run_layer_hook(PullOp *op, size_t i) {
        Puller *p = op->puller;
        const Descriptor *d = &op->manifest->entries[i];
        _cleanup_free_ char *err = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        op->layers[i].hooked = true;
        if (!p->hook)
                return 0;
        r = blobstore_open_blob(p->store, d->digest, &fd);
        if (r < 0) {
                pull_op_complete(op, r, NULL, "layer %s vanished from the blob store: %s", d->digest, strerror(-r));
                return r;
        }
        r = p->hook(p->hook_userdata, fd, d->media_type, d->digest, op->info.diff_ids[i], &err);
        if (r < 0) {
                pull_op_complete(op, r, NULL, "layer %s: %s", d->digest, err ?: strerror(-r));
                return r;
        }
        return 0;
}

void layer_job_finished(LayerJob *j) {
        PullOp *op = j->op;

        j->done = true;
        if (--op->n_pending == 0)
                pull_op_finish_image(op);
}

static void on_layer(RegistryFetch *f, int r, const char *error_message, RegistryResponse *resp, void *userdata) {
        LayerJob *j = userdata;
        PullOp *op = j->op;

        j->fetch = NULL;
        if (r < 0)
                return pull_op_complete(op, r, NULL, "%s", error_message);
        report_layer(op, j->index, PULL_LAYER_COMPLETE, resp->bytes);
        /* Verified against its digest; it stays a temp file until the whole
         * image passed. */
        pull_layer_verified(j);
}

static void start_layers(PullOp *op) {
        Puller *p = op->puller;
        size_t n = op->manifest->n_entries;
        int r;

        if (n == 0)
                return pull_op_finish_image(op);

        op->layers = calloc(n, sizeof(LayerJob));
        if (!op->layers)
                return pull_op_complete(op, -ENOMEM, NULL, "out of memory");
        op->n_layers = n;
        op->n_pending = n;
        for (size_t i = 0; i < n; i++)
                op->layers[i] = (LayerJob) { .op = op, .index = i, .fd = -EBADF, .scan_fd = -EBADF };

        /* Blobs already stored were verified when they were stored: hand them to
         * the hook right away (it is idempotent), before anything is in flight. */
        for (size_t i = 0; i < n; i++)
                report_layer(op, i, blobstore_has(p->store, op->manifest->entries[i].digest) ?
                             PULL_LAYER_EXISTS : PULL_LAYER_DOWNLOADING, 0);
        for (size_t i = 0; i < n; i++)
                if (blobstore_has(p->store, op->manifest->entries[i].digest)) {
                        op->layers[i].done = true;
                        if (run_layer_hook(op, i) < 0)
                                return;   /* op is gone */
                        op->n_pending--;
                }
        if (op->n_pending == 0)
                return pull_op_finish_image(op);

        for (size_t i = 0; i < n; i++) {
                LayerJob *j = &op->layers[i];
                const Descriptor *d = &op->manifest->entries[i];

                if (j->done)
                        continue;
                r = blobstore_temp(p->store, &j->fd, &j->temp_name);
                if (r < 0)
                        return pull_op_complete(op, r, NULL, "cannot create a temporary blob file: %s", strerror(-r));
                r = registry_fetch(p->registry, &(RegistryRequest) {
                                .domain = op->ref->domain,
                                .repository = op->ref->path,
                                .kind = "blobs",
                                .object = d->digest,
                                .expected_digest = d->digest,
                                .expected_size = d->size,
                                .sink = REGISTRY_SINK_FD,
                                .fd = j->fd,
                                .progress = on_layer_bytes,
                        }, on_layer, j, &j->fetch);
                if (r < 0)
                        return pull_op_complete(op, r, NULL, "cannot fetch layer %s: %s", d->digest, strerror(-r));
        }
}

static void on_config(RegistryFetch *f, int r, const char *error_message, RegistryResponse *resp, void *userdata) {
        PullOp *op = userdata;
        _cleanup_(image_config_freep) ImageConfig *cfg = NULL;
        _cleanup_free_ char *err = NULL, *have = NULL, *want = NULL;
        const char *body;
        size_t size;

        op->fetch = NULL;
        if (r < 0)
                return pull_op_complete(op, r, NULL, "config: %s", error_message);
        body = resp->body;
        size = resp->body_size;

        r = image_config_info_parse(body, size, &op->info, &err);
        if (r < 0)
                return pull_op_complete(op, r, NULL, "image config %s: %s", op->config_digest, strempty(err));
        r = image_config_parse(body, size, &cfg);
        if (r < 0)
                return pull_op_complete(op, r, NULL, "image config %s is invalid: %s", op->config_digest, strerror(-r));
        if (strv_length(op->info.diff_ids) != op->manifest->n_entries)
                return pull_op_complete(op, -EBADMSG, NULL, "image config has %zu diff_ids but the manifest %zu layers",
                                        strv_length(op->info.diff_ids), op->manifest->n_entries);

        /* A single-platform image must be for this host (an index entry was
         * already matched). */
        if (!op->os && op->info.os && op->info.architecture &&
            platform_match(&op->puller->platform, op->info.os, op->info.architecture, op->info.variant) <= 0) {
                have = platform_to_string(op->info.os, op->info.architecture, op->info.variant);
                want = platform_to_string(op->puller->platform.os, op->puller->platform.architecture,
                                          op->puller->platform.variant);
                return pull_op_complete(op, -ENOEXEC, NULL, "image is for %s, this host is %s",
                                        strempty(have), strempty(want));
        }

        op->config_body = TAKE_PTR(resp->body);
        op->config_size = size;
        start_layers(op);
}

static void start_config(PullOp *op) {
        const Descriptor *c = &op->manifest->config;
        int r;

        if (!streq(c->media_type, MEDIA_TYPE_OCI_CONFIG) && !streq(c->media_type, MEDIA_TYPE_DOCKER_CONFIG))
                return pull_op_complete(op, -EBADMSG, NULL, "unsupported config media type \"%.100s\"", c->media_type);
        if (c->size > (int64_t) CONFIG_MAX_SIZE)
                return pull_op_complete(op, -EFBIG, NULL, "image config too large (%" PRIi64 " bytes)", c->size);
        op->config_digest = strdup(c->digest);
        if (!op->config_digest)
                return pull_op_complete(op, -ENOMEM, NULL, "out of memory");

        r = registry_fetch(op->puller->registry, &(RegistryRequest) {
                        .domain = op->ref->domain,
                        .repository = op->ref->path,
                        .kind = "blobs",
                        .object = c->digest,
                        .expected_digest = c->digest,
                        .expected_size = c->size,
                        .max_size = CONFIG_MAX_SIZE,
                        .sink = REGISTRY_SINK_MEMORY,
                        .fd = -EBADF,
                }, on_config, op, &op->fetch);
        if (r < 0)
                return pull_op_complete(op, r, NULL, "cannot fetch config: %s", strerror(-r));
}

static char *list_platforms(const Manifest *m) {
        _cleanup_strv_free_ char **l = NULL;

        FOREACH_ARRAY(d, m->entries, m->n_entries) {
                char *s = platform_to_string(d->os, d->architecture, d->variant);
                if (!s || strv_consume(&l, s) < 0)
                        return NULL;
        }
        return l ? strv_join(l, ", ") : strdup("none");
}

static void on_manifest(RegistryFetch *f, int r, const char *error_message, RegistryResponse *resp, void *userdata) {
        PullOp *op = userdata;
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_free_ char *err = NULL;
        Puller *p = op->puller;

        op->fetch = NULL;
        if (r < 0)
                return pull_op_complete(op, r, NULL, "manifest: %s", error_message);

        r = manifest_parse(resp->body, resp->body_size, resp->content_type, &m, &err);
        if (r < 0)
                return pull_op_complete(op, r, NULL, "manifest %s: %s", resp->digest, strempty(err));

        if (m->kind == MANIFEST_INDEX) {
                const Descriptor *best = NULL;
                int best_score = 0;

                if (op->manifest_digest)
                        return pull_op_complete(op, -EBADMSG, NULL, "index %s points to another index", op->manifest_digest);
                FOREACH_ARRAY(d, m->entries, m->n_entries) {
                        int s;

                        if (!streq(d->media_type, MEDIA_TYPE_OCI_MANIFEST) &&
                            !streq(d->media_type, MEDIA_TYPE_DOCKER_MANIFEST))
                                continue;
                        s = platform_match(&p->platform, d->os, d->architecture, d->variant);
                        if (s > best_score) {
                                best = d;
                                best_score = s;
                        }
                }
                if (!best) {
                        _cleanup_free_ char *have = list_platforms(m);
                        _cleanup_free_ char *want = platform_to_string(p->platform.os, p->platform.architecture,
                                                                       p->platform.variant);
                        return pull_op_complete(op, -ENOEXEC, NULL, "no image for %s in %s/%s; it has: %s",
                                                strempty(want), op->ref->domain, op->ref->path, strempty(have));
                }
                if (best->size > (int64_t) MANIFEST_MAX_SIZE)
                        return pull_op_complete(op, -EFBIG, NULL, "platform manifest too large");

                op->index_digest = strdup(resp->digest);
                op->index_size = resp->body_size;
                op->index_body = TAKE_PTR(resp->body);
                if (!op->index_digest)
                        return pull_op_complete(op, -ENOMEM, NULL, "out of memory");

                op->os = best->os ? strdup(best->os) : NULL;
                op->arch = best->architecture ? strdup(best->architecture) : NULL;
                op->variant = best->variant ? strdup(best->variant) : NULL;
                op->manifest_digest = strdup(best->digest);
                if (!op->manifest_digest)
                        return pull_op_complete(op, -ENOMEM, NULL, "out of memory");
                if (pull_op_try_follow(op))
                        return;
                r = fetch_manifest(op, best->digest, best->digest);
                if (r < 0)
                        return pull_op_complete(op, r, NULL, "cannot fetch manifest: %s", strerror(-r));
                return;
        }

        if (!op->manifest_digest) {
                op->manifest_digest = strdup(resp->digest);
                if (!op->manifest_digest)
                        return pull_op_complete(op, -ENOMEM, NULL, "out of memory");
                if (pull_op_try_follow(op))
                        return;
        }
        op->manifest = TAKE_PTR(m);
        if (pull_check_declared_sizes(op) < 0)
                return;   /* op is gone */
        op->manifest_size = resp->body_size;
        op->manifest_body = TAKE_PTR(resp->body);
        start_config(op);
}

static int fetch_manifest(PullOp *op, const char *object, const char *expected_digest) {
        /* By digest: the registry's answer is hashed and must be exactly what was
         * asked for (CVE-2014-8179). */
        return registry_fetch(op->puller->registry, &(RegistryRequest) {
                        .domain = op->ref->domain,
                        .repository = op->ref->path,
                        .kind = "manifests",
                        .object = object,
                        .accept = MANIFEST_ACCEPT,
                        .expected_digest = expected_digest,
                        .expected_size = -1,
                        .max_size = MANIFEST_MAX_SIZE,
                        .sink = REGISTRY_SINK_MEMORY,
                        .fd = -EBADF,
                }, on_manifest, op, &op->fetch);
}

int puller_new(sd_event *event, Registry *registry, BlobStore *store, Puller **ret) {
        _cleanup_(puller_freep) Puller *p = NULL;
        int r;

        if (!event || !registry || !store)
                return -EINVAL;
        p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        p->event = sd_event_ref(event);
        p->registry = registry;
        p->store = store;
        p->ops = hashmap_new();
        if (!p->ops)
                return -ENOMEM;
        p->limits = IMAGE_LIMITS_NONE;
        r = platform_host(&p->platform);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

Puller *puller_free(Puller *p) {
        PullOp *op;

        if (!p)
                return NULL;
        p->observer = (PullObserver) {};   /* nobody is told of a shutdown */
        if (p->ops) {
                HASHMAP_FOREACH(op, p->ops)
                        pull_op_free(op);
                hashmap_free(p->ops);
        }
        platform_done(&p->platform);
        sd_event_unref(p->event);
        free(p->extract_dir);
        free(p);
        return NULL;
}

int puller_set_extract(Puller *p, const char *data_dir) {
        return free_and_strdup(&p->extract_dir, data_dir);
}

void puller_set_limits(Puller *p, const ImageLimits *l) {
        p->limits = l ? *l : IMAGE_LIMITS_NONE;
}

void puller_set_observer(Puller *p, const PullObserver *o, void *userdata) {
        p->observer = o ? *o : (PullObserver) {};
        p->observer_userdata = userdata;
}

void puller_set_layer_hook(Puller *p, pull_layer_hook_t hook, void *userdata) {
        p->hook = hook;
        p->hook_userdata = userdata;
}

int puller_set_platform(Puller *p, const char *os, const char *arch, const char *variant) {
        Platform n = {
                .os = os ? strdup(os) : NULL,
                .architecture = arch ? strdup(arch) : NULL,
                .variant = variant ? strdup(variant) : NULL,
        };

        if (!os || !arch) {
                platform_done(&n);
                return -EINVAL;
        }
        if (!n.os || !n.architecture || (variant && !n.variant)) {
                platform_done(&n);
                return -ENOMEM;
        }
        platform_done(&p->platform);
        p->platform = n;
        return 0;
}

int image_pull(Puller *p, const char *reference, pull_handler_t cb, void *userdata,
               PullRequest **ret_request, char **ret_error) {
        _cleanup_(image_reference_freep) ImageReference *ref = NULL;
        _cleanup_free_ char *key = NULL;
        _cleanup_free_ char *reason = NULL;
        PullRequest *q;
        PullOp *op;
        int r;

        if (!p || !reference || !cb)
                return -EINVAL;

        r = image_reference_parse(reference, &ref, &reason);
        if (r < 0) {
                if (ret_error && asprintf(ret_error, "invalid image reference: %s", reason ?: strerror(-r)) < 0)
                        *ret_error = NULL;
                return r;
        }
        r = image_reference_key(ref, &key);
        if (r < 0)
                return r;

        q = calloc(1, sizeof *q);
        if (!q)
                return -ENOMEM;
        q->cb = cb;
        q->userdata = userdata;

        op = hashmap_get(p->ops, key);
        if (!op) {
                _cleanup_free_ char *what = NULL;

                if (asprintf(&what, "pull of %s", key) < 0) {
                        free(q);
                        return -ENOMEM;
                }
                r = image_limits_check_free(&p->limits, blobstore_images_fd(p->store), 0, what, ret_error);
                if (r < 0) {
                        free(q);
                        return r;
                }
                op = calloc(1, sizeof *op);
                if (!op) {
                        free(q);
                        return -ENOMEM;
                }
                op->puller = p;
                op->ref = TAKE_PTR(ref);
                r = hashmap_put(p->ops, key, op);
                if (r < 0) {
                        free(q);
                        pull_op_free(op);
                        return r;
                }
                op->key = TAKE_PTR(key);
                r = fetch_manifest(op, op->ref->digest ?: op->ref->tag, op->ref->digest);
                if (r < 0) {
                        free(q);
                        if (ret_error && asprintf(ret_error, "cannot start pull: %s", strerror(-r)) < 0)
                                *ret_error = NULL;
                        pull_op_free(op);
                        return r;
                }
        }

        q->op = op;
        q->next = op->requests;
        op->requests = q;
        if (ret_request)
                *ret_request = q;
        return 0;
}

void pull_request_cancel(PullRequest *req) {
        PullOp *op;

        if (!req)
                return;
        op = req->op;
        for (PullRequest **i = &op->requests; *i; i = &(*i)->next)
                if (*i == req) {
                        *i = req->next;
                        free(req);
                        break;
                }
        if (op->requests)
                return;
        /* Nobody waits for this op; but followers may still wait for its
         * result. One that is storing finishes (the image is all there). */
        if (!op->followers && !op->store_job) {
                PullOp *leader = op->leader;

                pull_op_free(op);
                if (leader && !leader->requests && !leader->followers && !leader->store_job)
                        pull_op_free(leader);
        }
}
