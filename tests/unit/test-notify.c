/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check-run.h"
#include "reconcile/notify.h"

#define P(s) notify_parse(s, sizeof(s) - 1, &m)

START_TEST(test_parse_basic) {
        NotifyMessage m;

        ck_assert_int_eq(P("READY=1"), 0);
        ck_assert(m.ready && !m.watchdog && !m.has_status);
        ck_assert_int_eq(P("READY=1\nSTATUS=Serving 3 clients\nWATCHDOG=1\n"), 0);
        ck_assert(m.ready && m.watchdog && m.has_status);
        ck_assert_str_eq(m.status, "Serving 3 clients");
        /* The last STATUS in a datagram wins; an empty one clears the text. */
        ck_assert_int_eq(P("STATUS=one\nSTATUS=two"), 0);
        ck_assert_str_eq(m.status, "two");
        ck_assert_int_eq(P("STATUS="), 0);
        ck_assert(m.has_status);
        ck_assert_str_eq(m.status, "");
}
END_TEST

START_TEST(test_parse_ignored) {
        NotifyMessage m;

        ck_assert_int_eq(notify_parse("", 0, &m), 0);
        ck_assert(!m.ready && !m.watchdog && !m.has_status);
        ck_assert_int_eq(P("READY=0\nREADY=1 \nREADY=\nready=1\nWATCHDOG=trigger\nxREADY=1"), 0);
        ck_assert(!m.ready && !m.watchdog && !m.has_status);
        ck_assert_int_eq(P("MAINPID=1\nRELOADING=1\nSTOPPING=1\nERRNO=5\nEXTEND_TIMEOUT_USEC=9\n"
                           "WATCHDOG_USEC=1\nFDSTORE=1\ngarbage without equals\n\n\n"), 0);
        ck_assert(!m.ready && !m.watchdog && !m.has_status);
        /* Garbage around a good line does not spoil it. */
        ck_assert_int_eq(P("\x01\x02junk\nREADY=1\n\xff\xfe"), 0);
        ck_assert(m.ready);
}
END_TEST

START_TEST(test_parse_nul) {
        NotifyMessage m = { .ready = true };

        /* Dropped whole, as systemd does, and *ret untouched. */
        ck_assert_int_eq(P("READY=1\0STATUS=x"), -EBADMSG);
        ck_assert_int_eq(P("STATUS=a\0b"), -EBADMSG);
        ck_assert(m.ready && !m.has_status);
}
END_TEST

START_TEST(test_parse_status_cap) {
        char buf[1024];
        NotifyMessage m;

        memcpy(buf, "STATUS=", 7);
        memset(buf + 7, 'x', sizeof buf - 7);
        ck_assert_int_eq(notify_parse(buf, sizeof buf, &m), 0);
        ck_assert_uint_eq(strlen(m.status), NOTIFY_STATUS_MAX);

        /* A cut through a UTF-8 character backs off to its start. */
        memset(buf + 7, 'x', NOTIFY_STATUS_MAX - 1);
        memcpy(buf + 7 + NOTIFY_STATUS_MAX - 1, "\xc3\xa9tail", 6);
        ck_assert_int_eq(notify_parse(buf, 7 + NOTIFY_STATUS_MAX - 1 + 6, &m), 0);
        ck_assert_uint_eq(strlen(m.status), NOTIFY_STATUS_MAX - 1);

        /* Control characters are kept; tankctl escapes them. */
        ck_assert_int_eq(P("STATUS=a\tb\x1b[31m"), 0);
        ck_assert_str_eq(m.status, "a\tb\x1b[31m");
}
END_TEST

START_TEST(test_merge) {
        NotifyMessage a = {}, b = {};

        ck_assert_int_eq(notify_parse("STATUS=x\nREADY=1", 16, &b), 0);
        notify_message_merge(&a, &b);
        ck_assert_int_eq(notify_parse("WATCHDOG=1", 10, &b), 0);
        notify_message_merge(&a, &b);
        ck_assert(a.ready && a.watchdog && a.has_status);
        ck_assert_str_eq(a.status, "x");
}
END_TEST

/* ---- the listener on a real socket ---- */

typedef struct Seen {
        unsigned ready, watchdog, status;
        char text[NOTIFY_STATUS_MAX + 1];
} Seen;

static void on_msg(NotifyListener *l, NotifyMessageType type, const char *text, void *userdata) {
        Seen *s = userdata;

        ck_assert_ptr_nonnull(l);
        switch (type) {
        case NOTIFY_MSG_READY:
                ck_assert_ptr_null(text);
                s->ready++;
                break;
        case NOTIFY_MSG_WATCHDOG:
                s->watchdog++;
                break;
        case NOTIFY_MSG_STATUS:
                s->status++;
                snprintf(s->text, sizeof s->text, "%s", text);
                break;
        default:
                ck_abort();
        }
}

static unsigned count_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        unsigned n = 0;

        ck_assert_ptr_nonnull(d);
        while (readdir(d))
                n++;
        closedir(d);
        return n;
}

static bool send_to_flags(const char *dir, const void *buf, size_t len, int pass_fd, int flags) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } control = {};
        struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };
        struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof sa, .msg_iov = &iov, .msg_iovlen = 1 };
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        ck_assert_int_ge(fd, 0);
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s/" NOTIFY_SOCKET_NAME, dir);
        if (pass_fd >= 0) {
                struct cmsghdr *cm;
                mh.msg_control = &control;
                mh.msg_controllen = sizeof control;
                cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
        }
        ssize_t n = sendmsg(fd, &mh, flags);
        if (n < 0)
                ck_assert_int_eq(errno, EAGAIN);
        else
                ck_assert_int_eq(n, (ssize_t) len);
        close(fd);
        return n >= 0;
}

static void send_to(const char *dir, const void *buf, size_t len, int pass_fd) {
        ck_assert(send_to_flags(dir, buf, len, pass_fd, 0));
}

static void drain(sd_event *e) {
        while (sd_event_run(e, 0) > 0)
                ;
}

START_TEST(test_listener) {
        char dir[] = "/tmp/test-notify.XXXXXX", path[PATH_MAX];
        static char big[NOTIFY_BUFFER_MAX + 100];
        NotifyListener *l = NULL, *l2 = NULL;
        sd_event *e = NULL;
        Seen seen = {};
        struct stat st, st2;
        unsigned fds;
        int devnull;

        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/" NOTIFY_SOCKET_NAME, dir);
        ck_assert_int_ge(sd_event_new(&e), 0);
        ck_assert_int_eq(notify_listener_new(e, dir, getuid(), getgid(), on_msg, &seen, &l), 0);
        ck_assert_int_eq(lstat(path, &st), 0);
        ck_assert(S_ISSOCK(st.st_mode));
        ck_assert_uint_eq(st.st_mode & 0777, 0666);

        send_to(dir, "STATUS=starting\nREADY=1", 23, -1);
        drain(e);
        ck_assert_uint_eq(seen.ready, 1);
        ck_assert_uint_eq(seen.status, 1);
        ck_assert_str_eq(seen.text, "starting");

        /* fds that come along are closed, never kept. */
        devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        ck_assert_int_ge(devnull, 0);
        fds = count_fds();
        send_to(dir, "WATCHDOG=1", 10, devnull);
        drain(e);
        ck_assert_uint_eq(seen.watchdog, 1);
        ck_assert_uint_eq(count_fds(), fds);
        close(devnull);

        /* Too long: dropped whole (the READY=1 at its start does not count);
         * a NUL inside: dropped. */
        memcpy(big, "READY=1\n", 8);
        memset(big + 8, 'x', sizeof big - 8);
        send_to(dir, big, sizeof big, -1);
        send_to(dir, "READY=1\0", 8, -1);
        drain(e);
        ck_assert_uint_eq(seen.ready, 1);

        /* A flood is coalesced: one call per kind per wakeup, the last status.
         * The queue (net.unix.max_dgram_qlen, 10 by default) makes the sender
         * wait, never tankd: send until it would. */
        {
                unsigned i;
                char last[32] = "";

                for (i = 0; i < 4 * NOTIFY_BATCH_MAX; i++) {
                        char s[32];
                        int n = snprintf(s, sizeof s, "STATUS=%u\nWATCHDOG=1", i);
                        if (!send_to_flags(dir, s, (size_t) n, -1, MSG_DONTWAIT))
                                break;
                        snprintf(last, sizeof last, "%u", i);
                }
                ck_assert_uint_gt(i, 1);
                memset(&seen, 0, sizeof seen);
                drain(e);
                ck_assert_uint_eq(seen.watchdog, seen.status);
                ck_assert_uint_le(seen.status, (i + NOTIFY_BATCH_MAX - 1) / NOTIFY_BATCH_MAX);
                ck_assert_str_eq(seen.text, last);
        }

        /* A new listener (tankd restarted) takes over the path; freeing the old
         * one then leaves the new socket alone. */
        ck_assert_int_eq(notify_listener_new(e, dir, getuid(), getgid(), on_msg, &seen, &l2), 0);
        ck_assert_int_eq(lstat(path, &st2), 0);
        ck_assert_uint_ne(st.st_ino, st2.st_ino);
        l = notify_listener_free(l);
        ck_assert_int_eq(lstat(path, &st), 0);
        ck_assert_uint_eq(st.st_ino, st2.st_ino);
        memset(&seen, 0, sizeof seen);
        send_to(dir, "READY=1", 7, -1);
        drain(e);
        ck_assert_uint_eq(seen.ready, 1);

        l2 = notify_listener_free(l2);
        ck_assert_int_eq(lstat(path, &st), -1);
        ck_assert_ptr_null(notify_listener_free(NULL));

        /* Not a directory, or a symlink to one: refused. */
        ck_assert_int_eq(symlink(dir, path), 0);
        {
                int r = notify_listener_new(e, path, 0, 0, on_msg, &seen, &l);
                ck_assert(r == -ELOOP || r == -ENOTDIR);
        }
        ck_assert_int_eq(unlink(path), 0);
        ck_assert_int_eq(rmdir(dir), 0);
        sd_event_unref(e);
}
END_TEST

int main(void) {
        Suite *s = suite_create("notify");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_parse_basic);
        tcase_add_test(tc, test_parse_ignored);
        tcase_add_test(tc, test_parse_nul);
        tcase_add_test(tc, test_parse_status_cap);
        tcase_add_test(tc, test_merge);
        tcase_add_test(tc, test_listener);
        suite_add_tcase(s, tc);
        return check_run(s);
}
