/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Journal entries sent without ever blocking, for the event loops that send
 * them (the shim's output relay, tankd's events and health lines): journald's
 * native protocol (https://systemd.io/JOURNAL_NATIVE_PROTOCOL/) written here
 * on a non-blocking AF_UNIX/SOCK_DGRAM socket, where sd_journal_sendv() blocks
 * for as long as journald's queue is full, stalling everything else on the
 * loop (a shim's stop signals and attach, tankd's bus).
 *
 * When journald's queue is full (EAGAIN) journal_sender_send() drops the
 * entry and counts it; the next entry that goes through is preceded by one
 * that says how many were dropped (journal_sender_set_note()).
 * journal_sender_try() leaves the entry to its caller instead, which can hold
 * its input for a while: a full queue is also a burst journald has not read
 * yet (its receive queue is net.unix.max_dgram_qlen datagrams, 512 under
 * systemd), not only a stalled journald. No queue of ours: it would only fill
 * too, holding memory for as long as a stall lasts; what was lost is said.
 *
 * An entry too large for a datagram goes as a sealed memfd passed with
 * SCM_RIGHTS, as sd-journal does. The fields are the same as
 * sd_journal_sendv()'s: journald attributes an entry by the sender's
 * credentials and cgroup, as before. Nothing here logs. */

#include <stdint.h>
#include <sys/uio.h>

#include "macro.h"

#define JOURNAL_SOCKET_DEFAULT "/run/systemd/journal/socket"

/* The native protocol's encoding of fields ("KEY=value" each, as for
 * sd_journal_sendv()): "KEY=value\n", or, for a value with a newline,
 * "KEY\n", its length as 64-bit little endian, the value, "\n". -EINVAL for
 * a field without "=" or with an empty key. */
int journal_entry_encode(const struct iovec *fields, size_t n, char **ret, size_t *ret_len);

typedef struct JournalSender JournalSender;

/* socket_path NULL: JOURNAL_SOCKET_DEFAULT. */
int journal_sender_new(const char *socket_path, JournalSender **ret);
JournalSender *journal_sender_free(JournalSender *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(JournalSender *, journal_sender_free);

/* The fields of the entry that reports drops, besides MESSAGE= (which says
 * "N <what> dropped ...") and TANK_DROPPED=N: e.g. the relay's identity, so
 * that the note is where the lost lines would have been. Copied. */
int journal_sender_set_note(JournalSender *s, const char *what, const struct iovec *fields, size_t n);

/* 0: sent. -EAGAIN: journald's queue is full, dropped and counted. Other
 * errors (no journald: -ENOENT, -ECONNREFUSED) are the caller's to handle
 * (the relay then writes the line to its own output). */
int journal_sender_send(JournalSender *s, const struct iovec *fields, size_t n);

/* As journal_sender_send(), but -EAGAIN neither drops nor counts: the entry
 * is the caller's to send again (the relay holds its pipe meanwhile). */
int journal_sender_try(JournalSender *s, const struct iovec *fields, size_t n);

/* The note, if entries were dropped since the last one went out: for the
 * end, when no later entry would carry it. 0 when there is nothing to say
 * or it went out. */
int journal_sender_flush(JournalSender *s);

/* Entries dropped since the last note went out. */
uint64_t journal_sender_dropped(const JournalSender *s);
