/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* tankctl's reading of the local journal, for logs and events. tankctl reads
 * it itself (sd-journal): reading needs root or membership in group
 * systemd-journal (or adm on Debian), as journalctl does; nothing goes
 * through tankd. */

#include <stdint.h>
#include <systemd/sd-journal.h>

#include "macro.h"

static inline void journal_closep(sd_journal **j) {
        sd_journal_close(*j);
}

/* A point in time for --since, as journalctl takes it (in local time):
 * "2026-12-01 20:15:00", "2026-12-01T20:15", "2026-12-01", "20:15[:00]"
 * (today), "now", "today", "yesterday", "@EPOCH[.FRACTION]", "-SPAN" or
 * "SPAN ago" (parse_sec: "-5min", "10s ago"). CLOCK_REALTIME usec. */
int parse_since(const char *s, uint64_t *ret_usec);

/* The value of field in the current entry (after "FIELD="), not
 * NUL-terminated: -ENOENT when the entry lacks it. */
int journal_field(sd_journal *j, const char *field, const void **ret_value, size_t *ret_len);
/* The same, copied as a string (NUL bytes refused with -EBADMSG). */
int journal_field_string(sd_journal *j, const char *field, char **ret);

/* Open the local journal; for a user who is neither root nor in group
 * systemd-journal or adm (who then sees only their own entries) print a
 * one-line hint first, as journalctl does. Prints its error. */
int journal_open_local(sd_journal **ret);

/* Matches on the fields journald itself sets (_SYSTEMD_UNIT=, _SYSTEMD_SLICE=,
 * _UID=), which no sender can forge: the TANK_* fields are the sender's word,
 * and any local user may write an entry carrying them (logger --journald).
 * journal_match_tankd: entries of tankd's unit, sent by root. Added to j's
 * current term (ANDed with matches of other fields). */
int journal_match_tankd(sd_journal *j);
/* Container output: lines sent from pod's slice (and, with container, from
 * that container's scope) by root, which the shim is, in a user-namespaced
 * pod too (only the workload enters the user namespace). */
int journal_match_container(sd_journal *j, const char *pod, const char *container);

/* tankd's own entries (events, health transitions) among a pod's: they carry
 * TANK_EVENT= or TANK_HEALTH=, which no container line does. */
bool journal_entry_is_tankd(sd_journal *j);
