/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check-run.h"
#include "escape.h"
#include "fs-util.h"
#include "hashmap.h"
#include "macro.h"
#include "rm-rf-async.h"
#include "sealed-exec.h"
#include "socket-util.h"
#include "strv.h"
#include "unit-name.h"

START_TEST(test_unit_names) {
        _cleanup_free_ char *s = NULL, *c = NULL, *e = NULL;

        ck_assert_int_eq(pod_slice_name("web", &s), 0);
        ck_assert_str_eq(s, "tank-pod-web.slice");
        ck_assert_int_eq(container_scope_name("my-app", "app", &c), 0);
        ck_assert_str_eq(c, "tank-my\\x2dapp-app.scope");
        e = unit_name_escape(".a-b/c");
        ck_assert_str_eq(e, "\\x2ea\\x2db-c");
}
END_TEST

START_TEST(test_strv_env) {
        _cleanup_strv_free_ char **l = NULL;

        ck_assert_int_eq(strv_env_set(&l, "A=1"), 0);
        ck_assert_int_eq(strv_env_set(&l, "B=2"), 0);
        ck_assert_int_eq(strv_env_set(&l, "A=3"), 0);
        ck_assert_int_eq(strv_env_set(&l, "=x"), -EINVAL);
        ck_assert_int_eq(strv_length(l), 2);
        ck_assert_str_eq(l[0], "A=3");
        ck_assert_str_eq(strv_env_get(l, "B"), "2");
        ck_assert_ptr_null(strv_env_get(l, "AB"));
        _cleanup_free_ char *j = strv_join(l, ",");
        ck_assert_str_eq(j, "A=3,B=2");
        ck_assert(strv_equal(l, l));
        ck_assert(!strv_equal(l, NULL));
}
END_TEST

START_TEST(test_hashmap) {
        _cleanup_(hashmap_freep) Hashmap *h = hashmap_new();
        char keys[1000][8];
        size_t n = 0;
        void *v;

        for (int i = 0; i < 1000; i++) {
                snprintf(keys[i], sizeof keys[i], "k%d", i);
                ck_assert_int_eq(hashmap_put(h, keys[i], keys[i]), 1);
        }
        ck_assert_int_eq(hashmap_put(h, "k1", NULL), -EEXIST);
        ck_assert_uint_eq(hashmap_size(h), 1000);
        ck_assert_ptr_eq(hashmap_get(h, "k999"), keys[999]);
        HASHMAP_FOREACH(v, h) {
                n++;
                if (n % 2)
                        ck_assert_ptr_nonnull(hashmap_remove(h, v));
        }
        ck_assert_uint_eq(n, 1000);
        ck_assert_uint_eq(hashmap_size(h), 500);
        ck_assert_ptr_null(hashmap_get(h, "nope"));
}
END_TEST

static int copy_file(const char *from, const char *to) {
        _cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC), out = -EBADF;
        _cleanup_free_ char *tmp = NULL;
        char buf[65536];
        ssize_t n;

        if (in < 0 || asprintf(&tmp, "%s.tmp", to) < 0)
                return -1;
        out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
        if (out < 0)
                return -1;
        while ((n = read(in, buf, sizeof buf)) > 0)
                if (write(out, buf, (size_t) n) != n)
                        return -1;
        return n < 0 ? -1 : rename(tmp, to);
}

static int spawn_and_wait(SealedExe *e, char **argv, const int *fds, size_t n_fds) {
        pid_t pid;
        int status;

        ck_assert_int_eq(sealed_exe_spawn(e, argv, fds, n_fds, &pid), 0);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status));
        return WEXITSTATUS(status);
}

START_TEST(test_sealed_copy) {
        _cleanup_close_ int fd = open("/bin/true", O_RDONLY | O_CLOEXEC), mfd = -EBADF;
        char a[4096], b[4096];

        ck_assert_int_ge(fd, 0);
        ck_assert(!fd_is_sealed(fd));
        ck_assert_int_eq(sealed_copy(fd, "t", &mfd), 0);
        ck_assert(fd_is_sealed(mfd));
        ck_assert_int_eq(pread(fd, a, sizeof a, 0), (ssize_t) sizeof a);
        ck_assert_int_eq(pread(mfd, b, sizeof b, 0), (ssize_t) sizeof b);
        ck_assert(memcmp(a, b, sizeof a) == 0);
        /* Sealed: neither written nor grown, even by its owner. */
        ck_assert_int_eq(pwrite(mfd, "x", 1, 0), -1);
        ck_assert_int_eq(errno, EPERM);
        ck_assert_int_eq(ftruncate(mfd, 1), -1);
}
END_TEST

START_TEST(test_sealed_spawn) {
        char dir[] = "/tmp/test-sealed-XXXXXX", path[64];
        SealedExe e;
        int p[2], leak;
        char buf[64] = {};
        char script[128];
        char *sh[] = { (char *) "sh", (char *) "-c", script, NULL };
        char *noargs[] = { (char *) "x", NULL };

        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/helper", dir);
        ck_assert_int_eq(copy_file("/bin/sh", path), 0);
        ck_assert_int_eq(sealed_exe_init(&e, path), 0);

        /* The fd lands on 3; an fd without O_CLOEXEC of ours does not leak. */
        ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
        leak = open("/dev/null", O_RDONLY);
        ck_assert_int_ge(leak, 0);
        snprintf(script, sizeof script, "printf ok >&3; [ -e /proc/self/fd/%d ] && printf leak >&3; exit 7", leak);
        ck_assert_int_eq(spawn_and_wait(&e, sh, &p[1], 1), 7);
        close(p[1]);
        ck_assert_int_eq(read(p[0], buf, sizeof buf - 1), 2);
        ck_assert_str_eq(buf, "ok");
        close(p[0]);
        close(leak);

        /* A new file at the path (an upgrade) is picked up. */
        ck_assert_int_eq(copy_file("/bin/true", path), 0);
        ck_assert_int_eq(spawn_and_wait(&e, noargs, NULL, 0), 0);
        ck_assert_int_eq(copy_file("/bin/false", path), 0);
        ck_assert_int_eq(spawn_and_wait(&e, noargs, NULL, 0), 1);

        /* A missing helper is an error, not a child that fails later. */
        ck_assert_int_eq(unlink(path), 0);
        pid_t pid;
        ck_assert_int_eq(sealed_exe_spawn(&e, noargs, NULL, 0, &pid), -ENOENT);
        sealed_exe_done(&e);
        sealed_exe_done(NULL);
        ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static void write_n(int fd, char c, size_t n) {
        char buf[512];

        memset(buf, c, sizeof buf);
        while (n > 0) {
                size_t k = MIN(n, sizeof buf);
                ck_assert_int_eq(write(fd, buf, k), (ssize_t) k);
                n -= k;
        }
}

static void make_file(int dir_fd, const char *name, size_t n) {
        int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        ck_assert_int_ge(fd, 0);
        write_n(fd, 'x', n);
        close(fd);
}

/* A pipe says st_size 0, like /proc and cgroupfs: the reader must grow. */
static int read_pipe(size_t n, size_t max, char **ret, size_t *ret_size) {
        int p[2], r;

        ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
        write_n(p[1], 'y', n);
        close(p[1]);
        r = read_fd_capped(p[0], max, 0, ret, ret_size);
        close(p[0]);
        return r;
}

START_TEST(test_read_file_capped) {
        char dir[] = "/tmp/test-read-XXXXXX";
        char *s = (char *) "untouched";
        size_t n = 12345;
        int dfd;

        ck_assert_ptr_nonnull(mkdtemp(dir));
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(dfd, 0);

        /* Empty, exactly max, one over; relative to dir_fd. */
        make_file(dfd, "empty", 0);
        ck_assert_int_eq(read_file_capped(dfd, "empty", 10, 0, READ_FILE_REGULAR, &s, &n), 0);
        ck_assert_uint_eq(n, 0);
        ck_assert_str_eq(s, "");
        free(s);
        make_file(dfd, "exact", 5000);
        ck_assert_int_eq(read_file_capped(dfd, "exact", 5000, O_NONBLOCK, READ_FILE_REGULAR, &s, &n), 0);
        ck_assert_uint_eq(n, 5000);
        ck_assert_uint_eq(strlen(s), 5000);
        free(s);
        s = (char *) "untouched";
        n = 12345;
        ck_assert_int_eq(read_file_capped(dfd, "exact", 4999, 0, 0, &s, &n), -EFBIG);
        ck_assert_str_eq(s, "untouched");
        ck_assert_uint_eq(n, 12345);
        ck_assert_int_eq(read_file_capped(dfd, "missing", 10, 0, 0, &s, NULL), -ENOENT);

        /* No size to go by: exactly max fits (also when max is not a power of
         * two, and past the first 4096), one more is too big. */
        ck_assert_int_eq(read_pipe(5000, 5000, &s, &n), 0);
        ck_assert_uint_eq(n, 5000);
        ck_assert_uint_eq(strlen(s), 5000);
        ck_assert_int_eq(s[4999], 'y');
        free(s);
        ck_assert_int_eq(read_pipe(4096, 4096, &s, NULL), 0);
        free(s);
        ck_assert_int_eq(read_pipe(5001, 5000, &s, &n), -EFBIG);
        ck_assert_int_eq(read_pipe(1, 0, &s, &n), -EFBIG);
        ck_assert_int_eq(read_pipe(0, 0, &s, &n), 0);
        ck_assert_uint_eq(n, 0);
        free(s);

        /* /proc says 0 too. */
        ck_assert_int_eq(read_file_capped(AT_FDCWD, "/proc/self/status", 1024 * 1024, 0, READ_FILE_REGULAR, &s, &n), 0);
        ck_assert_ptr_nonnull(strstr(s, "Pid:"));
        free(s);

        /* O_NOFOLLOW refuses a symlink; READ_FILE_REGULAR a FIFO (O_NONBLOCK:
         * no hang) and a directory. */
        ck_assert_int_eq(symlinkat("exact", dfd, "link"), 0);
        ck_assert_int_eq(read_file_capped(dfd, "link", 5000, O_NOFOLLOW, READ_FILE_REGULAR, &s, NULL), -ELOOP);
        ck_assert_int_eq(read_file_capped(dfd, "link", 5000, 0, READ_FILE_REGULAR, &s, NULL), 0);
        free(s);
        ck_assert_int_eq(mkfifoat(dfd, "fifo", 0600), 0);
        ck_assert_int_eq(read_file_capped(dfd, "fifo", 10, O_NONBLOCK, READ_FILE_REGULAR, &s, NULL), -EBADFD);
        ck_assert_int_eq(read_file_capped(AT_FDCWD, dir, 10, 0, READ_FILE_REGULAR, &s, NULL), -EBADFD);

        ck_assert_int_eq(unlinkat(dfd, "fifo", 0), 0);
        ck_assert_int_eq(unlinkat(dfd, "link", 0), 0);
        ck_assert_int_eq(unlinkat(dfd, "exact", 0), 0);
        ck_assert_int_eq(unlinkat(dfd, "empty", 0), 0);
        close(dfd);
        ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* The last word survives the close: a helper sends its exit status and closes
 * while its client's input is still unread. A plain close makes the client's
 * recv() fail with ECONNRESET before the status (the kernel's rule this
 * guards against); socket_close_drained() hands over the status, then EOF. */
START_TEST(test_socket_close_drained) {
        for (int drained = 0; drained <= 1; drained++) {
                int sv[2];
                char buf[16];
                ssize_t n;

                ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
                /* sv[0] is the client: input the helper never reads. */
                for (int i = 0; i < 5; i++)
                        ck_assert_int_eq(send(sv[0], "input", 5, MSG_NOSIGNAL), 5);
                ck_assert_int_eq(send(sv[1], "exit 6", 6, MSG_NOSIGNAL), 6);
                if (drained)
                        ck_assert_int_eq(socket_close_drained(sv[1]), -EBADF);
                else
                        safe_close(sv[1]);

                n = recv(sv[0], buf, sizeof buf, MSG_DONTWAIT);
                if (!drained) {
                        ck_assert_int_lt(n, 0);
                        ck_assert_int_eq(errno, ECONNRESET);
                        /* Reported once; the status is still there. */
                        n = recv(sv[0], buf, sizeof buf, MSG_DONTWAIT);
                }
                ck_assert_int_eq(n, 6);
                ck_assert(memcmp(buf, "exit 6", 6) == 0);
                ck_assert_int_eq(recv(sv[0], buf, sizeof buf, MSG_DONTWAIT), 0);
                safe_close(sv[0]);
        }
        ck_assert_int_eq(socket_close_drained(-EBADF), -EBADF);
}
END_TEST

START_TEST(test_mkdir_restrict) {
        char tmp[] = "/tmp/test-mkdir-restrict.XXXXXX";
        _cleanup_free_ char *d = NULL, *l = NULL;
        struct stat st;
        mode_t old = umask(0022);

        ck_assert_ptr_nonnull(mkdtemp(tmp));
        ck_assert_int_ge(asprintf(&d, "%s/data", tmp), 0);
        ck_assert_int_ge(asprintf(&l, "%s/link", tmp), 0);

        ck_assert_int_eq(mkdir_restrict(d, 0711), 0);            /* created */
        ck_assert_int_eq(stat(d, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0711);
        ck_assert_int_eq(chmod(d, 0755), 0);                      /* an older Tank's */
        ck_assert_int_eq(mkdir_restrict(d, 0711), 1);
        ck_assert_int_eq(stat(d, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0711);
        ck_assert_int_eq(mkdir_restrict(d, 0711), 0);            /* nothing to do */
        ck_assert_int_eq(chmod(d, 0700), 0);                      /* stricter stays */
        ck_assert_int_eq(mkdir_restrict(d, 0711), 0);
        ck_assert_int_eq(stat(d, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0700);
        ck_assert_int_eq(symlink(d, l), 0);
        ck_assert_int_eq(mkdir_restrict(l, 0700), -ENOTDIR);     /* not followed */

        ck_assert_int_eq(unlink(l), 0);
        ck_assert_int_eq(rmdir(d), 0);
        ck_assert_int_eq(rmdir(tmp), 0);
        umask(old);
}
END_TEST

static void drain(sd_event *e, RmRfQueue *q) {
        for (unsigned i = 0; rm_rf_queue_pending(q) > 0 && i < 1000; i++)
                ck_assert_int_ge(sd_event_run(e, 100 * 1000), 0);
        ck_assert_uint_eq(rm_rf_queue_pending(q), 0);
}

START_TEST(test_rm_rf_async) {
        char tmpl[] = "/tmp/test-rm-rf-XXXXXX";
        _cleanup_close_ int fd = -EBADF;
        _cleanup_(rm_rf_queue_freep) RmRfQueue *q = NULL;
        sd_event *e = NULL;
        char path[256];
        struct stat st;

        ck_assert_ptr_nonnull(mkdtemp(tmpl));
        fd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_ge(sd_event_new(&e), 0);
        ck_assert_int_eq(rm_rf_queue_new(e, &q), 0);

        /* a tree goes from its name at once, and from the disk in the worker */
        ck_assert_int_eq(mkdirat(fd, "pod", 0755), 0);
        ck_assert_int_eq(mkdirat(fd, "pod/a", 0755), 0);
        ck_assert_int_eq(mkdirat(fd, "pod/a/b", 0755), 0);
        safe_close(openat(fd, "pod/a/b/file", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
        ck_assert_int_eq(symlinkat("/etc", fd, "pod/a/etc"), 0);
        ck_assert_int_eq(rm_rf_queue_add(q, fd, "pod"), 1);
        ck_assert_int_lt(fstatat(fd, "pod", &st, AT_SYMLINK_NOFOLLOW), 0);
        drain(e, q);
        /* nothing is left beside it: the directory is empty again */
        safe_close(fd);
        ck_assert_int_eq(rmdir(tmpl), 0);
        ck_assert_int_eq(mkdir(tmpl, 0700), 0);
        fd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);

        /* absent: nothing to do; a path is not a name */
        ck_assert_int_eq(rm_rf_queue_add(q, fd, "nothing"), 0);
        ck_assert_int_eq(rm_rf_queue_add(q, fd, "a/b"), -EINVAL);

        /* leftovers of a crash are found by the sweep, others are left alone */
        ck_assert_int_eq(mkdirat(fd, ".#rm-old-7", 0755), 0);
        ck_assert_int_eq(mkdirat(fd, ".#rm-old-7/x", 0755), 0);
        ck_assert_int_eq(mkdirat(fd, "keep", 0755), 0);
        ck_assert_int_eq(rm_rf_queue_sweep(q, fd), 1);
        drain(e, q);
        ck_assert_int_lt(fstatat(fd, ".#rm-old-7", &st, AT_SYMLINK_NOFOLLOW), 0);
        ck_assert_int_eq(fstatat(fd, "keep", &st, AT_SYMLINK_NOFOLLOW), 0);
        ck_assert_int_eq(stat("/etc/passwd", &st), 0);

        snprintf(path, sizeof path, "%s/keep", tmpl);
        ck_assert_int_eq(rmdir(path), 0);
        ck_assert_int_eq(rmdir(tmpl), 0);
        q = rm_rf_queue_free(q);
        sd_event_unref(e);
}
END_TEST

static void check_escape(const char *in, const char *want) {
        _cleanup_free_ char *got = str_escape_control(in), *streamed = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&streamed, &size);

        ck_assert_ptr_nonnull(got);
        ck_assert_str_eq(got, want);
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(fputs_escape_control(in, f), 0);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_str_eq(streamed, want);       /* both ways agree */
        ck_assert(str_is_terminal_safe(in) == streq(in, want));
}

START_TEST(test_escape_control) {
        /* what rewrites a terminal: clear screen, bell, 8-bit CSI as a raw
         * byte and as the C1 character U+009B, OSC with ST, DEL */
        check_escape("\x1b[2J", "\\x1b[2J");
        check_escape("ding\a", "ding\\x07");
        check_escape("\x9b" "31m", "\\x9b31m");
        check_escape("\xc2\x9b" "31m", "\\xc2\\x9b31m");
        check_escape("\xc2\x80 \xc2\x9f \xc2\xa0", "\\xc2\\x80 \\xc2\\x9f \xc2\xa0");   /* C1 only */
        check_escape("\x1b]0;title\x1b\\", "\\x1b]0;title\\x1b\\");
        check_escape("rub\x7fout", "rub\\x7fout");
        /* one line per field: tab, newline and carriage return too */
        check_escape("a\tb\nc\rd", "a\\x09b\\x0ac\\x0dd");
        /* invalid UTF-8, byte by byte: a lone continuation byte, a truncated
         * sequence, an overlong '/', a surrogate, beyond U+10FFFF, 0xff */
        check_escape("\x80", "\\x80");
        check_escape("caf\xc3", "caf\\xc3");
        check_escape("\xe2\x82", "\\xe2\\x82");
        check_escape("\xc0\xaf", "\\xc0\\xaf");
        check_escape("\xe0\x80\xaf", "\\xe0\\x80\\xaf");
        check_escape("\xed\xa0\x80", "\\xed\\xa0\\x80");
        check_escape("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
        check_escape("\xff", "\\xff");
        /* kept as is: ASCII, backslashes, and printable UTF-8 of every length */
        check_escape("", "");
        check_escape("pull 127.0.0.1:5000/tank/busybox: not found (HTTP 404)",
                     "pull 127.0.0.1:5000/tank/busybox: not found (HTTP 404)");
        check_escape("tank-pod-my\\x2dapp.slice", "tank-pod-my\\x2dapp.slice");
        check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3 \xf4\x8f\xbf\xbf",
                     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3 \xf4\x8f\xbf\xbf");   /* é € 🐳 U+10FFFF */
        check_escape("\xf0\x9f\x90\xb3\x1b[2J\xf0\x9f\x90\xb3", "\xf0\x9f\x90\xb3\\x1b[2J\xf0\x9f\x90\xb3");

        ck_assert_uint_eq(utf8_printable_len("\xf0\x9f\x90\xb3"), 4);
        ck_assert_uint_eq(utf8_printable_len("\xf0\x9f\x90"), 0);        /* cut by the NUL */
        ck_assert_uint_eq(utf8_printable_len(""), 0);
        ck_assert(str_is_terminal_safe(NULL));

        _cleanup_free_ char *empty = str_escape_control(NULL);
        ck_assert_str_eq(empty, "");
}
END_TEST

START_TEST(test_utf8_cut) {
        static const char *const texts[] = {
                "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3 \xf4\x8f\xbf\xbf!",
                "\xf0\x9f\x90\xb3\xf0\x9f\x90\xb3\xc3\xa9\xc3\xa9",
        };
        char buf[8];

        /* Every cut of valid text is valid text: never inside a character,
         * never shorter than needed (a whole character is kept). */
        for (size_t t = 0; t < ELEMENTSOF(texts); t++)
                for (size_t n = 0; n <= strlen(texts[t]); n++) {
                        _cleanup_free_ char *cut = strndup(texts[t], utf8_cut_len(texts[t], n));
                        size_t m = strlen(cut);

                        ck_assert(str_is_terminal_safe(cut));
                        ck_assert_uint_le(m, n);
                        ck_assert_uint_gt(m + 4, n);
                        ck_assert(m == n || (((unsigned char) texts[t][m]) & 0xc0) != 0x80);
                }
        ck_assert_uint_eq(utf8_cut_len("a\xc3\xa9", 2), 1);
        ck_assert_uint_eq(utf8_cut_len("a\xc3\xa9", 3), 3);
        ck_assert_uint_eq(utf8_cut_len("\xf0\x9f\x90\xb3", 3), 0);
        ck_assert_uint_eq(utf8_cut_len("", 0), 0);
        /* Invalid bytes are no character: kept up to the cut. */
        ck_assert_uint_eq(utf8_cut_len("\x80\x80\x80\x80\x80\x80", 5), 5);
        ck_assert_uint_eq(utf8_cut_len("a\xff\xfe", 3), 3);
        ck_assert_uint_eq(utf8_cut_len("a\xc0\xaf", 3), 3);
        ck_assert_uint_eq(utf8_cut_len("a\xc3\xa9\xa9", 4), 4);       /* a stray continuation after é */
        ck_assert_uint_eq(utf8_cut_len("a\xe2\x82", 3), 1);             /* an incomplete € at the end */

        ck_assert_uint_eq(snprintf_utf8(buf, sizeof buf, "%s", "abc"), 3);
        ck_assert_str_eq(buf, "abc");
        ck_assert_uint_eq(snprintf_utf8(buf, sizeof buf, "ab%s", "\xe2\x82\xac\xe2\x82\xac"), 5);
        ck_assert_str_eq(buf, "ab\xe2\x82\xac");
        ck_assert_uint_eq(snprintf_utf8(buf, sizeof buf, "abcd\xf0\x9f\x90\xb3"), 4);
        ck_assert_str_eq(buf, "abcd");
        ck_assert_uint_eq(snprintf_utf8(buf, sizeof buf, "%s", "abcdef\xff\xfe"), 7);
        ck_assert_str_eq(buf, "abcdef\xff");
}
END_TEST

int main(void) {
        Suite *s = suite_create("shared");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_unit_names);
        tcase_add_test(tc, test_rm_rf_async);
        tcase_add_test(tc, test_strv_env);
        tcase_add_test(tc, test_hashmap);
        tcase_add_test(tc, test_sealed_copy);
        tcase_add_test(tc, test_sealed_spawn);
        tcase_add_test(tc, test_read_file_capped);
        tcase_add_test(tc, test_mkdir_restrict);
        tcase_add_test(tc, test_socket_close_drained);
        tcase_add_test(tc, test_escape_control);
        tcase_add_test(tc, test_utf8_cut);
        suite_add_tcase(s, tc);
        return check_run(s);
}
