/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One registry request: GET an object, answering auth challenges, following
 * redirects ourselves (so that credentials never leave the registry's host),
 * retrying transient failures with backoff, and hashing the body as it streams. */

#include <ctype.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <strings.h>
#include <time.h>

#include "escape.h"
#include "log.h"
#include "registry-internal.h"
#include "registry-json.h"
#include "spec/reference.h"

#define MAX_REDIRECTS 5
#define ERROR_BODY_MAX 2048U

static void fetch_reset_response(RegistryFetch *f) {
        f->status = 0;
        f->received = 0;
        f->buf_size = 0;
        f->write_error = 0;
        f->retry_after_usec = 0;
        f->content_type = mfree(f->content_type);
        f->docker_digest = mfree(f->docker_digest);
        f->www_authenticate = mfree(f->www_authenticate);
        f->location = mfree(f->location);
        if (f->md)
                (void) EVP_DigestInit_ex(f->md, EVP_sha256(), NULL);
}

static void fetch_release_slot(RegistryFetch *f) {
        if (!f->active)
                return;
        registry_stop_transfer(f->registry, f->easy);
        f->active = false;
        f->registry->n_active--;
}

static RegistryFetch *fetch_free(RegistryFetch *f) {
        Registry *r;

        if (!f)
                return NULL;
        r = f->registry;
        fetch_release_slot(f);
        if (f->queued) {
                RegistryFetch *prev = NULL;
                for (RegistryFetch **p = &r->queue_head; *p; prev = *p, p = &(*p)->queue_next)
                        if (*p == f) {
                                *p = f->queue_next;
                                if (r->queue_tail == f)
                                        r->queue_tail = prev;
                                break;
                        }
        }
        if (f->all_prev)
                f->all_prev->all_next = f->all_next;
        else if (r->all == f)
                r->all = f->all_next;
        if (f->all_next)
                f->all_next->all_prev = f->all_prev;

        if (f->easy)
                curl_easy_cleanup(f->easy);
        curl_slist_free_all(f->headers);
        sd_event_source_disable_unref(f->retry_timer);
        EVP_MD_CTX_free(f->md);
        free(f->repository);
        free(f->accept);
        free(f->expected_digest);
        free(f->object_url);
        free(f->registry_host);
        free(f->registry_scheme);
        free(f->url);
        erase_free(f->authorization);
        free(f->token_key);
        free(f->token_url);
        erase_free(f->token_auth);
        free(f->buf);
        free(f->content_type);
        free(f->docker_digest);
        free(f->www_authenticate);
        free(f->location);
        free(f);

        /* A slot may have been freed. */
        registry_fetch_slot_free(r);
        return NULL;
}

/* Registry errors look like {"errors":[{"code":"MANIFEST_UNKNOWN","message":"..."}]}. */
static char *error_body_summary(const char *buf, size_t len) {
        _cleanup_yajl_ yajl_val root = NULL;
        yajl_val errs, e;
        const char *code, *msg;
        char *s;

        if (len == 0 || registry_json_parse(buf, len, &root, NULL) < 0)
                return NULL;
        errs = json_guard_get(root, "errors");
        if (!errs || !YAJL_IS_ARRAY(errs) || errs->u.array.len == 0)
                return NULL;
        e = errs->u.array.values[0];
        code = json_guard_string(json_guard_get(e, "code"));
        msg = json_guard_string(json_guard_get(e, "message"));
        /* Cut where a character ends: the summary reaches D-Bus and terminals. */
        code = strempty(code);
        msg = strempty(msg);
        if (asprintf(&s, ": %.*s%s%.*s", (int) utf8_cut_len(code, strnlen(code, 64)), code, *msg ? " " : "",
                     (int) utf8_cut_len(msg, strnlen(msg, 200)), msg) < 0)
                return NULL;
        return s;
}

void fetch_finish(RegistryFetch *f, int r, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        fetch_release_slot(f);
        if (r < 0) {
                va_start(ap, fmt);
                if (vasprintf(&msg, fmt, ap) < 0)
                        msg = NULL;
                va_end(ap);
                log_debug("registry: %s", strempty(msg));
                f->in_callback = true;
                f->cb(f, r, msg ?: "registry request failed", NULL, f->userdata);
        } else {
                unsigned char md[EVP_MAX_MD_SIZE];
                unsigned md_len = 0;
                char digest[72] = "sha256:";
                RegistryResponse resp = {
                        .status = f->status,
                        .content_type = TAKE_PTR(f->content_type),
                        .docker_digest = TAKE_PTR(f->docker_digest),
                        .bytes = f->received,
                };

                (void) EVP_DigestFinal_ex(f->md, md, &md_len);
                for (unsigned i = 0; i < md_len; i++)
                        sprintf(digest + 7 + 2 * i, "%02x", md[i]);
                resp.digest = strdup(digest);
                if (f->sink == REGISTRY_SINK_MEMORY) {
                        resp.body = TAKE_PTR(f->buf);
                        resp.body_size = f->buf_size;
                        if (!resp.body)
                                resp.body = strdup("");
                }
                f->in_callback = true;
                if (!resp.digest || (!resp.body && f->sink == REGISTRY_SINK_MEMORY))
                        f->cb(f, -ENOMEM, "out of memory", NULL, f->userdata);
                else
                        f->cb(f, 0, NULL, &resp, f->userdata);
                free(resp.content_type);
                free(resp.docker_digest);
                free(resp.digest);
                free(resp.body);
        }
        fetch_free(f);
}

bool url_host_is(const char *url, const char *host) {
        _cleanup_free_ char *h = NULL;
        return url_split(url, NULL, &h) >= 0 && streq(h, host);
}

static int fetch_setup(RegistryFetch *f) {
        const RegistryOptions *o = &f->registry->opts;
        struct curl_slist *l = NULL;
        _cleanup_free_ char *auth = NULL;
        const char *url;

        curl_easy_reset(f->easy);
        curl_slist_free_all(f->headers);
        f->headers = NULL;

        if (f->mode == MODE_TOKEN) {
                url = f->token_url;
                if (f->token_auth && asprintf(&auth, "Authorization: %s", f->token_auth) < 0)
                        return -ENOMEM;
        } else {
                url = f->url;
                if (f->accept) {
                        _cleanup_free_ char *a = NULL;
                        if (asprintf(&a, "Accept: %s", f->accept) < 0)
                                return -ENOMEM;
                        l = curl_slist_append(l, a);
                        if (!l)
                                return -ENOMEM;
                }
                /* Credentials belong to the registry host only: a redirect to blob
                 * storage elsewhere goes without them. */
                if (f->authorization && url_host_is(url, f->registry_host) &&
                    asprintf(&auth, "Authorization: %s", f->authorization) < 0) {
                        curl_slist_free_all(l);
                        return -ENOMEM;
                }
        }
        if (auth) {
                struct curl_slist *n = curl_slist_append(l, auth);
                explicit_bzero(auth, strlen(auth));
                if (!n) {
                        curl_slist_free_all(l);
                        return -ENOMEM;
                }
                l = n;
        }
        f->headers = l;

        fetch_reset_response(f);
        if (f->mode == MODE_OBJECT && f->sink == REGISTRY_SINK_FD && ftruncate(f->fd, 0) < 0)
                return -errno;

        if (curl_easy_setopt(f->easy, CURLOPT_URL, url) != CURLE_OK ||
            curl_easy_setopt(f->easy, CURLOPT_PRIVATE, f) != CURLE_OK ||
            curl_easy_setopt(f->easy, CURLOPT_HTTPHEADER, f->headers) != CURLE_OK ||
            curl_easy_setopt(f->easy, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
            curl_easy_setopt(f->easy, CURLOPT_UNRESTRICTED_AUTH, 0L) != CURLE_OK ||
            curl_easy_setopt(f->easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(f->easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            /* Fewer, larger writes and hash updates for multi-MB blobs. */
            curl_easy_setopt(f->easy, CURLOPT_BUFFERSIZE, 256L * 1024L) != CURLE_OK ||
            curl_easy_setopt(f->easy, CURLOPT_USERAGENT, "tank/" PACKAGE_VERSION) != CURLE_OK ||
            curl_easy_setopt(f->easy, CURLOPT_CONNECTTIMEOUT_MS, (long) (o->connect_timeout_usec / 1000)) != CURLE_OK ||
            curl_easy_setopt(f->easy, CURLOPT_LOW_SPEED_LIMIT, 1024L) != CURLE_OK ||
            curl_easy_setopt(f->easy, CURLOPT_LOW_SPEED_TIME, (long) MAX(o->stall_timeout_usec / 1000000, 1U)) != CURLE_OK ||
            curl_easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, NULL) != CURLE_OK)
                return -EIO;
        if (f->mode == MODE_OBJECT && f->head && curl_easy_setopt(f->easy, CURLOPT_NOBODY, 1L) != CURLE_OK)
                return -EIO;
        return 0;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata);
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata);

static int fetch_start_now(RegistryFetch *f) {
        int r;

        r = fetch_setup(f);
        if (r < 0)
                return r;
        if (curl_easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, on_write) != CURLE_OK ||
            curl_easy_setopt(f->easy, CURLOPT_WRITEDATA, f) != CURLE_OK ||
            curl_easy_setopt(f->easy, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
            curl_easy_setopt(f->easy, CURLOPT_HEADERDATA, f) != CURLE_OK)
                return -EIO;
        r = registry_start_transfer(f->registry, f->easy);
        if (r < 0)
                return r;
        f->active = true;
        f->registry->n_active++;
        return 0;
}

/* Start when a transfer slot is free, else queue. */
static int fetch_begin(RegistryFetch *f) {
        Registry *r = f->registry;

        if (r->n_active < r->opts.max_parallel)
                return fetch_start_now(f);

        f->queued = true;
        f->queue_next = NULL;
        if (r->queue_tail)
                r->queue_tail->queue_next = f;
        else
                r->queue_head = f;
        r->queue_tail = f;
        return 0;
}

void registry_fetch_slot_free(Registry *r) {
        while (!r->closing && r->queue_head && r->n_active < r->opts.max_parallel) {
                RegistryFetch *f = r->queue_head;
                int k;

                r->queue_head = f->queue_next;
                if (!r->queue_head)
                        r->queue_tail = NULL;
                f->queued = false;
                f->queue_next = NULL;

                k = fetch_start_now(f);
                if (k < 0)
                        fetch_finish(f, k, "failed to start transfer: %s", strerror(-k));
        }
}

void registry_fetch_abort_all(Registry *r) {
        r->closing = true;
        while (r->all)
                fetch_free(r->all);
}

static int buf_append(RegistryFetch *f, const char *p, size_t n, size_t cap) {
        if (f->buf_size + n > cap)
                return -EFBIG;
        if (f->buf_size + n + 1 > f->buf_alloc) {
                size_t a = MAX(f->buf_alloc * 2, f->buf_size + n + 1);
                char *b;

                a = MIN(a, cap + 1);
                b = realloc(f->buf, a);
                if (!b)
                        return -ENOMEM;
                f->buf = b;
                f->buf_alloc = a;
        }
        memcpy(f->buf + f->buf_size, p, n);
        f->buf_size += n;
        f->buf[f->buf_size] = 0;
        return 0;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata) {
        RegistryFetch *f = userdata;
        size_t n = size * nmemb;
        int r;

        if (f->status < 200 || f->status >= 300) {
                /* Error bodies: keep a little for the message, drop the rest. */
                if (f->buf_size < ERROR_BODY_MAX)
                        (void) buf_append(f, ptr, MIN(n, ERROR_BODY_MAX - f->buf_size), ERROR_BODY_MAX);
                return n;
        }

        if (f->mode == MODE_TOKEN) {
                r = buf_append(f, ptr, n, TOKEN_BODY_MAX);
                if (r < 0) {
                        f->write_error = r;
                        return 0;
                }
                return n;
        }

        if (f->expected_size >= 0 && f->received + n > (uint64_t) f->expected_size) {
                f->write_error = -EBADMSG;
                return 0;
        }
        if (EVP_DigestUpdate(f->md, ptr, n) != 1) {
                f->write_error = -EIO;
                return 0;
        }
        if (f->sink == REGISTRY_SINK_MEMORY) {
                r = buf_append(f, ptr, n, f->max_size);
                if (r < 0) {
                        f->write_error = r;
                        return 0;
                }
        } else {
                size_t done = 0;
                while (done < n) {
                        ssize_t k = pwrite(f->fd, ptr + done, n - done, (off_t) (f->received + done));
                        if (k < 0) {
                                if (errno == EINTR)
                                        continue;
                                f->write_error = -errno;
                                return 0;
                        }
                        done += k;
                }
        }
        f->received += n;
        if (f->progress)
                f->progress(f->received, f->userdata);
        return n;
}

static char *header_value(const char *line, size_t len, const char *name) {
        size_t nl = strlen(name);
        const char *v, *end = line + len;

        if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
                return NULL;
        v = line + nl + 1;
        while (v < end && (*v == ' ' || *v == '\t'))
                v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
        if ((size_t) (end - v) > 8192)
                return NULL;
        return strndup(v, end - v);
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata) {
        RegistryFetch *f = userdata;
        size_t n = size * nmemb;
        char *v;

        if (n > 5 && strneq(ptr, "HTTP/", 5)) {
                /* A new response (e.g. after 100 Continue): forget the old headers. */
                const char *sp = memchr(ptr, ' ', n);
                fetch_reset_response(f);
                if (sp && (size_t) (sp - ptr) + 4 <= n)
                        f->status = strtol(sp + 1, NULL, 10);
                return n;
        }

        if ((v = header_value(ptr, n, "Content-Type"))) {
                v[strcspn(v, "; \t")] = 0;
                free(f->content_type);
                f->content_type = v;
        } else if ((v = header_value(ptr, n, "Docker-Content-Digest"))) {
                free(f->docker_digest);
                f->docker_digest = v;
        } else if ((v = header_value(ptr, n, "WWW-Authenticate"))) {
                if (!f->www_authenticate)
                        f->www_authenticate = v;   /* the first challenge wins */
                else
                        free(v);
        } else if ((v = header_value(ptr, n, "Location"))) {
                free(f->location);
                f->location = v;
        } else if ((v = header_value(ptr, n, "Retry-After"))) {
                char *end = NULL;
                unsigned long s = strtoul(v, &end, 10);

                if (end && end != v && *end == 0)
                        f->retry_after_usec = (uint64_t) MIN(s, 3600UL) * 1000000U;
                else {
                        time_t t = curl_getdate(v, NULL), now = time(NULL);
                        if (t > now)
                                f->retry_after_usec = (uint64_t) MIN(t - now, 3600) * 1000000U;
                }
                free(v);
        }
        return n;
}

static int on_retry_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        RegistryFetch *f = userdata;
        int r;

        f->retry_timer = sd_event_source_disable_unref(f->retry_timer);
        r = fetch_begin(f);
        if (r < 0)
                fetch_finish(f, r, "failed to restart transfer: %s", strerror(-r));
        return 0;
}

/* Transient failure: try again from the start (redirect targets may have been
 * signed URLs that expired), after backoff or what Retry-After asks for. */
void fetch_retry(RegistryFetch *f, int err, const char *why) {
        const RegistryOptions *o = &f->registry->opts;
        uint64_t delay, now;
        int r;

        fetch_release_slot(f);
        if (f->attempt >= o->max_attempts) {
                fetch_finish(f, err, "%s (gave up after %u attempts)", why, f->attempt);
                return;
        }
        delay = o->backoff_base_usec << MIN(f->attempt - 1, 20U);
        if (f->retry_after_usec > 0)
                delay = f->retry_after_usec;
        delay = MIN(delay, o->backoff_cap_usec);
        log_debug("registry: %s; retrying in %" PRIu64 " ms (attempt %u of %u)",
                  why, delay / 1000, f->attempt + 1, o->max_attempts);

        f->attempt++;
        f->redirects = 0;
        f->mode = MODE_OBJECT;
        r = free_and_strdup(&f->url, f->object_url);
        if (r >= 0)
                r = sd_event_now(f->registry->event, CLOCK_MONOTONIC, &now);
        if (r >= 0)
                r = sd_event_add_time(f->registry->event, &f->retry_timer, CLOCK_MONOTONIC,
                                      now + delay, 0, on_retry_timer, f);
        if (r < 0)
                fetch_finish(f, r, "%s; cannot schedule retry: %s", why, strerror(-r));
}

void fetch_restart(RegistryFetch *f) {
        int r;

        fetch_release_slot(f);
        r = fetch_begin(f);
        if (r < 0)
                fetch_finish(f, r, "failed to start transfer: %s", strerror(-r));
}

static void fetch_follow_redirect(RegistryFetch *f) {
        _cleanup_free_ char *new_url = NULL, *scheme = NULL, *host = NULL, *old_scheme = NULL;
        CURLU *u;
        int r;

        if (isempty(f->location))
                return fetch_finish(f, -EPROTO, "HTTP %ld redirect without Location from %s", f->status, f->url);
        if (++f->redirects > MAX_REDIRECTS)
                return fetch_finish(f, -ELOOP, "too many redirects fetching %s", f->object_url);

        u = curl_url();
        if (!u)
                return fetch_finish(f, -ENOMEM, "out of memory");
        if (curl_url_set(u, CURLUPART_URL, f->url, 0) != CURLUE_OK ||
            curl_url_set(u, CURLUPART_URL, f->location, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_URL, &new_url, 0) != CURLUE_OK) {
                curl_url_cleanup(u);
                return fetch_finish(f, -EPROTO, "bad redirect Location from %s", f->url);
        }
        curl_url_cleanup(u);

        r = url_split(new_url, &scheme, &host);
        if (r < 0)
                return fetch_finish(f, -EPROTO, "redirect to unsupported URL from %s", f->url);
        (void) url_split(f->url, &old_scheme, NULL);
        if (streq(scheme, "http") && streq_ptr(old_scheme, "https") &&
            !registry_host_is_insecure(f->registry, host))
                return fetch_finish(f, -EPERM, "refusing redirect from https to plain http (%s)", host);

        log_debug("registry: %ld redirect to %s%s", f->status, host,
                  streq(host, f->registry_host) ? "" : " (credentials withheld)");
        free(f->url);
        f->url = TAKE_PTR(new_url);
        fetch_restart(f);
}

static bool curl_code_is_transient(CURLcode c) {
        switch (c) {
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_SSL_CONNECT_ERROR:
                return true;
        default:
                return false;
        }
}

void registry_fetch_transfer_done(RegistryFetch *f, CURLcode code) {
        char what[160];

        fetch_release_slot(f);
        (void) snprintf_utf8(what, sizeof what, "%s", f->mode == MODE_TOKEN ? "token request" : f->object_url);

        if (code != CURLE_OK) {
                if (f->write_error == -EBADMSG)
                        return fetch_finish(f, -EBADMSG, "%s: more data than the expected %" PRIi64 " bytes",
                                            what, f->expected_size);
                if (f->write_error == -EFBIG)
                        return fetch_finish(f, -EFBIG, "%s: response larger than %" PRIu64 " bytes", what,
                                            f->mode == MODE_TOKEN ? (uint64_t) TOKEN_BODY_MAX : f->max_size);
                if (f->write_error < 0)
                        return fetch_finish(f, f->write_error, "%s: cannot store data: %s", what, strerror(-f->write_error));
                if (curl_code_is_transient(code)) {
                        char why[256];
                        (void) snprintf_utf8(why, sizeof why, "%s: %s", what, curl_easy_strerror(code));
                        return fetch_retry(f, code == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -ECONNREFUSED, why);
                }
                return fetch_finish(f, -EIO, "%s: %s", what, curl_easy_strerror(code));
        }

        (void) curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &f->status);

        if (f->mode == MODE_TOKEN)
                return fetch_token_done(f);

        if (f->status >= 200 && f->status < 300) {
                unsigned char md[EVP_MAX_MD_SIZE];
                unsigned md_len = 0;
                char actual[72] = "sha256:";
                EVP_MD_CTX *copy;

                if (!f->head && f->expected_size >= 0 && f->received != (uint64_t) f->expected_size)
                        return fetch_finish(f, -EBADMSG, "%s: got %" PRIu64 " bytes, expected %" PRIi64,
                                            what, f->received, f->expected_size);

                copy = EVP_MD_CTX_new();
                if (!copy || EVP_MD_CTX_copy_ex(copy, f->md) != 1 || EVP_DigestFinal_ex(copy, md, &md_len) != 1) {
                        EVP_MD_CTX_free(copy);
                        return fetch_finish(f, -ENOMEM, "cannot hash");
                }
                EVP_MD_CTX_free(copy);
                for (unsigned i = 0; i < md_len; i++)
                        sprintf(actual + 7 + 2 * i, "%02x", md[i]);

                if (f->expected_digest && !streq(actual, f->expected_digest))
                        return fetch_finish(f, -EBADMSG, "%s: digest mismatch: content is %s", what, actual);
                if (!f->head && f->docker_digest && digest_is_valid(f->docker_digest) &&
                    !streq(actual, f->docker_digest))
                        return fetch_finish(f, -EBADMSG, "%s: content (%s) does not match Docker-Content-Digest %s",
                                            what, actual, f->docker_digest);
                return fetch_finish(f, 0, NULL);
        }

        switch (f->status) {
        case 301: case 302: case 303: case 307: case 308:
                return fetch_follow_redirect(f);
        case 401:
                return fetch_handle_challenge(f);
        }

        _cleanup_free_ char *detail = error_body_summary(f->buf, f->buf_size);
        if (f->status == 429 || f->status >= 500) {
                char why[512];
                (void) snprintf_utf8(why, sizeof why, "%s: HTTP %ld%s", what, f->status, strempty(detail));
                return fetch_retry(f, f->status == 429 ? -EBUSY : -EIO, why);
        }
        if (f->status == 404)
                return fetch_finish(f, -ENOENT, "%s: not found (HTTP 404)%s", what, strempty(detail));
        if (f->status == 403)
                return fetch_finish(f, -EACCES, "%s: access denied (HTTP 403)%s", what, strempty(detail));
        return fetch_finish(f, -EPROTO, "%s: unexpected HTTP status %ld%s", what, f->status, strempty(detail));
}

int registry_fetch(Registry *r, const RegistryRequest *req, registry_fetch_handler_t cb,
                   void *userdata, RegistryFetch **ret) {
        _cleanup_free_ char *base = NULL, *key = NULL, *url = NULL;
        RegistryFetch *f;
        const char *cached;
        int k;

        if (!r || !req || !cb || !req->domain || !req->repository || !req->kind || !req->object)
                return -EINVAL;
        if (req->expected_digest && !digest_is_valid(req->expected_digest))
                return -EINVAL;
        if (req->sink == REGISTRY_SINK_MEMORY && req->max_size == 0)
                return -EINVAL;
        if (req->sink == REGISTRY_SINK_FD && req->fd < 0)
                return -EBADF;

        k = registry_object_url(r, req->domain, req->repository, req->kind, req->object, &url);
        if (k < 0)
                return k;
        k = registry_endpoint(r, req->domain, &base);
        if (k < 0)
                return k;

        f = calloc(1, sizeof *f);
        if (!f)
                return -ENOMEM;
        f->registry = r;
        f->all_next = r->all;
        if (r->all)
                r->all->all_prev = f;
        r->all = f;
        f->fd = req->fd;
        f->sink = req->sink;
        f->head = req->head;
        f->progress = req->progress;
        f->expected_size = req->expected_size;
        f->max_size = req->max_size;
        f->attempt = 1;
        f->cb = cb;
        f->userdata = userdata;

        f->easy = curl_easy_init();
        f->md = EVP_MD_CTX_new();
        f->repository = strdup(req->repository);
        f->accept = req->accept ? strdup(req->accept) : NULL;
        f->expected_digest = req->expected_digest ? strdup(req->expected_digest) : NULL;
        if (!f->easy || !f->md || !f->repository || (req->accept && !f->accept) ||
            (req->expected_digest && !f->expected_digest) ||
            !(f->object_url = strdup(url)) ||
            !(f->url = strdup(f->object_url))) {
                fetch_free(f);
                return -ENOMEM;
        }
        k = url_split(base, &f->registry_scheme, &f->registry_host);
        if (k < 0) {
                fetch_free(f);
                return k;
        }

        /* Reuse a token (or Basic credentials) earned by an earlier request. */
        if (asprintf(&key, "%s\nrepository:%s:pull", f->registry_host, req->repository) < 0)
                key = NULL;
        cached = key ? hashmap_get(r->tokens, key) : NULL;
        if (!cached) {
                free(key);
                key = token_cache_key(f->registry_host, NULL);
                cached = key ? hashmap_get(r->tokens, key) : NULL;
        }
        if (cached)
                f->authorization = strdup(cached);

        EVP_DigestInit_ex(f->md, EVP_sha256(), NULL);
        k = fetch_begin(f);
        if (k < 0) {
                fetch_free(f);
                return k;
        }
        if (ret)
                *ret = f;
        return 0;
}

void registry_fetch_cancel(RegistryFetch *f) {
        if (!f || f->in_callback)
                return;
        fetch_free(f);
}
