/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "journal-send.h"

struct JournalSender {
        int fd;
        struct sockaddr_un sa;
        socklen_t sa_len;
        uint64_t dropped;
        char *note_what;
        struct iovec *note;             /* owned copies */
        size_t n_note;
};

static void put_le64(char *p, uint64_t v) {
        for (size_t i = 0; i < 8; i++)
                p[i] = (char) (v >> (8 * i));
}

int journal_entry_encode(const struct iovec *fields, size_t n, char **ret, size_t *ret_len) {
        size_t size = 0, o = 0;
        char *buf;

        for (size_t i = 0; i < n; i++) {
                const char *f = fields[i].iov_base, *eq = memchr(f, '=', fields[i].iov_len);

                if (!eq || eq == f)
                        return -EINVAL;
                /* the binary form is the longest: KEY \n le64 value \n */
                if (size > SIZE_MAX - fields[i].iov_len - 10)
                        return -ENOBUFS;
                size += fields[i].iov_len + 10;
        }
        buf = malloc(size + 1);
        if (!buf)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *f = fields[i].iov_base, *eq = memchr(f, '=', fields[i].iov_len);
                size_t klen = (size_t) (eq - f), vlen = fields[i].iov_len - klen - 1;

                if (memchr(eq + 1, '\n', vlen)) {
                        memcpy(buf + o, f, klen);
                        o += klen;
                        buf[o++] = '\n';
                        put_le64(buf + o, vlen);
                        o += 8;
                        memcpy(buf + o, eq + 1, vlen);
                        o += vlen;
                } else {
                        memcpy(buf + o, f, fields[i].iov_len);
                        o += fields[i].iov_len;
                }
                buf[o++] = '\n';
        }
        *ret = buf;
        *ret_len = o;
        return 0;
}

int journal_sender_new(const char *socket_path, JournalSender **ret) {
        JournalSender *s;
        const char *p = socket_path ?: JOURNAL_SOCKET_DEFAULT;

        if (strlen(p) >= sizeof s->sa.sun_path)
                return -EINVAL;
        s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (s->fd < 0) {
                int r = -errno;
                free(s);
                return r;
        }
        s->sa.sun_family = AF_UNIX;
        strcpy(s->sa.sun_path, p);
        s->sa_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(p) + 1);
        /* Room for a 48 KiB line and its fields in one datagram; the kernel
         * keeps its own limit if it refuses. */
        (void) setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &(int) { 8 * 1024 * 1024 }, sizeof(int));
        *ret = s;
        return 0;
}

static void note_clear(JournalSender *s) {
        for (size_t i = 0; i < s->n_note; i++)
                free(s->note[i].iov_base);
        s->note = mfree(s->note);
        s->n_note = 0;
        s->note_what = mfree(s->note_what);
}

JournalSender *journal_sender_free(JournalSender *s) {
        if (!s)
                return NULL;
        safe_close(s->fd);
        note_clear(s);
        return mfree(s);
}

int journal_sender_set_note(JournalSender *s, const char *what, const struct iovec *fields, size_t n) {
        note_clear(s);
        s->note_what = strdup(what);
        s->note = calloc(n + 1, sizeof *s->note);
        if (!s->note_what || !s->note)
                return note_clear(s), -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                void *c = malloc(fields[i].iov_len ?: 1);

                if (!c)
                        return note_clear(s), -ENOMEM;
                memcpy(c, fields[i].iov_base, fields[i].iov_len);
                s->note[s->n_note++] = (struct iovec) { .iov_base = c, .iov_len = fields[i].iov_len };
        }
        return 0;
}

/* The entry as a sealed memfd: for one too large for a datagram. */
static int send_memfd(JournalSender *s, const char *buf, size_t len) {
        union {
                struct cmsghdr cmsghdr;
                uint8_t buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct msghdr mh = {
                .msg_name = &s->sa, .msg_namelen = s->sa_len,
                .msg_control = &control, .msg_controllen = sizeof control,
        };
        struct cmsghdr *cmsg;
        _cleanup_close_ int fd = -EBADF;

        fd = memfd_create("journal-entry", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;
        for (size_t o = 0; o < len; ) {
                ssize_t k = write(fd, buf + o, len - o);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                o += (size_t) k;
        }
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
                return -errno;
        cmsg = CMSG_FIRSTHDR(&mh);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
        if (sendmsg(s->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
                return -errno;
        return 0;
}

static int send_entry(JournalSender *s, const struct iovec *fields, size_t n) {
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        r = journal_entry_encode(fields, n, &buf, &len);
        if (r < 0)
                return r;
        for (;;) {
                if (sendto(s->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT, (struct sockaddr *) &s->sa, s->sa_len) >= 0)
                        return 0;
                if (errno != EINTR)
                        break;
        }
        if (errno == EMSGSIZE || errno == ENOBUFS)
                return send_memfd(s, buf, len);
        return -errno;
}

static int send_note(JournalSender *s) {
        _cleanup_free_ struct iovec *iov = NULL;
        _cleanup_free_ char *msg = NULL, *count = NULL;
        int r;

        iov = calloc(s->n_note + 3, sizeof *iov);
        if (!iov ||
            asprintf(&msg, "MESSAGE=%" PRIu64 " %s dropped: the journal did not keep up", s->dropped,
                     s->note_what ?: "entries") < 0 ||
            asprintf(&count, "TANK_DROPPED=%" PRIu64, s->dropped) < 0)
                return -ENOMEM;
        iov[0] = (struct iovec) { .iov_base = msg, .iov_len = strlen(msg) };
        iov[1] = (struct iovec) { .iov_base = (char *) "PRIORITY=4", .iov_len = strlen("PRIORITY=4") };
        iov[2] = (struct iovec) { .iov_base = count, .iov_len = strlen(count) };
        for (size_t i = 0; i < s->n_note; i++)
                iov[3 + i] = s->note[i];
        r = send_entry(s, iov, s->n_note + 3);
        if (r >= 0)
                s->dropped = 0;
        return r;
}

static int sender_send(JournalSender *s, const struct iovec *fields, size_t n, bool count) {
        int r;

        if (s->dropped > 0) {
                r = send_note(s);
                if (r == -EAGAIN) {
                        if (count)
                                s->dropped++;
                        return r;
                }
        }
        r = send_entry(s, fields, n);
        if (r == -EAGAIN && count)
                s->dropped++;
        return r;
}

int journal_sender_send(JournalSender *s, const struct iovec *fields, size_t n) {
        return sender_send(s, fields, n, true);
}

int journal_sender_try(JournalSender *s, const struct iovec *fields, size_t n) {
        return sender_send(s, fields, n, false);
}

int journal_sender_flush(JournalSender *s) {
        if (!s || s->dropped == 0)
                return 0;
        return send_note(s);
}

uint64_t journal_sender_dropped(const JournalSender *s) {
        return s ? s->dropped : 0;
}
