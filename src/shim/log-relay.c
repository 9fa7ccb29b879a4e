/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "journal-send.h"
#include "log-relay.h"
#include "log.h"
#include "time-util.h"

/* journald's varlink socket: Synchronize returns once everything queued
 * before it is written. */
#define JOURNAL_VARLINK_SOCKET "/run/systemd/journal/io.systemd.journal"

/* While journald's queue is full the relay stops reading its pipes (they fill
 * and the workload waits on them, as it would on journald's own stream
 * socket) and tries again every LOG_RELAY_RETRY_USEC: a burst journald reads
 * within LOG_RELAY_HOLD_USEC arrives whole. A journald stalled for longer
 * costs lines, counted and said, not the workload's progress. */
#define LOG_RELAY_HOLD_USEC (1 * USEC_PER_SEC)
#define LOG_RELAY_RETRY_USEC (10 * USEC_PER_MSEC)
/* At the end the relay waits for journald in steps of this, up to its deadline. */
#define LOG_RELAY_FINISH_STEP_USEC (5 * USEC_PER_MSEC)

enum { F_MESSAGE, F_PRIORITY, F_IDENT, F_POD, F_CONTAINER, F_RESTART, F_IMAGE, F_DIGEST, _F_MAX };

typedef struct RelayStream {
        LogRelay *relay;
        LogRelayStream stream;
        int fd;                         /* the pipe's read end, or -EBADF */
        bool piped;                     /* fed by a pipe (which can wait), not by the PTY */
        sd_event_source *source;
        size_t len;                     /* bytes of a line not yet sent */
        char data[LOG_RELAY_LINE_MAX];
} RelayStream;

struct LogRelay {
        JournalSender *journal;         /* non-blocking: the monitor's loop never waits on journald */
        char *fields[_F_MAX];           /* "KEY=value", F_MESSAGE unused */
        size_t n_fields;
        int fallback[_LOG_RELAY_STREAM_MAX];
        bool sent;                      /* something went to the journal */
        sd_event *event;                /* from log_relay_attach(): holding needs a timer */
        sd_event_source *retry;         /* while holding */
        uint64_t held_since;            /* CLOCK_MONOTONIC; 0: not holding */
        bool dropping;                  /* held past LOG_RELAY_HOLD_USEC: drop until a line goes through */
        uint64_t finish_deadline;       /* in log_relay_finish(): wait for journald until then */
        RelayStream streams[_LOG_RELAY_STREAM_MAX];
        char message[sizeof "MESSAGE=" - 1 + LOG_RELAY_LINE_MAX];  /* the entry being sent */
};

#define MESSAGE_PREFIX_LEN (sizeof "MESSAGE=" - 1)

int log_relay_new(const ShimConfig *c, int fallback_out, int fallback_err, LogRelay **ret) {
        _cleanup_(log_relay_freep) LogRelay *r = calloc(1, sizeof *r);
        struct iovec id[_F_MAX];
        size_t n = F_IDENT;
        int k;

        if (!r)
                return -ENOMEM;
        r->fallback[LOG_RELAY_STDOUT] = fallback_out;
        r->fallback[LOG_RELAY_STDERR] = fallback_err;
        for (size_t i = 0; i < _LOG_RELAY_STREAM_MAX; i++) {
                r->streams[i].relay = r;
                r->streams[i].stream = i;
                r->streams[i].fd = -EBADF;
        }
        memcpy(r->message, "MESSAGE=", MESSAGE_PREFIX_LEN);
        if (asprintf(&r->fields[n++], "SYSLOG_IDENTIFIER=%s", c->log_identifier ?: c->container) < 0 ||
            asprintf(&r->fields[n++], "TANK_POD=%s", c->pod) < 0 ||
            asprintf(&r->fields[n++], "TANK_CONTAINER=%s", c->container) < 0 ||
            asprintf(&r->fields[n++], "TANK_RESTART=%u", c->restart_count) < 0)
                return -ENOMEM;
        if (c->image && asprintf(&r->fields[n++], "TANK_IMAGE=%s", c->image) < 0)
                return -ENOMEM;
        if (c->image_digest && asprintf(&r->fields[n++], "TANK_IMAGE_DIGEST=%s", c->image_digest) < 0)
                return -ENOMEM;
        r->n_fields = n;
        k = journal_sender_new(NULL, &r->journal);
        if (k < 0)
                return k;
        /* The note of lines dropped while journald was stalled carries the
         * lines' identity: tankctl logs shows it where they would have been. */
        for (size_t i = F_IDENT; i < n; i++)
                id[i - F_IDENT] = (struct iovec) { .iov_base = r->fields[i], .iov_len = strlen(r->fields[i]) };
        k = journal_sender_set_note(r->journal, "lines", id, n - F_IDENT);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(r);
        return 0;
}

LogRelay *log_relay_free(LogRelay *r) {
        if (!r)
                return NULL;
        for (size_t i = 0; i < _LOG_RELAY_STREAM_MAX; i++) {
                sd_event_source_disable_unref(r->streams[i].source);
                safe_close(r->streams[i].fd);
        }
        sd_event_source_disable_unref(r->retry);
        for (size_t i = 0; i < _F_MAX; i++)
                free(r->fields[i]);
        journal_sender_free(r->journal);
        return mfree(r);
}

static void write_fallback(int fd, const char *buf, size_t n) {
        struct iovec iov[2] = {
                { .iov_base = (char *) buf, .iov_len = n },
                { .iov_base = (char *) "\n", .iov_len = 1 },
        };

        /* Best effort: this is where output goes when the journal does not
         * take it; nothing is left to tell if this fails too. */
        while (iov[0].iov_len + iov[1].iov_len > 0) {
                ssize_t k = writev(fd, iov[0].iov_len ? iov : iov + 1, iov[0].iov_len ? 2 : 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return;
                }
                for (size_t i = 0; i < 2 && k > 0; i++) {
                        size_t d = MIN((size_t) k, iov[i].iov_len);
                        iov[i].iov_base = (char *) iov[i].iov_base + d;
                        iov[i].iov_len -= d;
                        k -= (ssize_t) d;
                }
        }
}

static uint64_t now_mono(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000) + (uint64_t) ts.tv_nsec / 1000;
}

/* One entry: MESSAGE= the n bytes at line (copied: each field is one iovec).
 * false: held (journald's queue is full; the caller keeps the line and the
 * relay holds its pipes), true: it went out, was dropped and counted, or went
 * to our own output. */
static bool send_line(RelayStream *s, const char *line, size_t n) {
        LogRelay *r = s->relay;
        struct iovec iov[_F_MAX];
        bool hold = s->piped && r->event && !r->dropping && r->finish_deadline == 0;
        int k;

        memcpy(r->message + MESSAGE_PREFIX_LEN, line, n);
        iov[F_MESSAGE] = (struct iovec) { .iov_base = r->message, .iov_len = MESSAGE_PREFIX_LEN + n };
        iov[F_PRIORITY] = s->stream == LOG_RELAY_STDERR ?
                (struct iovec) { .iov_base = (char *) "PRIORITY=3", .iov_len = strlen("PRIORITY=3") } :
                (struct iovec) { .iov_base = (char *) "PRIORITY=6", .iov_len = strlen("PRIORITY=6") };
        for (size_t i = F_IDENT; i < r->n_fields; i++)
                iov[i] = (struct iovec) { .iov_base = r->fields[i], .iov_len = strlen(r->fields[i]) };
        if (r->finish_deadline > 0) {
                /* The end: nothing else is left to do on this loop, so wait
                 * for journald here, bounded. */
                k = journal_sender_try(r->journal, iov, r->n_fields);
                while (k == -EAGAIN && now_mono() < r->finish_deadline) {
                        (void) usleep(LOG_RELAY_FINISH_STEP_USEC);
                        k = journal_sender_try(r->journal, iov, r->n_fields);
                }
                if (k == -EAGAIN)
                        k = journal_sender_send(r->journal, iov, r->n_fields);
        } else if (hold)
                k = journal_sender_try(r->journal, iov, r->n_fields);
        else
                k = journal_sender_send(r->journal, iov, r->n_fields);
        if (k >= 0) {
                r->sent = true;
                r->dropping = false;
                return true;
        }
        if (k == -EAGAIN)
                return !hold;   /* held, or dropped, counted and said with the next line */
        log_debug_errno(k, "Cannot send a line to the journal, writing it to our own output: %m");
        write_fallback(r->fallback[s->stream], line, n);
        return true;
}

static void relay_set_reading(LogRelay *r, bool on) {
        for (size_t i = 0; i < _LOG_RELAY_STREAM_MAX; i++)
                if (r->streams[i].source)
                        (void) sd_event_source_set_enabled(r->streams[i].source, on ? SD_EVENT_ON : SD_EVENT_OFF);
}

static int on_retry(sd_event_source *src, uint64_t usec, void *userdata);

static void relay_hold(LogRelay *r) {
        int k;

        relay_set_reading(r, false);
        if (r->held_since == 0)
                r->held_since = now_mono();
        if (r->retry) {
                k = sd_event_source_set_time_relative(r->retry, LOG_RELAY_RETRY_USEC);
                if (k >= 0)
                        k = sd_event_source_set_enabled(r->retry, SD_EVENT_ONESHOT);
        } else
                k = sd_event_add_time_relative(r->event, &r->retry, CLOCK_MONOTONIC, LOG_RELAY_RETRY_USEC, 0,
                                               on_retry, r);
        if (k < 0) {
                /* Without a timer nothing would resume reading: drop instead. */
                log_debug_errno(k, "Cannot arm the relay's retry timer, dropping while journald is full: %m");
                r->dropping = true;
                r->held_since = 0;
                relay_set_reading(r, true);
        }
}

static bool flush_lines(RelayStream *s, bool all);

static int on_retry(sd_event_source *src, uint64_t usec, void *userdata) {
        LogRelay *r = userdata;

        if (now_mono() - r->held_since >= LOG_RELAY_HOLD_USEC)
                r->dropping = true;
        for (size_t i = 0; i < _LOG_RELAY_STREAM_MAX; i++)
                if (flush_lines(&r->streams[i], r->streams[i].fd < 0))
                        return 0;       /* held again: the timer is armed again */
        r->held_since = 0;
        relay_set_reading(r, true);
        return 0;
}

/* Send every complete line of the pending bytes, and the whole buffer when it
 * is full without one (journald's LineMax= rule), or when all is set (EOF);
 * keep the rest pending. true: a line was held, and with it the rest (the
 * relay holds its pipes and tries again later). */
static bool flush_lines(RelayStream *s, bool all) {
        size_t start = 0;
        bool held = false;

        for (;;) {
                char *nl = memchr(s->data + start, '\n', s->len - start);

                if (!nl)
                        break;
                if (!send_line(s, s->data + start, (size_t) (nl - (s->data + start)))) {
                        held = true;
                        break;
                }
                start = (size_t) (nl - s->data) + 1;
        }
        if (start > 0) {
                memmove(s->data, s->data + start, s->len - start);
                s->len -= start;
        }
        if (!held && s->len > 0 && (all || s->len == LOG_RELAY_LINE_MAX)) {
                if (send_line(s, s->data, s->len))
                        s->len = 0;
                else
                        held = true;
        }
        if (held)
                relay_hold(s->relay);
        return held;
}

void log_relay_feed(LogRelay *r, LogRelayStream stream, const char *buf, size_t n) {
        RelayStream *s;

        if (!r)
                return;
        s = &r->streams[stream];
        while (n > 0) {
                size_t k = MIN(n, LOG_RELAY_LINE_MAX - s->len);

                memcpy(s->data + s->len, buf, k);
                s->len += k;
                buf += k;
                n -= k;
                (void) flush_lines(s, false);   /* never held: not piped */
        }
}

/* 1: read something, 0: EOF, -EAGAIN: nothing now, other < 0: error. */
static int read_pipe(RelayStream *s) {
        ssize_t n;

        n = read(s->fd, s->data + s->len, LOG_RELAY_LINE_MAX - s->len);
        if (n < 0)
                return errno == EINTR ? -EAGAIN : -errno;
        if (n == 0)
                return 0;
        s->len += (size_t) n;
        (void) flush_lines(s, false);
        return 1;
}

static void close_pipe(RelayStream *s) {
        (void) flush_lines(s, true);   /* held: the retry sends the rest */
        s->source = sd_event_source_disable_unref(s->source);
        s->fd = safe_close(s->fd);
}

static int on_pipe(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        RelayStream *s = userdata;
        int r;

        r = read_pipe(s);
        if (r == 0 || (r < 0 && r != -EAGAIN))
                close_pipe(s);
        return 0;
}

int log_relay_open_pipe(LogRelay *r, LogRelayStream stream, int *ret_write_fd) {
        RelayStream *s = &r->streams[stream];
        int fds[2];

        if (s->fd >= 0)
                return -EBUSY;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        /* Room for bursts while the journal is slow, as a stream socket's
         * buffer gives; the kernel's default is kept if it refuses. */
        (void) fcntl(fds[0], F_SETPIPE_SZ, 1024 * 1024);
        if (fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
                int e = -errno;
                safe_close(fds[0]);
                safe_close(fds[1]);
                return e;
        }
        s->fd = fds[0];
        s->piped = true;
        *ret_write_fd = fds[1];
        return 0;
}

int log_relay_attach(LogRelay *r, sd_event *e) {
        r->event = e;
        for (size_t i = 0; i < _LOG_RELAY_STREAM_MAX; i++) {
                RelayStream *s = &r->streams[i];
                int k;

                if (s->fd < 0)
                        continue;
                k = sd_event_add_io(e, &s->source, s->fd, EPOLLIN, on_pipe, s);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* journald parses what it received before answering (its varlink method
 * answers from a low-priority deferred job): once it has, the lines are
 * attributed, and this process may leave its scope. Best effort, bounded. */
static void journal_synchronize(uint64_t timeout_usec) {
        static const char call[] = "{\"method\":\"io.systemd.Journal.Synchronize\",\"parameters\":{}}";
        struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = JOURNAL_VARLINK_SOCKET };
        struct timeval tv = { .tv_sec = (time_t) (timeout_usec / 1000000),
                              .tv_usec = (suseconds_t) (timeout_usec % 1000000) };
        _cleanup_close_ int fd = -EBADF;
        char buf[512];

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return;
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0 ||
            send(fd, call, sizeof call, MSG_NOSIGNAL) != (ssize_t) sizeof call) {  /* with its NUL */
                log_debug_errno(errno, "Cannot ask journald to synchronize: %m");
                return;
        }
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof buf, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0 || memchr(buf, 0, (size_t) n))
                        return;
        }
}

void log_relay_finish(LogRelay *r, uint64_t timeout_usec) {
        uint64_t deadline = now_mono() + timeout_usec;

        if (!r)
                return;
        r->retry = sd_event_source_disable_unref(r->retry);
        r->held_since = 0;
        r->finish_deadline = MAX(deadline, UINT64_C(1));
        /* The kernel kills what is left of the PID namespace with its PID 1:
         * the last writers close their ends soon after. */
        for (size_t i = 0; i < _LOG_RELAY_STREAM_MAX; i++) {
                RelayStream *s = &r->streams[i];

                (void) flush_lines(s, s->fd < 0);      /* what a hold left; the buffer has room again */
                while (s->fd >= 0) {
                        struct pollfd p = { .fd = s->fd, .events = POLLIN };
                        uint64_t now = now_mono();
                        int k = read_pipe(s);

                        if (k > 0)
                                continue;
                        if (k == 0 || k != -EAGAIN || now >= deadline)
                                break;
                        (void) poll(&p, 1, (int) MAX((deadline - now) / 1000, (uint64_t) 1));
                }
                if (s->fd >= 0)
                        close_pipe(s);
                else
                        (void) flush_lines(s, true);
        }
        /* Lines dropped at the end are said too, if journald takes it now. */
        (void) journal_sender_flush(r->journal);
        /* Also when the note did not go out: what did must be attributed. */
        if (r->sent)
                journal_synchronize(timeout_usec);
}
