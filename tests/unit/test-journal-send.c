/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* src/shared/journal-send.c: the native protocol's encoding, and a sender
 * that never blocks, against a datagram socket standing in for journald:
 * entries arrive as encoded, a full queue drops and counts, the next entry
 * that goes through is preceded by the note, a large one comes as a memfd. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check-run.h"
#include "journal-send.h"
#include "macro.h"

/* Larger than any datagram: the sender asks for a send buffer of 8 MiB,
 * which the kernel doubles at most. */
#define BIG (20 * 1024 * 1024)

#define IOV(s) ((struct iovec) { .iov_base = (char *) (s), .iov_len = sizeof(s) - 1 })

START_TEST(test_encode) {
        static const char want[] =
                "MESSAGE=hello\n"
                "TANK_POD=web\n"
                "MESSAGE\n" "\x0b\0\0\0\0\0\0\0" "two\nlines\n!" "\n"
                "EMPTY=\n"
                "BIN=a\0b\n";
        struct iovec f[] = {
                IOV("MESSAGE=hello"), IOV("TANK_POD=web"), IOV("MESSAGE=two\nlines\n!"), IOV("EMPTY="),
                IOV("BIN=a\0b"),
        };
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;

        ck_assert_int_eq(journal_entry_encode(f, ELEMENTSOF(f), &buf, &len), 0);
        ck_assert_uint_eq(len, sizeof want - 1);
        ck_assert(memcmp(buf, want, len) == 0);

        /* A field needs a key and "=". */
        ck_assert_int_eq(journal_entry_encode(&IOV("NOEQUALS"), 1, &buf, &len), -EINVAL);
        ck_assert_int_eq(journal_entry_encode(&IOV("=value"), 1, &buf, &len), -EINVAL);
}
END_TEST

static int listener(char *path, size_t size) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char dir[] = "/tmp/test-journal-send-XXXXXX";
        int fd;

        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, size, "%s/socket", dir);
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(bind(fd, (struct sockaddr *) &sa, sizeof sa), 0);
        return fd;
}

static void cleanup_listener(int fd, const char *path) {
        char *dir = strdup(path);

        close(fd);
        unlink(path);
        *strrchr(dir, '/') = 0;
        rmdir(dir);
        free(dir);
}

/* One datagram's payload, or the memfd's content; NUL-terminated. */
static char *receive(int fd, size_t *ret_len, bool *ret_memfd) {
        static char buf[256 * 1024];
        union {
                struct cmsghdr cmsghdr;
                uint8_t buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf - 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                             .msg_controllen = sizeof control };
        struct cmsghdr *c;
        ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        char *r;

        if (n < 0)
                return NULL;
        c = CMSG_FIRSTHDR(&mh);
        *ret_memfd = c && c->cmsg_type == SCM_RIGHTS;
        if (*ret_memfd) {
                int mfd;
                struct stat st;

                ck_assert_int_eq(n, 0);
                memcpy(&mfd, CMSG_DATA(c), sizeof mfd);
                ck_assert_int_eq(fstat(mfd, &st), 0);
                r = malloc(st.st_size + 1);
                ck_assert_int_eq(pread(mfd, r, st.st_size, 0), st.st_size);
                close(mfd);
                n = st.st_size;
        } else {
                r = malloc(n + 1);
                memcpy(r, buf, n);
        }
        r[n] = 0;
        *ret_len = (size_t) n;
        return r;
}

START_TEST(test_send_drop_note) {
        _cleanup_(journal_sender_freep) JournalSender *s = NULL;
        struct iovec note[] = { IOV("TANK_POD=web"), IOV("TANK_CONTAINER=app") };
        char path[128];
        int fd = listener(path, sizeof path), r = 0;
        unsigned sent = 0;
        size_t len;
        bool memfd;
        char *got;

        ck_assert_int_eq(journal_sender_new(path, &s), 0);
        ck_assert_int_eq(journal_sender_set_note(s, "lines", note, ELEMENTSOF(note)), 0);
        ck_assert_int_eq(journal_sender_send(s, (struct iovec[]) { IOV("MESSAGE=first") }, 1), 0);
        got = receive(fd, &len, &memfd);
        ck_assert_str_eq(got, "MESSAGE=first\n");
        free(got);

        /* Nobody reads: the queue fills, and then the sender drops, never
         * blocks (the test would hang). */
        while (sent < 100000) {
                r = journal_sender_send(s, (struct iovec[]) { IOV("MESSAGE=fill") }, 1);
                if (r < 0)
                        break;
                sent++;
        }
        ck_assert_int_eq(r, -EAGAIN);
        ck_assert_int_eq(journal_sender_send(s, (struct iovec[]) { IOV("MESSAGE=lost") }, 1), -EAGAIN);
        ck_assert_uint_eq(journal_sender_dropped(s), 2);

        /* journald catches up: the note first, then the entry. */
        for (unsigned i = 0; i < sent; i++) {
                got = receive(fd, &len, &memfd);
                ck_assert_str_eq(got, "MESSAGE=fill\n");
                free(got);
        }
        ck_assert_int_eq(journal_sender_send(s, (struct iovec[]) { IOV("MESSAGE=after") }, 1), 0);
        got = receive(fd, &len, &memfd);
        ck_assert_str_eq(got, "MESSAGE=2 lines dropped: the journal did not keep up\nPRIORITY=4\nTANK_DROPPED=2\n"
                              "TANK_POD=web\nTANK_CONTAINER=app\n");
        free(got);
        got = receive(fd, &len, &memfd);
        ck_assert_str_eq(got, "MESSAGE=after\n");
        free(got);
        ck_assert_uint_eq(journal_sender_dropped(s), 0);

        /* Dropped at the end: flush says so without a later entry. */
        ck_assert_int_eq(journal_sender_flush(s), 0);   /* nothing to say */
        for (sent = 0; journal_sender_send(s, (struct iovec[]) { IOV("MESSAGE=fill") }, 1) == 0; sent++)
                ;
        ck_assert_uint_eq(journal_sender_dropped(s), 1);
        ck_assert_int_eq(journal_sender_flush(s), -EAGAIN);
        ck_assert_uint_eq(journal_sender_dropped(s), 1);
        for (unsigned i = 0; i < sent; i++)
                free(receive(fd, &len, &memfd));
        ck_assert_int_eq(journal_sender_flush(s), 0);
        got = receive(fd, &len, &memfd);
        ck_assert_str_eq(got, "MESSAGE=1 lines dropped: the journal did not keep up\nPRIORITY=4\nTANK_DROPPED=1\n"
                              "TANK_POD=web\nTANK_CONTAINER=app\n");
        free(got);
        ck_assert_ptr_null(receive(fd, &len, &memfd));
        cleanup_listener(fd, path);
}
END_TEST

START_TEST(test_send_large) {
        _cleanup_(journal_sender_freep) JournalSender *s = NULL;
        _cleanup_free_ char *big = malloc(BIG + 9), *got = NULL;
        char path[128];
        int fd = listener(path, sizeof path);
        size_t len;
        bool memfd;

        ck_assert_ptr_nonnull(big);
        memcpy(big, "MESSAGE=", 8);
        memset(big + 8, 'x', BIG);
        ck_assert_int_eq(journal_sender_new(path, &s), 0);
        ck_assert_int_eq(journal_sender_send(s, &(struct iovec) { .iov_base = big, .iov_len = BIG + 8 }, 1),
                         0);
        got = receive(fd, &len, &memfd);
        ck_assert(memfd);
        ck_assert_uint_eq(len, BIG + 9);
        ck_assert(memcmp(got, big, len - 1) == 0 && got[len - 1] == '\n');
        cleanup_listener(fd, path);
}
END_TEST

START_TEST(test_no_journald) {
        _cleanup_(journal_sender_freep) JournalSender *s = NULL;

        ck_assert_int_eq(journal_sender_new("/nonexistent/journal/socket", &s), 0);
        ck_assert_int_eq(journal_sender_send(s, (struct iovec[]) { IOV("MESSAGE=x") }, 1), -ENOENT);
        ck_assert_uint_eq(journal_sender_dropped(s), 0);
}
END_TEST

int main(void) {
        Suite *s = suite_create("journal-send");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_encode);
        tcase_add_test(tc, test_send_drop_note);
        tcase_add_test(tc, test_send_large);
        tcase_add_test(tc, test_no_journald);
        tcase_set_timeout(tc, 60);
        suite_add_tcase(s, tc);
        return check_run(s);
}
