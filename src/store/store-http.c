/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/epoll.h>
#include <time.h>

#include "etcd-json.h"
#include "store-internal.h"

#define RETRY_BASE_USEC (100U * 1000U)
#define RETRY_CAP_USEC (2U * 1000U * 1000U)

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

static int io_handler(sd_event_source *src _unused_, int fd, uint32_t revents, void *userdata);
static void process_done(Store *s);

static int socket_cb(CURL *easy _unused_, curl_socket_t fd, int what, void *userp, void *socketp) {
        Store *s = userp;
        sd_event_source *src = socketp;
        uint32_t events = 0;
        int r;

        if (what == CURL_POLL_REMOVE) {
                if (src) {
                        sd_event_source_disable_unref(src);
                        curl_multi_assign(s->multi, fd, NULL);
                }
                return 0;
        }

        if (what & CURL_POLL_IN)
                events |= EPOLLIN;
        if (what & CURL_POLL_OUT)
                events |= EPOLLOUT;

        /* Always register afresh: curl may hand us a new socket under an fd number we
         * still have a source for, and sd-event skips the epoll update when the
         * events look unchanged, which would leave the new socket unwatched. */
        src = sd_event_source_disable_unref(src);
        curl_multi_assign(s->multi, fd, NULL);
        r = sd_event_add_io(s->event, &src, fd, events, io_handler, s);
        if (r >= 0) {
                (void) sd_event_source_set_description(src, "store-curl-io");
                if (curl_multi_assign(s->multi, fd, src) != CURLM_OK) {
                        sd_event_source_disable_unref(src);
                        r = -EIO;
                }
        }
        return r < 0 ? -1 : 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp);

/* curl only reports changes of its deadline; after a timeout ran, make sure the
 * (oneshot) timer reflects the deadline curl has now. */
static void rearm_timer(Store *s) {
        long ms = -1;

        if (s->multi && curl_multi_timeout(s->multi, &ms) == CURLM_OK && ms >= 0)
                (void) timer_cb(s->multi, ms, s);
}

static int timer_handler(sd_event_source *src _unused_, uint64_t usec _unused_, void *userdata) {
        Store *s = userdata;
        int running;

        (void) curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        process_done(s);
        rearm_timer(s);
        return 0;
}

static int defer_handler(sd_event_source *src, void *userdata) {
        return timer_handler(src, 0, userdata);
}

static int timer_cb(CURLM *multi _unused_, long timeout_ms, void *userp) {
        Store *s = userp;
        uint64_t usec;
        int r;

        /* A fresh source each time rather than moving one: a moved oneshot timer was
         * seen to stay silent while curl waited for it (a stalled request). */
        s->timer = sd_event_source_disable_unref(s->timer);
        if (timeout_ms < 0)
                return 0;

        /* Round up: fired even a microsecond before curl's own deadline, curl finds
         * nothing expired and, the deadline being unchanged, never asks again. */
        if (timeout_ms == 0)    /* "now": the next loop iteration, not a timer's ~1 ms */
                r = sd_event_add_defer(s->event, &s->timer, defer_handler, s);
        else {
                usec = now_usec() + (uint64_t) timeout_ms * 1000U + 999U;
                r = sd_event_add_time(s->event, &s->timer, CLOCK_MONOTONIC, usec, 1, timer_handler, s);
        }
        if (r < 0)
                return -1;
        (void) sd_event_source_set_description(s->timer, "store-curl-timer");
        return 0;
}

static int io_handler(sd_event_source *src _unused_, int fd, uint32_t revents, void *userdata) {
        Store *s = userdata;
        int action = 0, running;

        if (revents & (EPOLLIN | EPOLLHUP))
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        if (revents & EPOLLERR)
                action |= CURL_CSELECT_ERR;

        (void) curl_multi_socket_action(s->multi, fd, action, &running);
        process_done(s);
        return 0;
}

int store_http_init(Store *s) {
        s->multi = curl_multi_init();
        if (!s->multi)
                return -ENOMEM;

        if (curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, socket_cb) != CURLM_OK ||
            curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s) != CURLM_OK ||
            curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, timer_cb) != CURLM_OK ||
            curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s) != CURLM_OK)
                return -EIO;
        return 0;
}

static void request_free(StoreRequest *req) {
        Store *s = req->store;

        if (req->easy) {
                curl_multi_remove_handle(s->multi, req->easy);
                curl_easy_cleanup(req->easy);
        }
        curl_slist_free_all(req->headers);
        sd_event_source_disable_unref(req->retry_source);
        if (req->prev)
                req->prev->next = req->next;
        else if (s->requests == req)
                s->requests = req->next;
        if (req->next)
                req->next->prev = req->prev;
        free(req->response);
        free(req->path);
        free(req->body);
        free(req);
}

void store_request_cancel(StoreRequest *req) {
        if (req)
                request_free(req);
}

void store_http_done(Store *s) {
        while (s->requests) {
                StoreRequest *req = s->requests;
                StoreRequestDone done = req->on_done;
                void *ud = req->userdata;

                /* unlink first: the callback must not find it */
                request_free(req);
                if (done)
                        done(NULL, -ECANCELED, NULL, 0, "store client shut down", ud);
        }
        if (s->multi)
                curl_multi_cleanup(s->multi);
        s->multi = NULL;
        s->timer = sd_event_source_disable_unref(s->timer);
}

void store_set_up(Store *s, bool up, const char *error) {
        if (s->up == up)
                return;
        s->up = up;
        if (s->health_cb)
                s->health_cb(s, up, error, s->health_userdata);
}

static size_t write_cb(char *p, size_t size, size_t nmemb, void *userdata) {
        StoreRequest *req = userdata;
        size_t n = size * nmemb;

        if (req->stream) {
                long code = 0;

                (void) curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &code);
                if (code == 200) {
                        if (req->on_data(req, p, n, req->userdata) < 0) {
                                req->data_aborted = true;
                                return 0;
                        }
                        return n;
                }
                /* an error answer is collected like a normal one */
        }

        if (req->response_size + n > req->store->response_max) {
                req->response_overflow = true;
                return 0;
        }
        if (req->response_size + n + 1 > req->response_allocated) {
                size_t a = MAX(req->response_allocated * 2, req->response_size + n + 1);
                char *b = realloc(req->response, a);
                if (!b)
                        return 0;
                req->response = b;
                req->response_allocated = a;
        }
        memcpy(req->response + req->response_size, p, n);
        req->response_size += n;
        req->response[req->response_size] = 0;
        return n;
}

static int attempt_start(StoreRequest *req) {
        Store *s = req->store;
        const char *ep, *path;
        _cleanup_free_ char *url = NULL;
        CURL *c;

        req->endpoint = s->current;
        ep = s->endpoints[req->endpoint];
        req->response_size = 0;
        req->response_overflow = req->data_aborted = false;
        req->errbuf[0] = 0;

        c = curl_easy_init();
        if (!c)
                return -ENOMEM;
        req->easy = c;

        path = startswith(ep, "unix://");
        if (path) {
                if (curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, path) != CURLE_OK)
                        return -EIO;
                if (asprintf(&url, "http://localhost%s", req->path) < 0)
                        return -ENOMEM;
        } else if (asprintf(&url, "%s%s", ep, req->path) < 0)
                return -ENOMEM;

        if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_PRIVATE, req) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen(req->body)) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_HTTPHEADER, req->headers) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_WRITEDATA, req) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_ERRORBUFFER, req->errbuf) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long) (s->connect_timeout_usec / 1000U)) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->stream ? 0L : (long) (s->timeout_usec / 1000U)) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_TCP_KEEPIDLE, 10L) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_TCP_KEEPINTVL, 5L) != CURLE_OK)
                return -EIO;

        if (s->ca_file && curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file) != CURLE_OK)
                return -EIO;
        if (s->cert_file && curl_easy_setopt(c, CURLOPT_SSLCERT, s->cert_file) != CURLE_OK)
                return -EIO;
        if (s->key_file && curl_easy_setopt(c, CURLOPT_SSLKEY, s->key_file) != CURLE_OK)
                return -EIO;

        if (curl_multi_add_handle(s->multi, c) != CURLM_OK)
                return -EIO;
        return 0;
}

static void attempt_cleanup(StoreRequest *req) {
        if (!req->easy)
                return;
        curl_multi_remove_handle(req->store->multi, req->easy);
        curl_easy_cleanup(req->easy);
        req->easy = NULL;
}

static void finish(StoreRequest *req, int r, const char *error) {
        StoreRequestDone done = req->on_done;
        void *ud = req->userdata;
        _cleanup_free_ char *body = NULL;
        size_t size = req->response_size;

        body = TAKE_PTR(req->response);
        request_free(req);
        done(NULL, r, body ?: "", body ? size : 0, error, ud);
}

static int retry_handler(sd_event_source *src _unused_, uint64_t usec _unused_, void *userdata) {
        StoreRequest *req = userdata;
        int r;

        req->retry_source = sd_event_source_disable_unref(req->retry_source);
        r = attempt_start(req);
        if (r < 0)
                finish(req, r, "store client: could not start request");
        return 0;
}

static int schedule_retry(StoreRequest *req) {
        Store *s = req->store;
        uint64_t delay = 0;

        /* Try every endpoint once right away, then back off exponentially. */
        if (req->attempt >= s->n_endpoints) {
                unsigned k = req->attempt - (unsigned) s->n_endpoints;
                delay = RETRY_BASE_USEC << MIN(k, 8U);
                delay = MIN(delay, (uint64_t) RETRY_CAP_USEC);
        }
        return sd_event_add_time(s->event, &req->retry_source, CLOCK_MONOTONIC, now_usec() + delay,
                                 0, retry_handler, req);
}

static int curl_code_to_errno(CURLcode c) {
        switch (c) {
        case CURLE_COULDNT_CONNECT:
                return -ECONNREFUSED;
        case CURLE_COULDNT_RESOLVE_HOST:
                return -EHOSTUNREACH;
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CIPHER:
                return -EPROTO;
        case CURLE_WRITE_ERROR:
                return -EMSGSIZE;
        default:
                return -ECONNRESET;
        }
}

/* etcd says these before it proposed anything: safe to send again, even a write. */
static bool etcd_error_retry_safe(const char *body) {
        return strstr(body, "etcdserver: no leader") || strstr(body, "etcdserver: not capable");
}

static bool etcd_error_transient(const char *body) {
        return etcd_error_retry_safe(body) || strstr(body, "etcdserver: leader changed") ||
               strstr(body, "etcdserver: request timed out") || strstr(body, "etcdserver: too many requests");
}

static void request_done(StoreRequest *req, CURLcode code) {
        Store *s = req->store;
        long status = 0;
        long sent = 0;
        bool retry;
        int r;

        (void) curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);
        (void) curl_easy_getinfo(req->easy, CURLINFO_REQUEST_SIZE, &sent);
        req->attempt++;

        if (req->response_overflow) {
                attempt_cleanup(req);
                return finish(req, -EMSGSIZE, "invalid response: response too large");
        }

        if (req->data_aborted) {
                attempt_cleanup(req);
                return finish(req, -EBADMSG, "invalid watch stream");
        }

        if (code == CURLE_OK || (req->stream && status == 200)) {
                store_set_up(s, true, NULL);
                if (status != 200 && req->response && req->attempt < s->max_attempts &&
                    (req->idempotent ? etcd_error_transient(req->response) : etcd_error_retry_safe(req->response))) {
                        attempt_cleanup(req);
                        if (schedule_retry(req) >= 0)
                                return;
                }
                attempt_cleanup(req);
                return finish(req, (int) MAX(status, 1L), NULL);
        }

        _cleanup_free_ char *msg = NULL;
        const char *why;
        long os_errno = 0;

        r = curl_code_to_errno(code);
        /* "Connection refused" says more than curl's "Failed to connect to localhost
         * port 80" for a unix socket; TLS problems only have curl's text. */
        (void) curl_easy_getinfo(req->easy, CURLINFO_OS_ERRNO, &os_errno);
        if (code == CURLE_COULDNT_CONNECT && os_errno > 0) {
                why = strerror((int) os_errno);
                r = (int) -os_errno;
        } else
                why = req->errbuf[0] ? req->errbuf : curl_easy_strerror(code);
        if (asprintf(&msg, "store unreachable: %s: %s%s", s->endpoints[req->endpoint], why,
                     !req->idempotent && sent > 0 ? " (the write may have been applied)" : "") < 0)
                msg = NULL;
        attempt_cleanup(req);

        /* fail over: the next request goes to the next endpoint too */
        if (s->current == req->endpoint)
                s->current = (s->current + 1) % s->n_endpoints;

        retry = !req->stream && req->attempt < s->max_attempts && (req->idempotent || sent == 0);
        if (retry && schedule_retry(req) >= 0)
                return;

        store_set_up(s, false, msg);
        finish(req, r, msg ?: "store unreachable");
}

static void process_done(Store *s) {
        CURLMsg *m;
        int left;

        while ((m = curl_multi_info_read(s->multi, &left))) {
                StoreRequest *req = NULL;

                if (m->msg != CURLMSG_DONE)
                        continue;
                (void) curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **) &req);
                if (req)
                        request_done(req, m->data.result);
        }
}

int store_request_start(Store *s, const char *path, char *body, bool idempotent, bool stream,
                        StoreRequestDone on_done, StoreRequestData on_data, void *userdata,
                        StoreRequest **ret) {
        StoreRequest *req;
        int r;

        req = calloc(1, sizeof(StoreRequest));
        if (!req) {
                free(body);
                return -ENOMEM;
        }
        *req = (StoreRequest) {
                .store = s,
                .body = body,
                .idempotent = idempotent,
                .stream = stream,
                .on_done = on_done,
                .on_data = on_data,
                .userdata = userdata,
        };
        req->next = s->requests;
        if (s->requests)
                s->requests->prev = req;
        s->requests = req;

        req->path = strdup(path);
        if (!req->path) {
                request_free(req);
                return -ENOMEM;
        }
        req->headers = curl_slist_append(NULL, "Content-Type: application/json");
        /* Go's server answers 100-continue, but skipping the round trip is cheaper. */
        req->headers = req->headers ? curl_slist_append(req->headers, "Expect:") : NULL;
        /* watch: etcd cancels the stream if its member loses the leader, instead of
         * leaving us on a partitioned member that will never send anything */
        if (req->headers && stream)
                req->headers = curl_slist_append(req->headers, "Grpc-Metadata-hasleader: true");
        if (!req->headers) {
                request_free(req);
                return -ENOMEM;
        }

        r = attempt_start(req);
        if (r < 0) {
                request_free(req);
                return r;
        }
        if (ret)
                *ret = req;
        return 0;
}

int store_http_error(const char *body, size_t size, size_t max, char **ret_error) {
        yajl_val root = NULL;
        _cleanup_free_ char *parse_error = NULL, *m = NULL;
        int r;

        r = etcd_parse_json(body, size, max, &root, &parse_error);
        if (r >= 0) {
                r = etcd_parse_error(root, &m);
                yajl_tree_free(root);
        }
        if (r > 0) {
                if (asprintf(ret_error, "store error: %s", m) < 0)
                        return -ENOMEM;
        } else if (asprintf(ret_error, "store error: unexpected answer%s%s",
                            parse_error ? ": " : "", strempty(parse_error)) < 0)
                return -ENOMEM;
        if (m && strstr(m, "request is too large"))
                return -E2BIG;
        if (m && strstr(m, "required revision has been compacted"))
                return -ESTALE;
        return -EIO;
}

void store_set_response_max(Store *s, size_t max) {
        s->response_max = max;
}
