/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Restart backoff (DESIGN.md "Configuration", [Restart]):
 *   delay(n) = min(base · 2^(n-1), cap) before the restart that follows the n-th
 *   consecutive failure (n >= 1), and the failure count drops back to zero once
 *   a container has run StableSec without exiting — unlike systemd's
 *   RestartSteps=, which never forgets (systemd #43813).
 * Pure arithmetic on usec values, so it is tested without clocks. */

#include <stdint.h>

#include "macro.h"

typedef struct BackoffPolicy {
        uint64_t base_usec;
        uint64_t cap_usec;
        uint64_t stable_usec;
} BackoffPolicy;

typedef struct Backoff {
        unsigned failures;          /* consecutive failures not yet forgiven */
} Backoff;

/* Delay before the next start after `failures` consecutive failures (0 -> 0). */
uint64_t backoff_delay(const BackoffPolicy *p, unsigned failures);

/* Record an exit of a run that lasted ran_usec; returns the delay to wait
 * before starting again. A run of at least stable_usec resets the count first,
 * so a container that crashes once a day restarts after `base`, not after `cap`. */
uint64_t backoff_record_exit(Backoff *b, const BackoffPolicy *p, uint64_t ran_usec);

/* A run has lasted stable_usec: forget earlier failures. */
void backoff_reset(Backoff *b);
