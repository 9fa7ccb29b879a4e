/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "backoff.h"

uint64_t backoff_delay(const BackoffPolicy *p, unsigned failures) {
        uint64_t d = p->base_usec;

        if (failures == 0)
                return 0;
        /* Doubling stops as soon as the cap is reached, so no shift overflows. */
        for (unsigned i = 1; i < failures && d < p->cap_usec; i++)
                d = d > UINT64_MAX / 2 ? UINT64_MAX : d * 2;
        return MIN(d, p->cap_usec);
}

uint64_t backoff_record_exit(Backoff *b, const BackoffPolicy *p, uint64_t ran_usec) {
        if (ran_usec >= p->stable_usec)
                b->failures = 0;
        if (b->failures < UINT32_MAX)
                b->failures++;
        return backoff_delay(p, b->failures);
}

void backoff_reset(Backoff *b) {
        b->failures = 0;
}
