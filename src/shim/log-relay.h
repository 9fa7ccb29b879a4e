/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internal to tank-shim: the workload's output to the journal over the
 * native protocol (journal-send.h: never blocking), one entry per line, each carrying the
 * container's fields: TANK_POD=, TANK_CONTAINER=, TANK_RESTART=, TANK_IMAGE=
 * (and TANK_IMAGE_DIGEST= when known), SYSLOG_IDENTIFIER= (log_identifier,
 * or the container's name) and PRIORITY= 6 for stdout, 3 for stderr. A
 * journald stream cannot carry such fields, so the workload writes into
 * pipes the monitor reads (or the monitor feeds what it reads from the PTY).
 *
 * The monitor sends, and it lives in the container's scope: journald
 * attributes every line to the scope (_SYSTEMD_UNIT=), as it did the
 * streams. Lines follow journald's stream rules: split at '\n', and a line
 * longer than LOG_RELAY_LINE_MAX (journald's LineMax=, 48 KiB) is cut into
 * entries of that size; bytes are sent as they are (non-UTF-8 and NUL
 * included: journald keeps such a value as binary data); a partial last line
 * goes out at EOF. A journal that is not there (no socket, refused) makes a
 * line go to the shim's own stdout or stderr (the fallback fds) instead of
 * being lost. A journald whose queue is full never blocks the monitor's loop
 * (stop signals, attach): the relay stops reading its pipes and tries again
 * every 10 ms, so a burst journald reads within a second arrives whole (the
 * workload waits on its full pipe meanwhile). Held longer, the relay drops
 * lines and counts them, and the next line that goes through is preceded by
 * an entry with the container's fields saying "N lines dropped: the journal
 * did not keep up" (TANK_DROPPED=N; at the end log_relay_finish() sends it on
 * its own). */

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "shim-config.h"

#define LOG_RELAY_LINE_MAX (48U * 1024U)

typedef enum LogRelayStream {
        LOG_RELAY_STDOUT,
        LOG_RELAY_STDERR,
        _LOG_RELAY_STREAM_MAX,
} LogRelayStream;

typedef struct LogRelay LogRelay;

/* fallback_out/fallback_err are borrowed and must stay open. */
int log_relay_new(const ShimConfig *c, int fallback_out, int fallback_err, LogRelay **ret);
LogRelay *log_relay_free(LogRelay *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(LogRelay *, log_relay_free);

/* A pipe for stream s: the write end is the caller's (for the workload,
 * CLOEXEC, to be closed in the monitor once the workload has it); the
 * relay keeps the read end. */
int log_relay_open_pipe(LogRelay *r, LogRelayStream s, int *ret_write_fd);
/* Read the pipes on e from now on. */
int log_relay_attach(LogRelay *r, sd_event *e);
/* Bytes read elsewhere (the PTY): split into lines of stream s. */
void log_relay_feed(LogRelay *r, LogRelayStream s, const char *buf, size_t n);
/* The workload is gone: read the pipes until every writer closed them (at
 * most timeout_usec), send the partial last lines, and wait until journald
 * has taken in what was sent (its Synchronize call), so that it still finds
 * this process in the scope when it reads the lines. */
void log_relay_finish(LogRelay *r, uint64_t timeout_usec);
