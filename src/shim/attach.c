/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "attach.h"
#include "log.h"
#include "socket-util.h"

typedef struct AttachClient {
        int fd;
        sd_event_source *source;
        AttachServer *server;
} AttachClient;

struct AttachServer {
        sd_event *event;
        int listen_fd;
        int dir_fd;
        char *name;
        sd_event_source *listen_source;
        int pty_master;
        AttachClient clients[ATTACH_CLIENTS_MAX];

        char ring[ATTACH_REPLAY_MAX];
        size_t ring_head, ring_len;
};

static void client_close(AttachClient *c) {
        c->source = sd_event_source_disable_unref(c->source);
        c->fd = safe_close(c->fd);
}

static bool client_send(AttachClient *c, uint8_t tag, const void *data, size_t n) {
        char pkt[1 + ATTACH_DATA_MAX];

        pkt[0] = (char) tag;
        memcpy(pkt + 1, data, n);
        if (send(c->fd, pkt, n + 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
                /* Never let a slow reader hold the workload's output back. */
                log_debug_errno(errno, "Dropping attach client: %m");
                client_close(c);
                return false;
        }
        return true;
}

static void send_output(AttachClient *c, const char *buf, size_t n) {
        while (n > 0 && c->fd >= 0) {
                size_t k = MIN(n, (size_t) ATTACH_DATA_MAX);
                if (!client_send(c, ATTACH_TAG_OUTPUT, buf, k))
                        return;
                buf += k;
                n -= k;
        }
}

static int on_client(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        AttachClient *c = userdata;
        char pkt[1 + ATTACH_DATA_MAX];
        ssize_t n;

        n = recv(fd, pkt, sizeof pkt, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0) {
                client_close(c);
                return 0;
        }
        if (pkt[0] == ATTACH_TAG_INPUT && n > 1) {
                if (write(c->server->pty_master, pkt + 1, (size_t) n - 1) < 0)
                        log_debug_errno(errno, "Dropping attach input: %m");
        } else if (pkt[0] == ATTACH_TAG_RESIZE && n == 5) {
                uint16_t rows, cols;
                struct winsize ws = {};

                memcpy(&rows, pkt + 1, 2);
                memcpy(&cols, pkt + 3, 2);
                ws.ws_row = rows;
                ws.ws_col = cols;
                (void) ioctl(c->server->pty_master, TIOCSWINSZ, &ws);
        } else {
                log_debug("Malformed attach packet, dropping the client.");
                client_close(c);
        }
        return 0;
}

static int on_accept(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        AttachServer *s = userdata;
        AttachClient *c = NULL;
        int cfd, r;

        cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (cfd < 0)
                return 0;
        for (size_t i = 0; i < ATTACH_CLIENTS_MAX; i++)
                if (s->clients[i].fd < 0) {
                        c = &s->clients[i];
                        break;
                }
        if (!c) {
                log_debug("Too many attach clients, refusing one.");
                safe_close(cfd);
                return 0;
        }
        c->fd = cfd;
        c->server = s;
        r = sd_event_add_io(s->event, &c->source, cfd, EPOLLIN, on_client, c);
        if (r < 0) {
                client_close(c);
                return 0;
        }

        /* Replay: the ring in order, oldest first. */
        {
                size_t first = MIN(s->ring_len, ATTACH_REPLAY_MAX - s->ring_head);
                send_output(c, s->ring + s->ring_head, first);
                send_output(c, s->ring, s->ring_len - first);
        }
        return 0;
}

int attach_server_new(sd_event *e, const char *path, int pty_master, AttachServer **ret) {
        _cleanup_(attach_server_freep) AttachServer *s = NULL;
        struct sockaddr_un sa;
        int r;

        s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(e);
        s->listen_fd = s->dir_fd = -EBADF;
        s->pty_master = pty_master;
        for (size_t i = 0; i < ATTACH_CLIENTS_MAX; i++)
                s->clients[i].fd = -EBADF;

        if (path) {
                r = socket_address_in_dir(path, &s->dir_fd, &s->name, &sa);
                if (r < 0)
                        return r;

                s->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
                if (s->listen_fd < 0)
                        return -errno;
                (void) unlinkat(s->dir_fd, s->name, 0);   /* a stale one from a previous run */
                if (bind(s->listen_fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                        return -errno;
                if (fchmodat(s->dir_fd, s->name, 0700, 0) < 0 || listen(s->listen_fd, 16) < 0)
                        return -errno;
                r = sd_event_add_io(e, &s->listen_source, s->listen_fd, EPOLLIN, on_accept, s);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

void attach_server_output(AttachServer *s, const char *buf, size_t n) {
        if (!s)
                return;
        for (size_t i = 0; i < n; i++) {
                s->ring[(s->ring_head + s->ring_len) % ATTACH_REPLAY_MAX] = buf[i];
                if (s->ring_len < ATTACH_REPLAY_MAX)
                        s->ring_len++;
                else
                        s->ring_head = (s->ring_head + 1) % ATTACH_REPLAY_MAX;
        }
        for (size_t i = 0; i < ATTACH_CLIENTS_MAX; i++)
                if (s->clients[i].fd >= 0)
                        send_output(&s->clients[i], buf, n);
}

void attach_server_exit(AttachServer *s, int status) {
        int32_t st = status;

        if (!s)
                return;
        for (size_t i = 0; i < ATTACH_CLIENTS_MAX; i++)
                if (s->clients[i].fd >= 0 &&
                    client_send(&s->clients[i], ATTACH_TAG_EXIT, &st, sizeof st)) {
                        /* Unread input would turn the status into ECONNRESET. */
                        s->clients[i].source = sd_event_source_disable_unref(s->clients[i].source);
                        s->clients[i].fd = socket_close_drained(s->clients[i].fd);
                }
        s->listen_source = sd_event_source_disable_unref(s->listen_source);
        s->listen_fd = safe_close(s->listen_fd);
        if (s->dir_fd >= 0 && s->name)
                (void) unlinkat(s->dir_fd, s->name, 0);
}

AttachServer *attach_server_free(AttachServer *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < ATTACH_CLIENTS_MAX; i++)
                client_close(&s->clients[i]);
        if (s->listen_fd >= 0 && s->dir_fd >= 0 && s->name)
                (void) unlinkat(s->dir_fd, s->name, 0);
        sd_event_source_disable_unref(s->listen_source);
        safe_close(s->listen_fd);
        safe_close(s->dir_fd);
        free(s->name);
        sd_event_unref(s->event);
        free(s);
        return NULL;
}
