/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "reconcile/probe-internal.h"
#include "strv.h"
#include "thread-job.h"
#include "time-util.h"

typedef struct ProbeNet {
        ProbeRun *run;
        char *netns_path;               /* NULL: ours */
        uint16_t port;
        uint64_t timeout_usec;
        char *url;                      /* http only */
        char **headers;
        int cancel_fd;                  /* eventfd: written on cancel, polled by the worker */
        ThreadJob *job;
        bool curl_inited;
} ProbeNet;

/* The worker's view of an http transfer. */
typedef struct HttpBody {
        ProbeResult *res;
        size_t total;
        bool capped;
        bool oom;
} HttpBody;

static void probe_net_stop(void *kind) {
        ProbeNet *n = kind;

        if (!n)
                return;
        /* The worker polls the eventfd beside its socket, so the join is short. */
        if (n->cancel_fd >= 0)
                (void) eventfd_write(n->cancel_fd, 1);
        thread_job_free(n->job);
        safe_close(n->cancel_fd);
        if (n->curl_inited)
                curl_global_cleanup();
        free(n->netns_path);
        free(n->url);
        strv_free(n->headers);
        free(n);
}

/* strerror() and curl capitalize; reasons are lowercase like every message
 * (but "OpenSSL" stays). */
static void lowercase_word(char *s) {
        if (isupper((unsigned char) s[0]) && islower((unsigned char) s[1]))
                s[0] = (char) tolower((unsigned char) s[0]);
}

static void reason_errno(ProbeResult *res, const char *what, int err) {
        probe_result_reason(res, "%s%s", what, strerror(err));
        lowercase_word(res->reason + strlen(what));
}

/* Network namespaces are per thread: this one moves, tankd's main thread does
 * not, and the thread ends with the job (thread-job.h), so it is never reused
 * in the pod's namespace. */
static int enter_netns(ProbeNet *n, ProbeResult *res) {
        _cleanup_close_ int fd = -EBADF;

        if (!n->netns_path)
                return 0;
        fd = open(n->netns_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
                int err = errno;
                reason_errno(res, "cannot enter the pod's network namespace: ", err);
                return -err;
        }
        return 0;
}

static int remaining_ms(uint64_t deadline) {
        uint64_t now = now_monotonic_usec();

        if (now >= deadline)
                return 0;
        return (int) MIN((deadline - now + 999U) / 1000U, (uint64_t) INT32_MAX);
}

/* 0 once connected; -ETIMEDOUT, -ECANCELED (the cancel eventfd) or the connect's error. */
static int tcp_connect(ProbeNet *n) {
        uint64_t deadline = now_monotonic_usec() + n->timeout_usec;
        struct sockaddr_in sa = {
                .sin_family = AF_INET,
                .sin_port = htons(n->port),
                .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
        };
        _cleanup_close_ int fd = -EBADF;
        socklen_t len = sizeof(int);
        int err = 0;

        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) >= 0)
                return 0;
        if (errno != EINPROGRESS)
                return -errno;
        for (;;) {
                struct pollfd p[2] = {
                        { .fd = fd, .events = POLLOUT },
                        { .fd = n->cancel_fd, .events = POLLIN },
                };
                int k = poll(p, 2, remaining_ms(deadline));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (p[1].revents)
                        return -ECANCELED;
                if (k == 0)
                        return -ETIMEDOUT;
                if (p[0].revents)
                        break;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                return -errno;
        return -err;
}

static void tcp_work(void *userdata) {
        ProbeNet *n = userdata;
        ProbeResult *res = &n->run->result;
        int r;

        if (enter_netns(n, res) < 0)
                return;
        r = tcp_connect(n);
        if (r == -ETIMEDOUT)
                probe_result_timeout(res, n->timeout_usec);
        else if (r == -ECANCELED)
                probe_result_reason(res, "cancelled");
        else if (r < 0)
                reason_errno(res, "", -r);
        else {
                res->success = true;
                probe_result_reason(res, "connected");
        }
}

static size_t http_write(char *data, size_t size, size_t nmemb, void *userdata) {
        HttpBody *b = userdata;
        size_t n = size * nmemb;

        if (probe_result_append(b->res, data, n) < 0) {
                b->oom = true;
                return 0;
        }
        b->total += n;
        if (b->total > PROBE_HTTP_READ_MAX) {
                /* Endless or huge: the status is in, the rest is not ours to read. */
                b->capped = true;
                return 0;
        }
        return n;
}

static int http_setup(ProbeNet *n, CURL *c, HttpBody *body, struct curl_slist **headers, char *errbuf) {
        STRV_FOREACH(h, n->headers) {
                struct curl_slist *l = curl_slist_append(*headers, *h);
                if (!l)
                        return -ENOMEM;
                *headers = l;
        }
        if (curl_easy_setopt(c, CURLOPT_URL, n->url) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_HTTPHEADER, *headers) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_write) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_WRITEDATA, body) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
            /* The environment's proxy variables must not send probes elsewhere. */
            curl_easy_setopt(c, CURLOPT_PROXY, "") != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_NOPROXY, "*") != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_USERAGENT, "tank-probe") != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long) MAX(n->timeout_usec / 1000U, 1U)) != CURLE_OK)
                return -EIO;
        return 0;
}

static void http_judge(ProbeNet *n, CURL *c, CURLcode code, const HttpBody *body, const char *errbuf) {
        ProbeResult *res = &n->run->result;
        long status = 0, os_errno = 0;

        if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && body->capped)) {
                (void) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
                res->success = status >= 200 && status <= 399;
                probe_result_reason(res, "http %ld", status);
        } else if (code == CURLE_OPERATION_TIMEDOUT)
                probe_result_timeout(res, n->timeout_usec);
        else if (body->oom)
                probe_result_reason(res, "out of memory");
        else if (code == CURLE_COULDNT_CONNECT && curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK &&
                 os_errno > 0)
                reason_errno(res, "", (int) os_errno);
        else {
                probe_result_reason(res, "%s", errbuf[0] ? errbuf : curl_easy_strerror(code));
                lowercase_word(res->reason);
        }
}

static void http_work(void *userdata) {
        ProbeNet *n = userdata;
        ProbeResult *res = &n->run->result;
        char errbuf[CURL_ERROR_SIZE] = "";
        HttpBody body = { .res = res };
        struct curl_slist *headers = NULL;
        CURLcode code = CURLE_OK;
        CURLM *multi = NULL;
        CURL *c = NULL;
        bool added = false;
        int running = 1;

        if (enter_netns(n, res) < 0)
                return;
        c = curl_easy_init();
        multi = curl_multi_init();
        if (!c || !multi || http_setup(n, c, &body, &headers, errbuf) < 0 ||
            curl_multi_add_handle(multi, c) != CURLM_OK) {
                probe_result_reason(res, "cannot set up the request");
                goto finish;
        }
        added = true;
        /* The multi interface only for its poll: the cancel eventfd beside curl's sockets. */
        while (running > 0) {
                struct curl_waitfd extra = { .fd = n->cancel_fd, .events = CURL_WAIT_POLLIN };
                if (curl_multi_perform(multi, &running) != CURLM_OK) {
                        probe_result_reason(res, "cannot run the request");
                        goto finish;
                }
                if (running == 0)
                        break;
                if (curl_multi_poll(multi, &extra, 1, 1000, NULL) != CURLM_OK) {
                        probe_result_reason(res, "cannot run the request");
                        goto finish;
                }
                if (extra.revents) {
                        probe_result_reason(res, "cancelled");
                        goto finish;
                }
        }
        for (CURLMsg *m; (m = curl_multi_info_read(multi, &(int) { 0 }));)
                if (m->msg == CURLMSG_DONE)
                        code = m->data.result;
        http_judge(n, c, code, &body, errbuf);

finish:
        if (added)
                (void) curl_multi_remove_handle(multi, c);
        curl_multi_cleanup(multi);
        curl_easy_cleanup(c);
        curl_slist_free_all(headers);
}

static void net_done(void *userdata) {
        ProbeNet *n = userdata;

        probe_run_finish(n->run);
}

static int probe_net_start(sd_event *e, const char *netns_path, uint16_t port, uint64_t timeout_usec,
                           probe_run_done_t cb, void *userdata, ProbeNet **ret_net, ProbeRun **ret) {
        _cleanup_(probe_run_freep) ProbeRun *run = NULL;
        ProbeNet *n;
        int r;

        if (port == 0 || timeout_usec == 0)
                return -EINVAL;
        r = probe_run_new(e, cb, userdata, &run);
        if (r < 0)
                return r;
        n = calloc(1, sizeof(ProbeNet));
        if (!n)
                return -ENOMEM;
        n->run = run;
        n->cancel_fd = -EBADF;
        run->kind = n;
        run->stop = probe_net_stop;
        n->port = port;
        n->timeout_usec = timeout_usec;
        if (netns_path && !(n->netns_path = strdup(netns_path)))
                return -ENOMEM;
        n->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (n->cancel_fd < 0)
                return -errno;
        *ret_net = n;
        *ret = TAKE_PTR(run);
        return 0;
}

int probe_run_tcp(sd_event *e, const char *netns_path, uint16_t port, uint64_t timeout_usec, probe_run_done_t cb,
                  void *userdata, ProbeRun **ret) {
        _cleanup_(probe_run_freep) ProbeRun *run = NULL;
        ProbeNet *n;
        int r;

        if (!ret)
                return -EINVAL;
        r = probe_net_start(e, netns_path, port, timeout_usec, cb, userdata, &n, &run);
        if (r < 0)
                return r;
        r = thread_job_start(e, tcp_work, net_done, n, &n->job);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(run);
        return 0;
}

/* The spec's validator has the last word on these; this only keeps a URL and
 * header lines from being smuggled into something else. */
static bool host_is_valid(const char *h) {
        if (isempty(h) || strlen(h) > 253)
                return false;
        for (const char *p = h; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr(".-:", *p))
                        return false;
        return true;
}

static bool text_is_clean(const char *s, bool allow_space) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 || *p == 0x7f || (!allow_space && *p == ' '))
                        return false;
        return true;
}

int probe_run_http(sd_event *e, const char *netns_path, const char *scheme, const char *host, uint16_t port,
                   const char *path, char **headers, uint64_t timeout_usec, probe_run_done_t cb, void *userdata,
                   ProbeRun **ret) {
        _cleanup_(probe_run_freep) ProbeRun *run = NULL;
        ProbeNet *n;
        int r;

        scheme = scheme ?: "http";
        host = host ?: "127.0.0.1";
        path = path ?: "/";
        if (!ret || !(streq(scheme, "http") || streq(scheme, "https")) || !host_is_valid(host) || path[0] != '/' ||
            strlen(path) > 4096 || !text_is_clean(path, false))
                return -EINVAL;
        STRV_FOREACH(h, headers) {
                const char *colon = strchr(*h, ':');
                if (!colon || colon == *h || strlen(*h) > 8192 || !text_is_clean(*h, true))
                        return -EINVAL;
        }

        r = probe_net_start(e, netns_path, port, timeout_usec, cb, userdata, &n, &run);
        if (r < 0)
                return r;
        if (asprintf(&n->url, "%s://%s%s%s:%u%s", scheme, strchr(host, ':') ? "[" : "", host,
                     strchr(host, ':') ? "]" : "", (unsigned) port, path) < 0) {
                n->url = NULL;
                return -ENOMEM;
        }
        n->headers = strv_copy(headers);
        if (headers && !n->headers)
                return -ENOMEM;
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return -EIO;
        n->curl_inited = true;
        r = thread_job_start(e, http_work, net_done, n, &n->job);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(run);
        return 0;
}
