/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <time.h>

#define USEC_INFINITY UINT64_MAX
#ifndef USEC_PER_SEC
#define USEC_PER_SEC UINT64_C(1000000)
#endif
#ifndef USEC_PER_MSEC
#define USEC_PER_MSEC UINT64_C(1000)
#endif

static inline uint64_t now_usec(clockid_t clock) {
        struct timespec ts;
        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

static inline uint64_t now_realtime_usec(void) {
        return now_usec(CLOCK_REALTIME);
}

static inline uint64_t now_monotonic_usec(void) {
        return now_usec(CLOCK_MONOTONIC);
}

/* "30", "500ms", "2min", "1h 30min": a systemd-style time span; a bare number
 * means seconds. Units: us, ms, s/sec, m/min, h/hr, d. Overflow is -ERANGE,
 * anything else malformed -EINVAL. */
int parse_sec(const char *s, uint64_t *ret_usec);

/* The run of decimal digits at *p (at least one, else -EINVAL; -ERANGE past
 * UINT64_MAX), *p moved past it: the number part of parse_sec() and of
 * config's sizes. */
int parse_decimal_run(const char **p, uint64_t *ret);
