/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The store client against a small hostile HTTP server (a thread on a loopback
 * listener): truncated, oversized, non-JSON, wrong types, huge numbers,
 * chunked garbage, error answers, a watch stream that turns to garbage. Every
 * case must end in one callback with a clear error, no crash, no leak. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include "check-run.h"
#include "store/store-internal.h"
#include "store/store.h"

typedef struct Server {
        int fd;
        int port;
        pthread_t thread;
        const char *response;           /* written verbatim after the request */
        size_t response_len;            /* 0: strlen */
        size_t repeat_body;             /* >0: then this many 'x' bytes */
        unsigned connections;
        volatile bool stop;
} Server;

static void read_request(int fd) {
        char buf[65536];
        size_t n = 0;
        ssize_t k;

        /* headers, then Content-Length bytes of body */
        while (n < sizeof buf - 1) {
                k = recv(fd, buf + n, sizeof buf - 1 - n, 0);
                if (k <= 0)
                        return;
                n += (size_t) k;
                buf[n] = 0;
                char *h = strstr(buf, "\r\n\r\n");
                if (!h)
                        continue;
                char *cl = strcasestr(buf, "Content-Length:");
                size_t want = cl ? strtoul(cl + 15, NULL, 10) : 0;
                if (n - (size_t) (h + 4 - buf) >= want)
                        return;
        }
}

static void *server_main(void *userdata) {
        Server *s = userdata;

        while (!s->stop) {
                struct pollfd p = { .fd = s->fd, .events = POLLIN };
                int c;

                if (poll(&p, 1, 100) <= 0)
                        continue;
                c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
                if (c < 0)
                        continue;
                s->connections++;
                read_request(c);
                (void) !send(c, s->response, s->response_len ?: strlen(s->response), MSG_NOSIGNAL);
                if (s->repeat_body > 0) {
                        char chunk[65536];
                        memset(chunk, 'x', sizeof chunk);
                        for (size_t left = s->repeat_body; left > 0;) {
                                ssize_t k = send(c, chunk, MIN(left, sizeof chunk), MSG_NOSIGNAL);
                                if (k <= 0)
                                        break;
                                left -= (size_t) k;
                        }
                }
                close(c);
        }
        return NULL;
}

static void server_start(Server *s, const char *response) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t l = sizeof a;

        *s = (Server) { .response = response };
        s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(s->fd, 0);
        ck_assert_int_eq(bind(s->fd, (struct sockaddr *) &a, sizeof a), 0);
        ck_assert_int_eq(listen(s->fd, 16), 0);
        ck_assert_int_eq(getsockname(s->fd, (struct sockaddr *) &a, &l), 0);
        s->port = ntohs(a.sin_port);
        ck_assert_int_eq(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_stop(Server *s) {
        s->stop = true;
        pthread_join(s->thread, NULL);
        close(s->fd);
}

typedef struct Outcome {
        bool done;
        int r;
        char *error;
        int64_t revision;
        size_t n_kvs;
} Outcome;

static void outcome_cb(Store *s, int r, const StoreResult *res, const char *error, void *userdata) {
        Outcome *o = userdata;

        ck_assert(!o->done);       /* exactly once */
        o->done = true;
        o->r = r;
        o->error = error ? strdup(error) : NULL;
        if (res) {
                o->revision = res->revision;
                o->n_kvs = res->n_kvs;
        }
        ck_assert((r < 0) == (error != NULL) || r == -EEXIST || r == -ESTALE);
}

/* Runs one get against a server answering `response`; returns the outcome. */
static Outcome run_get(const char *response, size_t len, size_t repeat, size_t response_max) {
        Server srv;
        sd_event *e = NULL;
        Store *st = NULL;
        char ep[64];
        char *eps[] = { ep, NULL };
        StoreConfig cfg = { .endpoints = eps, .timeout_usec = 2000000, .max_attempts = 2 };
        Outcome o = {};

        server_start(&srv, response);
        srv.response_len = len;
        srv.repeat_body = repeat;
        snprintf(ep, sizeof ep, "http://127.0.0.1:%d", srv.port);
        ck_assert_int_eq(sd_event_new(&e), 0);
        ck_assert_int_eq(store_new(e, &cfg, &st, NULL), 0);
        if (response_max > 0)
                store_set_response_max(st, response_max);
        ck_assert_int_eq(store_get(st, "/k", outcome_cb, &o), 0);
        ck_assert(!o.done);        /* never from inside the call */
        while (!o.done)
                ck_assert_int_ge(sd_event_run(e, 5000000), 0);
        store_free(st);
        sd_event_unref(e);
        server_stop(&srv);
        return o;
}

#define HDR200 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"

static void expect_error(const char *response, size_t repeat, size_t max, int r, const char *error) {
        Outcome o = run_get(response, 0, repeat, max);

        ck_assert_msg(o.r == r, "%s: r=%d (%s), wanted %d", response, o.r, strempty(o.error), r);
        ck_assert_msg(o.error && strstr(o.error, error), "%s: error \"%s\", wanted \"%s\"", response,
                      strempty(o.error), error);
        free(o.error);
}

static void expect_status(const char *status, const char *body, int r, const char *error) {
        _cleanup_free_ char *resp = NULL;

        ck_assert_int_ge(asprintf(&resp, "HTTP/1.1 %s\r\nContent-Length: %zu\r\n\r\n%s", status, strlen(body), body), 0);
        expect_error(resp, 0, 0, r, error);
}

static void expect_body(const char *body, int r, const char *error) {
        expect_status("200 OK", body, r, error);
}

START_TEST(test_good) {
        static const char body[] = "{\"header\":{\"revision\":\"5\"},\"kvs\":[{\"key\":\"L2s=\",\"mod_revision\":\"5\",\"value\":\"dg==\"}]}";
        char resp[512];
        Outcome o;

        snprintf(resp, sizeof resp, HDR200 "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
        o = run_get(resp, 0, 0, 0);
        ck_assert_int_eq(o.r, 0);
        ck_assert_int_eq(o.revision, 5);
        ck_assert_uint_eq(o.n_kvs, 1);
}
END_TEST

START_TEST(test_hostile) {
        expect_body("hello", -EBADMSG, "invalid response: expected a JSON object");
        expect_body("[]", -EBADMSG, "expected a JSON object");
        expect_body("{\"header\":{}}", -EBADMSG, "header.revision: missing");
        expect_body("", -EBADMSG, "invalid response: empty document");
        expect_body("{\"header\":{\"rev\":[]}", -EBADMSG, "truncated JSON");
        expect_body("{\"header\":{\"revision\":1", -EBADMSG, "truncated");
        expect_body("{\"header\":{\"revision\":\"99999999999999999999999999999\"}}", -EBADMSG, "integer out of range");
        expect_body("{\"header\":{\"revision\":99999999999999999999999999999}}", -EBADMSG, "header.revision");
        expect_body("{\"header\":{\"revision\":\"1\"},\"kvs\":[{\"key\":5}]}", -EBADMSG, "kv.key: not a string");
        expect_body("{\"header\":{\"revision\":\"1\"},\"kvs\":[{\"key\":\"L2s=\"},{\"key\":\"L2s=\"}]}", -EBADMSG,
                    "several kvs for one key");
        /* the connection closes before the promised body: retried, then a clear error */
        expect_error(HDR200 "Content-Length: 1000\r\n\r\n{\"header\":", 0, 0, -ECONNRESET, "store unreachable: http://127.0.0.1:");
        /* chunked garbage */
        expect_error(HDR200 "Transfer-Encoding: chunked\r\n\r\nZZZZ\r\nhello\r\n0\r\n\r\n", 0, 0, -ECONNRESET,
                     "store unreachable");
        /* not HTTP at all */
        expect_error("SSH-2.0-OpenSSH_9.2\r\n", 0, 0, -ECONNRESET, "store unreachable");
        /* oversized: 1 MiB of body against a 64 KiB cap, with and without a length */
        expect_error(HDR200 "Content-Length: 1048576\r\n\r\n", 1048576, 65536, -EMSGSIZE, "response too large");
        expect_error(HDR200 "\r\n", 1048576, 65536, -EMSGSIZE, "response too large");
        /* a nesting bomb within the size cap */
        {
                static char bomb[200100];
                size_t n = (size_t) snprintf(bomb, sizeof bomb, HDR200 "Content-Length: 200000\r\n\r\n{\"a\":");
                memset(bomb + n, '[', 200000 - 5);
                bomb[n + 200000 - 5] = 0;
                expect_error(bomb, 0, 0, -EBADMSG, "nesting deeper than 64 levels");
        }
        /* etcd's own error answers */
        expect_status("400 Bad Request", "{\"error\":\"etcdserver: key is not provided\",\"code\":3}", -EIO,
                      "store error: etcdserver: key is not provided");
        expect_status("500 Oops", "nope", -EIO, "store error: unexpected answer");
        expect_status("413 Too Large", "{\"error\":\"etcdserver: request is too large\",\"code\":3}", -E2BIG,
                      "request is too large");
        expect_status("400 Bad Request", "{\"error\":{\"message\":7}}", -EIO, "store error: unknown error");
}
END_TEST

START_TEST(test_unreachable_and_timeout) {
        /* a listener that never answers: the per-attempt timeout fires */
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t l = sizeof a;
        char ep[64], ep2[64];
        char *eps[] = { ep2, ep, NULL };
        sd_event *e = NULL;
        Store *st = NULL;
        StoreConfig cfg = { .endpoints = eps, .timeout_usec = 300000, .max_attempts = 2 };
        Outcome o = {};
        bool up = true;

        ck_assert_int_eq(bind(fd, (struct sockaddr *) &a, sizeof a), 0);
        ck_assert_int_eq(listen(fd, 4), 0);
        ck_assert_int_eq(getsockname(fd, (struct sockaddr *) &a, &l), 0);
        snprintf(ep, sizeof ep, "http://127.0.0.1:%d", ntohs(a.sin_port));
        snprintf(ep2, sizeof ep2, "unix:///nonexistent/etcd.sock");

        ck_assert_int_eq(sd_event_new(&e), 0);
        ck_assert_int_eq(store_new(e, &cfg, &st, NULL), 0);
        ck_assert(store_is_up(st));
        ck_assert_int_eq(store_get(st, "/k", outcome_cb, &o), 0);
        while (!o.done)
                ck_assert_int_ge(sd_event_run(e, 5000000), 0);
        /* tried the socket first, failed over to the silent listener, which timed out */
        ck_assert_int_eq(o.r, -ETIMEDOUT);
        ck_assert_msg(strstr(o.error, ep) != NULL, "%s", o.error);
        ck_assert(!store_is_up(st));
        (void) up;
        free(o.error);

        /* a queued request is cancelled with one callback when the store goes away */
        o = (Outcome) {};
        ck_assert_int_eq(store_put(st, "/k", "v", 1, outcome_cb, &o), 0);
        store_free(st);
        ck_assert(o.done);
        ck_assert_int_eq(o.r, -ECANCELED);
        free(o.error);
        sd_event_unref(e);
        close(fd);

        /* bad configuration */
        char *bad[] = { (char *) "http://h:1/path", NULL };
        char *err = NULL;
        cfg.endpoints = bad;
        ck_assert_int_eq(sd_event_new(&e), 0);
        ck_assert_int_eq(store_new(e, &cfg, &st, &err), -EINVAL);
        ck_assert(strstr(err, "invalid store endpoint"));
        free(err);
        sd_event_unref(e);
}
END_TEST

typedef struct WatchOutcome {
        unsigned events, resyncs, broken;
        char *last_error;
        sd_event *e;
} WatchOutcome;

static int w_event(StoreWatch *w, const StoreEvent *ev, void *userdata) {
        ((WatchOutcome *) userdata)->events++;
        return 0;
}

static void w_broken(StoreWatch *w, int r, const char *error, void *userdata) {
        WatchOutcome *o = userdata;

        o->broken++;
        free(o->last_error);
        o->last_error = strdup(strempty(error));
        if (o->broken >= 2)
                sd_event_exit(o->e, 0);
}

START_TEST(test_watch_garbage) {
        /* one good event, then garbage: the good event is delivered once, the stream is
         * reported broken and resumed (the server answers the same again: the event is
         * not delivered twice, its revision is already seen) */
        static const char resp[] = HDR200 "\r\n"
                "{\"result\":{\"header\":{\"revision\":\"7\"},\"created\":true}}\n"
                "{\"result\":{\"header\":{\"revision\":\"7\"},\"events\":[{\"kv\":{\"key\":\"L2s=\",\"mod_revision\":\"7\"}}]}}\n"
                "<html>garbage</html>";
        Server srv;
        char ep[64];
        char *eps[] = { ep, NULL };
        StoreConfig cfg = { .endpoints = eps };
        StoreWatchCallbacks cb = { .event = w_event, .broken = w_broken };
        WatchOutcome o = {};
        Store *st = NULL;
        StoreWatch *w = NULL;

        server_start(&srv, resp);
        snprintf(ep, sizeof ep, "http://127.0.0.1:%d", srv.port);
        ck_assert_int_eq(sd_event_new(&o.e), 0);
        ck_assert_int_eq(store_new(o.e, &cfg, &st, NULL), 0);
        ck_assert_int_eq(store_watch_new(st, "/", 5, &cb, &o, &w), 0);
        ck_assert_int_ge(sd_event_loop(o.e), 0);
        ck_assert_uint_eq(o.events, 1);
        ck_assert_uint_ge(o.broken, 2);
        ck_assert_msg(strstr(o.last_error, "invalid watch stream"), "%s", o.last_error);
        ck_assert_int_eq(store_watch_revision(w), 7);
        store_watch_free(w);
        store_free(st);
        sd_event_unref(o.e);
        free(o.last_error);
        server_stop(&srv);
}
END_TEST

int main(void) {
        Suite *s = suite_create("store-http");
        TCase *tc = tcase_create("hostile");

        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_good);
        tcase_add_test(tc, test_hostile);
        tcase_add_test(tc, test_unreachable_and_timeout);
        tcase_add_test(tc, test_watch_garbage);
        suite_add_tcase(s, tc);

        return check_run(s);
}
