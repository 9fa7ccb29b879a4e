/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "daemon/image-update.h"
#include "daemon/manager.h"
#include "image/manifest.h"
#include "log.h"
#include "reconcile/reconciler.h"
#include "reconcile/rollout-run.h"
#include "spec/image-pin.h"
#include "spec/reference.h"
#include "store/history.h"

typedef struct Check Check;

/* One tag asked of the registry, for every container that follows it. */
typedef struct Probe {
        Check *check;
        char *tagged;
        ImageReference *ref;
        RegistryFetch *fetch;
        bool get;                       /* the HEAD gave no digest: GET and hash */
        char *digest;                   /* NULL: unknown (failed) */
} Probe;

typedef struct Item {
        ImageUpdateItem pub;
        char *failed;                   /* from the history: the digest not to try again */
        int64_t revision;               /* the pod's, when checked */
        Probe *probe;
        PullRequest *pull;
        bool dropped;
} Item;

struct Check {
        ImageUpdater *updater;          /* NULL once the updater is gone */
        Manager *manager;
        bool dry_run;
        image_update_done_t cb;
        void *userdata;
        Item *items;
        size_t n_items;
        Probe *probes;
        size_t n_probes;
        unsigned n_fetches, n_store, n_pulls;
        bool finished;
        sd_event_source *defer;
        Check *next;
};

struct ImageUpdater {
        Manager *manager;
        sd_event_source *timer;
        bool timer_check_running;
        Check *checks;
};

/* A store call in flight: its check and pod. */
typedef struct StoreReq {
        Check *check;
        char *pod;
        Pod *spec;                      /* the write's */
} StoreReq;

static void store_req_free(StoreReq *s) {
        if (!s)
                return;
        free(s->pod);
        pod_free(s->spec);
        free(s);
}

static void check_unlink(Check *c) {
        if (!c->updater)
                return;
        for (Check **p = &c->updater->checks; *p; p = &(*p)->next)
                if (*p == c) {
                        *p = c->next;
                        break;
                }
        c->updater = NULL;
}

static void check_free(Check *c) {
        check_unlink(c);
        sd_event_source_disable_unref(c->defer);
        FOREACH_ARRAY(i, c->items, c->n_items) {
                pull_request_cancel(i->pull);
                free(i->pub.pod);
                free(i->pub.container);
                free(i->pub.image);
                free(i->pub.current);
                free(i->pub.available);
                free(i->failed);
        }
        free(c->items);
        FOREACH_ARRAY(p, c->probes, c->n_probes) {
                registry_fetch_cancel(p->fetch);
                free(p->tagged);
                image_reference_free(p->ref);
                free(p->digest);
        }
        free(c->probes);
        free(c);
}

static void check_finish(Check *c, int r) {
        _cleanup_free_ ImageUpdateItem *out = NULL;
        size_t n = 0;

        if (c->finished)
                return;
        c->finished = true;
        if (c->cb) {
                out = calloc(c->n_items ?: 1, sizeof(ImageUpdateItem));
                if (!out && r >= 0)
                        r = -ENOMEM;
                FOREACH_ARRAY(i, c->items, c->n_items)
                        if (out && !i->dropped)
                                out[n++] = i->pub;
                c->cb(r, out, n, c->userdata);
        }
}

/* Done when nothing is in flight any more. */
static void check_maybe_free(Check *c) {
        if (c->n_fetches == 0 && c->n_store == 0 && c->n_pulls == 0) {
                check_finish(c, 0);
                check_free(c);
        }
}

static void start_writes(Check *c);
static void start_pulls(Check *c);
static void start_history(Check *c);

/* ---- 1: the registry, one request per tag ---- */

static int probe_start(Probe *p);

static void probe_done(RegistryFetch *f, int r, const char *error, RegistryResponse *resp, void *userdata) {
        Probe *p = userdata;
        Check *c = p->check;
        const char *d;

        p->fetch = NULL;
        if (r < 0)
                log_warning("Image update: cannot check %s, trying again at the next check: %s", p->tagged,
                            strna(error));
        else {
                d = resp->docker_digest && digest_is_valid(resp->docker_digest) ? resp->docker_digest :
                    p->get ? resp->digest : NULL;
                if (!d && !p->get) {
                        /* No Docker-Content-Digest: the manifest's own bytes say. */
                        p->get = true;
                        r = probe_start(p);
                        if (r >= 0)
                                return;
                        log_warning_errno(r, "Image update: cannot fetch the manifest of %s: %m", p->tagged);
                } else if (d) {
                        p->digest = strdup(d);
                        if (!p->digest)
                                log_oom();
                }
        }
        c->n_fetches--;
        if (c->n_fetches == 0 && c->updater)
                start_history(c);
        check_maybe_free(c);
}

static int probe_start(Probe *p) {
        RegistryRequest req = {
                .domain = p->ref->domain,
                .repository = p->ref->path,
                .kind = "manifests",
                .object = p->ref->tag,
                .accept = MANIFEST_ACCEPT,
                .expected_size = -1,
                .max_size = MANIFEST_MAX_SIZE,
                .sink = REGISTRY_SINK_MEMORY,
                .fd = -EBADF,
                .head = !p->get,
        };

        return registry_fetch(p->check->manager->registry, &req, probe_done, p, &p->fetch);
}

/* ---- 2: the history: digests whose update failed ---- */

/* The newest image update of this container that pinned it to something
 * other than what it has now decides: if it failed, its digest is skipped. */
static void item_find_failed(Item *i, const HistoryList *l) {
        for (size_t k = l->n_records; k > 0; k--) {
                const HistoryRecord *rec = l->records[k - 1];

                if (!streq(rec->cause, rollout_cause_to_string(ROLLOUT_CAUSE_IMAGE_UPDATE)))
                        continue;
                for (size_t j = 0; j < rec->n_images; j++) {
                        _cleanup_free_ char *tagged = NULL, *pin = NULL;

                        if (!streq(rec->images[j].container, i->pub.container))
                                continue;
                        if (image_pin_split(rec->images[j].image, &tagged, &pin) < 0 || !pin ||
                            !streq(tagged, i->pub.image) || streq(pin, i->pub.current))
                                break;
                        if (streq(rec->result, "failed") || streq(rec->result, "reverted"))
                                i->failed = TAKE_PTR(pin);
                        return;
                }
        }
}

static void history_listed(Store *s, int r, HistoryList *list, const char *error, void *userdata) {
        _cleanup_(history_list_freep) HistoryList *l = list;
        StoreReq *req = userdata;
        Check *c = req->check;

        if (r < 0 && r != -ECANCELED)
                /* Without the history a broken digest might be tried again: wait. */
                log_warning("Image update: cannot read the history of pod %s, trying again at the next check: %s",
                            req->pod, strna(error));
        FOREACH_ARRAY(i, c->items, c->n_items) {
                if (!streq(i->pub.pod, req->pod) || i->dropped)
                        continue;
                if (r < 0) {
                        i->dropped = true;
                        continue;
                }
                item_find_failed(i, l);
                if (image_update_decide(i->pub.current, i->pub.available, i->failed) == IMAGE_UPDATE_SKIPPED) {
                        log_debug("Image update: pod %s container %s: %s is %s, whose update failed; waiting "
                                  "for the tag to move.", i->pub.pod, i->pub.container, i->pub.image, i->failed);
                        i->dropped = true;
                }
        }
        store_req_free(req);
        c->n_store--;
        if (c->n_store == 0 && c->updater && r != -ECANCELED) {
                if (c->dry_run)
                        check_finish(c, 0);
                else
                        start_pulls(c);
        }
        check_maybe_free(c);
}

static void start_history(Check *c) {
        Manager *m = c->manager;

        FOREACH_ARRAY(i, c->items, c->n_items) {
                if (!i->dropped && i->probe->digest) {
                        i->pub.available = strdup(i->probe->digest);
                        if (!i->pub.available) {
                                log_oom();
                                i->dropped = true;
                                continue;
                        }
                }
                if (image_update_decide(i->pub.current, i->pub.available, NULL) != IMAGE_UPDATE_AVAILABLE)
                        i->dropped = true;
        }
        for (size_t k = 0; k < c->n_items; k++) {
                Item *i = c->items + k;
                bool seen = false;
                StoreReq *req;
                int r;

                if (i->dropped)
                        continue;
                for (size_t j = 0; j < k && !seen; j++)
                        seen = !c->items[j].dropped && streq(c->items[j].pub.pod, i->pub.pod);
                if (seen)
                        continue;
                req = calloc(1, sizeof(StoreReq));
                if (req)
                        req->pod = strdup(i->pub.pod);
                if (!req || !req->pod) {
                        store_req_free(req);
                        log_oom();
                        i->dropped = true;
                        continue;
                }
                req->check = c;
                r = m->store ? store_history_list(m->store, i->pub.pod, history_listed, req) : -ENOTCONN;
                if (r < 0) {
                        log_warning_errno(r, "Image update: cannot list the history of pod %s: %m", i->pub.pod);
                        store_req_free(req);
                        FOREACH_ARRAY(x, c->items, c->n_items)
                                if (streq(x->pub.pod, i->pub.pod))
                                        x->dropped = true;
                        continue;
                }
                c->n_store++;
        }
}

/* ---- 3: pulls of the new digests, then one write per pod ---- */

static void item_pulled(int r, const char *digest, const char *error, void *userdata) {
        Item *i = userdata;
        Check *c;

        /* The pull's Check: items are one array, find it from any item's probe. */
        c = i->probe->check;
        i->pull = NULL;
        if (r < 0) {
                log_warning("Image update: pod %s container %s: cannot pull %s@%s, trying again at the next "
                            "check: %s", i->pub.pod, i->pub.container, i->pub.image, i->pub.available, strna(error));
                i->dropped = true;
        }
        c->n_pulls--;
        if (c->n_pulls == 0 && c->updater)
                start_writes(c);
        check_maybe_free(c);
}

static void start_pulls(Check *c) {
        FOREACH_ARRAY(i, c->items, c->n_items) {
                _cleanup_free_ char *pinned = NULL, *error = NULL;
                int r;

                if (i->dropped)
                        continue;
                r = image_pin_set(i->pub.image, i->pub.available, &pinned);
                if (r >= 0)
                        r = image_pull(c->manager->puller, pinned, item_pulled, i, &i->pull, &error);
                if (r < 0) {
                        log_warning_errno(r, "Image update: cannot pull %s: %s", strna(pinned),
                                          error ?: strerror(-r));
                        i->dropped = true;
                        continue;
                }
                c->n_pulls++;
        }
        if (c->n_pulls == 0)
                start_writes(c);
}

static void pod_written(Store *s, int r, int64_t mod_revision, const char *error, void *userdata) {
        StoreReq *req = userdata;
        Check *c = req->check;

        if (r >= 0 && c->updater) {
                log_info("Pod %s: image update written as revision %" PRIi64 ".", req->pod, mod_revision);
                (void) manager_applied(c->manager, TAKE_PTR(req->spec), mod_revision);
                rollout_note_cause(c->manager->reconciler, req->pod, mod_revision, ROLLOUT_CAUSE_IMAGE_UPDATE);
        } else {
                if (r == -ESTALE || r == -EEXIST)
                        log_info("Pod %s changed while its image update was pulled; the next check looks again.",
                                 req->pod);
                else if (r != -ECANCELED)
                        log_warning("Image update: cannot write pod %s, trying again at the next check: %s",
                                    req->pod, strna(error));
                FOREACH_ARRAY(i, c->items, c->n_items)
                        if (streq(i->pub.pod, req->pod))
                                i->dropped = true;
        }
        store_req_free(req);
        c->n_store--;
        check_maybe_free(c);
}

static int write_pod(Check *c, const char *name) {
        _cleanup_free_ char *json = NULL, *error = NULL;
        _cleanup_pod_free_ Pod *pod = NULL;
        int64_t revision = 0;
        StoreReq *req;
        PodState *p;
        int r;

        p = reconciler_get_pod(c->manager->reconciler, name);
        FOREACH_ARRAY(i, c->items, c->n_items)
                if (!i->dropped && streq(i->pub.pod, name))
                        revision = i->revision;
        if (!p || !p->desired || p->mod_revision != revision) {
                log_info("Pod %s changed while its image update was pulled; the next check looks again.", name);
                return -ESTALE;
        }
        r = pod_serialize(p->desired, &json);
        if (r < 0)
                return r;
        r = pod_parse(json, strlen(json), &pod, &error);
        if (r < 0)
                return r;
        FOREACH_ARRAY(i, c->items, c->n_items) {
                if (i->dropped || !streq(i->pub.pod, name))
                        continue;
                FOREACH_ARRAY(ct, pod->containers, pod->n_containers)
                        if (streq(ct->name, i->pub.container)) {
                                char *pinned;

                                r = image_pin_set(ct->image, i->pub.available, &pinned);
                                if (r < 0)
                                        return r;
                                free(ct->image);
                                ct->image = pinned;
                        }
        }
        req = calloc(1, sizeof(StoreReq));
        if (!req)
                return -ENOMEM;
        *req = (StoreReq) { .check = c, .pod = strdup(name), .spec = TAKE_PTR(pod) };
        if (!req->pod) {
                store_req_free(req);
                return -ENOMEM;
        }
        /* Compared on the checked revision: an Apply in between wins. */
        r = c->manager->store ? store_pods_put(c->manager->store, req->spec, revision, pod_written, req) : -ENOTCONN;
        if (r < 0) {
                store_req_free(req);
                return r;
        }
        c->n_store++;
        return 0;
}

static void start_writes(Check *c) {
        for (size_t k = 0; k < c->n_items; k++) {
                Item *i = c->items + k;
                bool seen = false;
                int r;

                if (i->dropped)
                        continue;
                for (size_t j = 0; j < k && !seen; j++)
                        seen = !c->items[j].dropped && streq(c->items[j].pub.pod, i->pub.pod);
                if (seen)
                        continue;
                r = write_pod(c, i->pub.pod);
                if (r < 0) {
                        if (r != -ESTALE)
                                log_warning_errno(r, "Image update: cannot write pod %s: %m", i->pub.pod);
                        FOREACH_ARRAY(x, c->items, c->n_items)
                                if (streq(x->pub.pod, i->pub.pod))
                                        x->dropped = true;
                }
        }
}

/* ---- 0: what follows a tag ---- */

/* The digest the container has now: its pin, or what runs (or was pulled for
 * the tag) before the first update. NULL: unknown. What runs counts only when
 * it runs this spec: during a rollout from another tag the old container's
 * digest says nothing about this tag, and comparing it would write an
 * "update" over the user's change. */
static int container_current(Manager *m, PodState *p, const PodContainer *ct, char **ret_tagged,
                             char **ret_current) {
        _cleanup_free_ char *tagged = NULL, *pin = NULL;
        char hash[SPEC_HASH_LEN + 1];
        int r;

        r = image_pin_split(ct->image, &tagged, &pin);
        if (r < 0)
                return r;
        if (!pin) {
                r = container_hash(ct, hash);
                if (r < 0)
                        return r;
                for (size_t k = 0; k < p->n_containers && !pin; k++)
                        if (streq(p->containers[k]->name, ct->name) && streq(p->containers[k]->hash, hash) &&
                            p->containers[k]->image_digest) {
                                pin = strdup(p->containers[k]->image_digest);
                                if (!pin)
                                        return -ENOMEM;
                        }
                if (!pin)
                        (void) image_tag_get(m->blobs, tagged, &pin);
        }
        *ret_tagged = TAKE_PTR(tagged);
        *ret_current = TAKE_PTR(pin);
        return 0;
}

static int check_collect(Check *c) {
        Manager *m = c->manager;
        PodState *p;
        int r;

        HASHMAP_FOREACH(p, reconciler_pods(m->reconciler)) {
                if (!p->desired)
                        continue;
                FOREACH_ARRAY(ct, p->desired->containers, p->desired->n_containers) {
                        _cleanup_free_ char *tagged = NULL, *current = NULL;
                        Item *items, *i;

                        if (ct->image_update != IMAGE_UPDATE_REGISTRY)
                                continue;
                        r = container_current(m, p, ct, &tagged, &current);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0 || !current)
                                continue;       /* not pulled yet: its start pulls the tag anyway */
                        items = reallocarray(c->items, c->n_items + 1, sizeof(Item));
                        if (!items)
                                return -ENOMEM;
                        c->items = items;
                        i = c->items + c->n_items;
                        *i = (Item) { .revision = p->mod_revision };
                        i->pub.pod = strdup(p->name);
                        i->pub.container = strdup(ct->name);
                        i->pub.image = TAKE_PTR(tagged);
                        i->pub.current = TAKE_PTR(current);
                        c->n_items++;
                        if (!i->pub.pod || !i->pub.container)
                                return -ENOMEM;
                }
        }

        /* One probe per tag, however many containers follow it. */
        c->probes = calloc(c->n_items ?: 1, sizeof(Probe));
        if (!c->probes)
                return -ENOMEM;
        FOREACH_ARRAY(i, c->items, c->n_items) {
                Probe *probe = NULL;

                FOREACH_ARRAY(q, c->probes, c->n_probes)
                        if (streq(q->tagged, i->pub.image))
                                probe = q;
                if (!probe) {
                        probe = c->probes + c->n_probes++;
                        probe->check = c;
                        probe->tagged = strdup(i->pub.image);
                        if (!probe->tagged)
                                return -ENOMEM;
                        r = image_reference_parse(probe->tagged, &probe->ref, NULL);
                        if (r < 0)
                                return r;
                }
                i->probe = probe;
        }
        return 0;
}

static int on_defer(sd_event_source *s, void *userdata) {
        check_maybe_free(userdata);
        return 0;
}

int image_updater_check(ImageUpdater *u, bool dry_run, image_update_done_t cb, void *userdata) {
        Manager *m = u->manager;
        Check *c;
        int r;

        if (!m->store || !m->store_synced || !m->reconciler)
                return -EAGAIN;
        c = calloc(1, sizeof(Check));
        if (!c)
                return -ENOMEM;
        *c = (Check) { .updater = u, .manager = m, .dry_run = dry_run, .cb = cb, .userdata = userdata,
                       .next = u->checks };
        u->checks = c;
        r = check_collect(c);
        if (r < 0) {
                c->cb = NULL;
                check_free(c);
                return r;
        }
        log_debug("Image update: checking %zu tags for %zu containers.", c->n_probes, c->n_items);
        FOREACH_ARRAY(p, c->probes, c->n_probes) {
                r = probe_start(p);
                if (r < 0) {
                        log_warning_errno(r, "Image update: cannot check %s: %m", p->tagged);
                        continue;
                }
                c->n_fetches++;
        }
        if (c->n_fetches == 0) {
                start_history(c);
                if (c->n_store == 0) {
                        /* Nothing to ask: report from the loop, never from within this call. */
                        r = sd_event_add_defer(m->event, &c->defer, on_defer, c);
                        if (r < 0) {
                                c->cb = NULL;
                                check_free(c);
                                return r;
                        }
                }
        }
        return 0;
}

/* ---- the timer ---- */

static void timer_check_done(int r, const ImageUpdateItem *items, size_t n, void *userdata) {
        ImageUpdater *u = userdata;

        if (r != -ECANCELED)
                u->timer_check_running = false;
        if (r < 0 && r != -ECANCELED)
                log_warning_errno(r, "Image update check failed: %m");
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        ImageUpdater *u = userdata;
        int r;

        if (!u->timer_check_running) {
                u->timer_check_running = true;
                r = image_updater_check(u, false, timer_check_done, u);
                if (r < 0) {
                        u->timer_check_running = false;
                        if (r != -EAGAIN)
                                log_warning_errno(r, "Image update check failed: %m");
                }
        }
        r = sd_event_source_set_time_relative(s, u->manager->config->update_check_usec);
        if (r >= 0)
                r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "Failed to re-arm the image update timer: %m");
        return 0;
}

int image_updater_new(Manager *m, ImageUpdater **ret) {
        ImageUpdater *u;
        int r;

        u = calloc(1, sizeof(ImageUpdater));
        if (!u)
                return -ENOMEM;
        u->manager = m;
        r = sd_event_add_time_relative(m->event, &u->timer, CLOCK_MONOTONIC, m->config->update_check_usec, 0,
                                       on_timer, u);
        if (r < 0) {
                free(u);
                return r;
        }
        *ret = u;
        return 0;
}

ImageUpdater *image_updater_free(ImageUpdater *u) {
        if (!u)
                return NULL;
        sd_event_source_disable_unref(u->timer);
        while (u->checks) {
                Check *c = u->checks;

                check_unlink(c);
                /* Pulls and fetches end now; store calls end with the store. */
                FOREACH_ARRAY(i, c->items, c->n_items)
                        if (i->pull) {
                                pull_request_cancel(i->pull);
                                i->pull = NULL;
                                c->n_pulls--;
                        }
                FOREACH_ARRAY(p, c->probes, c->n_probes)
                        if (p->fetch) {
                                registry_fetch_cancel(p->fetch);
                                p->fetch = NULL;
                                c->n_fetches--;
                        }
                check_finish(c, -ECANCELED);
                check_maybe_free(c);
        }
        free(u);
        return NULL;
}
