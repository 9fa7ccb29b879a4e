/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Registry context: configuration (mirrors, insecure hosts, credentials)
 * and the glue that lets curl's multi interface run on sd-event: curl tells us
 * which sockets to watch and when to wake it, sd-event does the waiting. */

#include <ctype.h>
#include <sys/epoll.h>

#include "log.h"
#include "registry-internal.h"
#include "spec/reference.h"
#include "strv.h"

#define DEFAULT_DOCKER_ENDPOINT "https://registry-1.docker.io"

static int on_curl_timer(sd_event_source *s, uint64_t usec, void *userdata);

static void registry_drain(Registry *r) {
        CURLMsg *msg;
        int left;

        while ((msg = curl_multi_info_read(r->multi, &left))) {
                RegistryFetch *f = NULL;

                if (msg->msg != CURLMSG_DONE)
                        continue;
                curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &f);
                if (!f)
                        continue;
                /* The handler may add or remove handles: msg is invalid after it. */
                registry_fetch_transfer_done(f, msg->data.result);
        }
}

static int on_curl_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Registry *r = userdata;
        int action = 0, running;

        if (revents & (EPOLLIN|EPOLLPRI|EPOLLHUP))
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        if (revents & EPOLLERR)
                action |= CURL_CSELECT_ERR;

        (void) curl_multi_socket_action(r->multi, fd, action, &running);
        registry_drain(r);
        return 0;
}

static int curl_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
        Registry *r = userp;
        sd_event_source *io = socketp;
        uint32_t events;
        int k;

        if (what == CURL_POLL_REMOVE) {
                if (io) {
                        sd_event_source_disable_unref(io);
                        curl_multi_assign(r->multi, fd, NULL);
                }
                return 0;
        }

        events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
        if (io) {
                k = sd_event_source_set_io_events(io, events);
                if (k >= 0)
                        k = sd_event_source_set_enabled(io, SD_EVENT_ON);
                return k < 0 ? -1 : 0;
        }

        k = sd_event_add_io(r->event, &io, fd, events, on_curl_io, r);
        if (k < 0)
                return -1;
        (void) sd_event_source_set_description(io, "registry-curl-io");
        if (curl_multi_assign(r->multi, fd, io) != CURLM_OK) {
                sd_event_source_disable_unref(io);
                return -1;
        }
        return 0;
}

static int curl_timer_cb(CURLM *multi, long timeout_ms, void *userp) {
        Registry *r = userp;
        uint64_t now;
        int k;

        if (timeout_ms < 0)
                return r->timer ? (sd_event_source_set_enabled(r->timer, SD_EVENT_OFF) < 0 ? -1 : 0) : 0;

        k = sd_event_now(r->event, CLOCK_MONOTONIC, &now);
        if (k < 0)
                return -1;
        now += (uint64_t) timeout_ms * 1000U;

        if (r->timer) {
                if (sd_event_source_set_time(r->timer, now) < 0 ||
                    sd_event_source_set_enabled(r->timer, SD_EVENT_ONESHOT) < 0)
                        return -1;
                return 0;
        }
        /* Accuracy 1us: sd-event's default (250ms) would stall every transfer. */
        k = sd_event_add_time(r->event, &r->timer, CLOCK_MONOTONIC, now, 1, on_curl_timer, r);
        if (k < 0)
                return -1;
        (void) sd_event_source_set_description(r->timer, "registry-curl-timer");
        return 0;
}

static int on_curl_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Registry *r = userdata;
        int running;

        (void) curl_multi_socket_action(r->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        registry_drain(r);
        return 0;
}

int registry_start_transfer(Registry *r, CURL *easy) {
        return curl_multi_add_handle(r->multi, easy) == CURLM_OK ? 0 : -EIO;
}

void registry_stop_transfer(Registry *r, CURL *easy) {
        (void) curl_multi_remove_handle(r->multi, easy);
}

int registry_new(sd_event *event, const RegistryOptions *opts, Registry **ret) {
        _cleanup_(registry_freep) Registry *r = NULL;

        if (!event)
                return -EINVAL;

        r = calloc(1, sizeof *r);
        if (!r)
                return -ENOMEM;
        r->event = sd_event_ref(event);
        if (opts)
                r->opts = *opts;
        if (r->opts.max_attempts == 0)
                r->opts.max_attempts = 5;
        if (r->opts.backoff_base_usec == 0)
                r->opts.backoff_base_usec = 200 * 1000;
        if (r->opts.backoff_cap_usec == 0)
                r->opts.backoff_cap_usec = 10 * 1000 * 1000;
        if (r->opts.connect_timeout_usec == 0)
                r->opts.connect_timeout_usec = 15 * 1000 * 1000;
        if (r->opts.stall_timeout_usec == 0)
                r->opts.stall_timeout_usec = 30 * 1000 * 1000;
        if (r->opts.max_parallel == 0)
                r->opts.max_parallel = 6;

        r->mirrors = hashmap_new();
        r->tokens = hashmap_new();
        if (!r->mirrors || !r->tokens)
                return -ENOMEM;

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return -EIO;
        r->multi = curl_multi_init();
        if (!r->multi)
                return -ENOMEM;
        if (curl_multi_setopt(r->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb) != CURLM_OK ||
            curl_multi_setopt(r->multi, CURLMOPT_SOCKETDATA, r) != CURLM_OK ||
            curl_multi_setopt(r->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb) != CURLM_OK ||
            curl_multi_setopt(r->multi, CURLMOPT_TIMERDATA, r) != CURLM_OK)
                return -EIO;

        *ret = TAKE_PTR(r);
        return 0;
}

static void free_values(Hashmap *h) {
        char *v;

        if (!h)
                return;
        HASHMAP_FOREACH(v, h)
                free(v);
        hashmap_free(h);
}

Registry *registry_free(Registry *r) {
        char *t;

        if (!r)
                return NULL;
        registry_fetch_abort_all(r);
        if (r->multi)
                curl_multi_cleanup(r->multi);
        sd_event_source_disable_unref(r->timer);
        free_values(r->mirrors);
        if (r->tokens) {
                HASHMAP_FOREACH(t, r->tokens) {
                        explicit_bzero(t, strlen(t));
                        free(t);
                }
                hashmap_free(r->tokens);
        }
        strv_free(r->insecure);
        auth_file_free(r->auth);
        sd_event_unref(r->event);
        free(r);
        return NULL;
}

int url_split(const char *url, char **ret_scheme, char **ret_host) {
        _cleanup_free_ char *scheme = NULL, *host = NULL;
        const char *p;
        size_t n;

        if (!url)
                return -EINVAL;
        if ((p = startswith(url, "https://")))
                scheme = strdup("https");
        else if ((p = startswith(url, "http://")))
                scheme = strdup("http");
        else
                return -EINVAL;
        if (!scheme)
                return -ENOMEM;

        n = strcspn(p, "/?#");
        if (n == 0 || memchr(p, '@', n))   /* no userinfo in registry URLs */
                return -EINVAL;
        host = strndup(p, n);
        if (!host)
                return -ENOMEM;
        for (char *c = host; *c; c++)
                *c = (char) tolower((unsigned char) *c);

        if (ret_scheme)
                *ret_scheme = TAKE_PTR(scheme);
        if (ret_host)
                *ret_host = TAKE_PTR(host);
        return 0;
}

static bool host_is_valid(const char *h) {
        if (isempty(h) || strlen(h) > 255)
                return false;
        for (const char *p = h; *p; p++)
                if (!(isalnum((unsigned char) *p) || strchr(".-:[]", *p)))
                        return false;
        return true;
}

int registry_add_mirror(Registry *r, const char *domain, const char *url) {
        _cleanup_free_ char *u = NULL;
        char *old = NULL;
        size_t n;
        int k;

        if (!host_is_valid(domain))
                return -EINVAL;
        k = url_split(url, NULL, NULL);
        if (k < 0)
                return k;
        u = strdup(url);
        if (!u)
                return -ENOMEM;
        n = strlen(u);
        while (n > 0 && u[n - 1] == '/')
                u[--n] = 0;

        k = hashmap_replace(r->mirrors, domain, u, (void **) &old);
        if (k < 0)
                return k;
        TAKE_PTR(u);
        free(old);
        return 0;
}

int registry_add_insecure(Registry *r, const char *host) {
        if (!host_is_valid(host))
                return -EINVAL;
        if (strv_contains(r->insecure, host))
                return 0;
        return strv_extend(&r->insecure, host);
}

bool registry_host_is_insecure(Registry *r, const char *host) {
        return strv_contains(r->insecure, host);
}

int registry_load_auth_file(Registry *r, const char *path, char **ret_error) {
        AuthFile *f = NULL;
        int k;

        k = auth_file_load(path, &f, ret_error);
        if (k < 0)
                return k;
        auth_file_free(r->auth);
        r->auth = f;
        return 0;
}

int registry_endpoint(Registry *r, const char *domain, char **ret_base_url) {
        const char *m;
        char *s;

        if (!host_is_valid(domain))
                return -EINVAL;

        m = hashmap_get(r->mirrors, domain);
        if (m)
                s = strdup(m);
        else if (streq(domain, "docker.io"))
                s = strdup(DEFAULT_DOCKER_ENDPOINT);
        else if (asprintf(&s, "%s://%s", registry_host_is_insecure(r, domain) ? "http" : "https", domain) < 0)
                s = NULL;
        if (!s)
                return -ENOMEM;
        *ret_base_url = s;
        return 0;
}

static bool repository_is_valid(const char *s) {
        /* Path components of [a-z0-9] with separators, as the reference grammar. */
        if (isempty(s) || strlen(s) > 255 || s[0] == '/' || s[strlen(s) - 1] == '/')
                return false;
        for (const char *p = s; *p; p++) {
                if (!(islower((unsigned char) *p) || isdigit((unsigned char) *p) || strchr("._-/", *p)))
                        return false;
                if (*p == '/' && p[1] == '/')
                        return false;
                if ((p == s || p[-1] == '/') && *p == '.')
                        return false;   /* no "." or ".." components */
        }
        return true;
}

static bool object_is_valid(const char *s) {
        if (isempty(s) || strlen(s) > 128 + 8)
                return false;
        if (startswith(s, "sha256:"))
                return digest_is_valid(s);
        /* a tag */
        if (!(isalnum((unsigned char) s[0]) || s[0] == '_') || strlen(s) > 128)
                return false;
        for (const char *p = s; *p; p++)
                if (!(isalnum((unsigned char) *p) || strchr("._-", *p)))
                        return false;
        return true;
}

int registry_object_url(Registry *r, const char *domain, const char *repository,
                        const char *kind, const char *object, char **ret_url) {
        _cleanup_free_ char *base = NULL;
        int k;

        if (!kind || (!streq(kind, "manifests") && !streq(kind, "blobs")))
                return -EINVAL;
        if (!repository_is_valid(repository) || !object_is_valid(object))
                return -EINVAL;
        k = registry_endpoint(r, domain, &base);
        if (k < 0)
                return k;
        if (asprintf(ret_url, "%s/v2/%s/%s/%s", base, repository, kind, object) < 0)
                return -ENOMEM;
        return 0;
}
