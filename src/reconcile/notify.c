/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "escape.h"
#include "log.h"
#include "reconcile/notify.h"

struct NotifyListener {
        int dir_fd;
        int fd;
        dev_t dev;              /* of the socket this listener bound */
        ino_t ino;
        sd_event_source *io;
        notify_handler_t cb;
        void *userdata;
};

static const char *const type_table[_NOTIFY_MSG_MAX] = {
        [NOTIFY_MSG_READY] = "READY",
        [NOTIFY_MSG_STATUS] = "STATUS",
        [NOTIFY_MSG_WATCHDOG] = "WATCHDOG",
};

const char *notify_message_type_to_string(NotifyMessageType t) {
        return t >= 0 && t < _NOTIFY_MSG_MAX ? type_table[t] : NULL;
}

int notify_parse(const char *buf, size_t len, NotifyMessage *ret) {
        NotifyMessage m = {};

        if (len > 0 && memchr(buf, 0, len))
                return -EBADMSG;

        for (const char *p = buf, *end = buf + len; p < end; ) {
                const char *nl = memchr(p, '\n', end - p), *e = nl ?: end;
                size_t n = e - p;

                if (n == 7 && memcmp(p, "READY=1", 7) == 0)
                        m.ready = true;
                else if (n == 10 && memcmp(p, "WATCHDOG=1", 10) == 0)
                        m.watchdog = true;
                else if (n >= 7 && memcmp(p, "STATUS=", 7) == 0) {
                        size_t t = n - 7;

                        if (t > NOTIFY_STATUS_MAX)
                                t = utf8_cut_len(p + 7, NOTIFY_STATUS_MAX);   /* no half character */
                        memcpy(m.status, p + 7, t);
                        m.status[t] = 0;
                        m.has_status = true;
                }
                p = nl ? nl + 1 : end;
        }

        *ret = m;
        return 0;
}

void notify_message_merge(NotifyMessage *a, const NotifyMessage *b) {
        a->ready = a->ready || b->ready;
        a->watchdog = a->watchdog || b->watchdog;
        if (b->has_status) {
                memcpy(a->status, b->status, sizeof a->status);
                a->has_status = true;
        }
}

/* Closes every fd that came along and returns the sender's pid (0 if the
 * credentials are missing), for the logs only: who may send is decided by
 * who can reach the socket (notify.h). */
static pid_t close_received_fds(struct msghdr *mh) {
        pid_t pid = 0;

        for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS &&
                    cm->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
                        struct ucred uc;
                        memcpy(&uc, CMSG_DATA(cm), sizeof uc);
                        pid = uc.pid;
                }
                if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                int *fds = (int *) CMSG_DATA(cm);
                for (size_t i = 0; i < n; i++) {
                        int fd;
                        memcpy(&fd, fds + i, sizeof fd);  /* CMSG_DATA need not be int-aligned */
                        safe_close(fd);
                }
        }
        return pid;
}

/* -EAGAIN when the queue is empty; 0 with *ret filled, or 1 for a datagram
 * that was dropped (truncated, NUL inside, an error the sender caused). */
static int receive_one(NotifyListener *l, NotifyMessage *ret) {
        char buf[NOTIFY_BUFFER_MAX + 1];
        /* Room for the credentials and a handful of fds; more fds than fit are
         * discarded by the kernel (MSG_CTRUNC), never installed. */
        union {
                struct cmsghdr h;
                uint8_t buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
        } control = {};
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                             .msg_control = &control, .msg_controllen = sizeof control };
        ssize_t n;
        pid_t pid;

        n = recvmsg(l->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return -EAGAIN;
                return -errno;
        }
        pid = close_received_fds(&mh);

        if ((size_t) n > NOTIFY_BUFFER_MAX || (mh.msg_flags & MSG_TRUNC)) {
                log_debug("notify: dropped a datagram of %zd bytes (more than %d) from pid %d", n,
                          NOTIFY_BUFFER_MAX, (int) pid);
                return 1;
        }
        if (notify_parse(buf, (size_t) n, ret) < 0) {
                log_debug("notify: dropped a datagram with a NUL byte from pid %d", (int) pid);
                return 1;
        }
        return 0;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        NotifyListener *l = userdata;
        NotifyMessage all = {};
        int r;

        for (unsigned i = 0; i < NOTIFY_BATCH_MAX; i++) {
                NotifyMessage m;

                r = receive_one(l, &m);
                if (r == -EAGAIN)
                        break;
                if (r < 0) {
                        /* ECONNREFUSED and the like are the sender's; the next
                         * datagram may be fine. */
                        log_debug_errno(r, "notify: recvmsg failed: %m");
                        break;
                }
                if (r == 0)
                        notify_message_merge(&all, &m);
        }

        if (all.has_status)
                l->cb(l, NOTIFY_MSG_STATUS, all.status, l->userdata);
        if (all.ready)
                l->cb(l, NOTIFY_MSG_READY, NULL, l->userdata);
        if (all.watchdog)
                l->cb(l, NOTIFY_MSG_WATCHDOG, NULL, l->userdata);
        return 0;
}

static int proc_fd_path(int dir_fd, char *buf, size_t size) {
        int n = snprintf(buf, size, "/proc/self/fd/%d/" NOTIFY_SOCKET_NAME, dir_fd);
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

int notify_listener_new(sd_event *e, const char *dir, uid_t uid, gid_t gid, notify_handler_t cb, void *userdata,
                        NotifyListener **ret) {
        _cleanup_(notify_listener_freep) NotifyListener *l = NULL;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct stat st;
        int r;

        assert(e && dir && cb && ret);

        l = calloc(1, sizeof *l);
        if (!l)
                return -ENOMEM;
        l->dir_fd = l->fd = -EBADF;
        l->cb = cb;
        l->userdata = userdata;

        l->dir_fd = open(dir, O_DIRECTORY | O_NOFOLLOW | O_RDONLY | O_CLOEXEC);
        if (l->dir_fd < 0)
                return -errno;

        l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (l->fd < 0)
                return -errno;
        if (setsockopt(l->fd, SOL_SOCKET, SO_PASSCRED, &(int) { 1 }, sizeof(int)) < 0)
                return -errno;

        /* A previous tankd's socket: the container keeps sending to this path. */
        if (unlinkat(l->dir_fd, NOTIFY_SOCKET_NAME, 0) < 0 && errno != ENOENT)
                return -errno;
        r = proc_fd_path(l->dir_fd, sa.sun_path, sizeof sa.sun_path);
        if (r < 0)
                return r;
        if (bind(l->fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return -errno;
        if (fstatat(l->dir_fd, NOTIFY_SOCKET_NAME, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (!S_ISSOCK(st.st_mode))
                return -EEXIST;  /* someone raced us in a directory only root writes */
        l->dev = st.st_dev;
        l->ino = st.st_ino;
        /* sendto() needs write permission on the socket file, whatever id the
         * workload has in there. */
        if (fchmodat(l->dir_fd, NOTIFY_SOCKET_NAME, 0666, 0) < 0)
                return -errno;
        if (fchownat(l->dir_fd, NOTIFY_SOCKET_NAME, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;

        r = sd_event_add_io(e, &l->io, l->fd, EPOLLIN, on_io, l);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(l->io, "notify");

        *ret = TAKE_PTR(l);
        return 0;
}

NotifyListener *notify_listener_free(NotifyListener *l) {
        struct stat st;

        if (!l)
                return NULL;
        sd_event_source_disable_unref(l->io);
        /* Not a newer tankd's, nor one another listener bound since. */
        if (l->dir_fd >= 0 && l->ino != 0 &&
            fstatat(l->dir_fd, NOTIFY_SOCKET_NAME, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            st.st_dev == l->dev && st.st_ino == l->ino)
                (void) unlinkat(l->dir_fd, NOTIFY_SOCKET_NAME, 0);
        safe_close(l->fd);
        safe_close(l->dir_fd);
        free(l);
        return NULL;
}
