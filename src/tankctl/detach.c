/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "detach.h"
#include "macro.h"

int detach_keys_parse(const char *s, DetachKeys *ret) {
        DetachKeys k = {};

        if (isempty(s))
                return -EINVAL;
        for (const char *p = s;;) {
                size_t n = strcspn(p, ",");
                const char *ctrl = startswith(p, "ctrl-");

                if (k.len >= DETACH_KEYS_MAX)
                        return -E2BIG;
                if (ctrl && n == 6) {
                        char c = ctrl[0];

                        if (c >= 'a' && c <= 'z')
                                k.seq[k.len++] = (uint8_t) (c - 'a' + 1);
                        else if (c == '@' || c == '[' || c == '\\' || c == ']' || c == '^' || c == '_')
                                k.seq[k.len++] = (uint8_t) (c - '@');
                        else
                                return -EINVAL;
                } else if (n == 1 && (unsigned char) p[0] >= 0x20 && (unsigned char) p[0] < 0x7f)
                        k.seq[k.len++] = (uint8_t) p[0];
                else
                        return -EINVAL;

                if (p[n] == 0)
                        break;
                p += n + 1;
        }
        *ret = k;
        return 0;
}

void detach_matcher_init(DetachMatcher *m, const DetachKeys *keys) {
        *m = (DetachMatcher) { .keys = *keys };
}

/* One byte through the matcher; forwarded bytes are appended at out[*o]. */
static bool feed_byte(DetachMatcher *m, uint8_t b, uint8_t *out, size_t *o) {
        uint8_t pending[DETACH_KEYS_MAX + 1];
        size_t n_pending;

        if (b == m->keys.seq[m->matched]) {
                if (++m->matched == m->keys.len)
                        return true;
                return false;
        }

        /* Mismatch: the held-back prefix plus b. Its first byte cannot start
         * a match any more (else we would be matching from there); forward it
         * and run the rest through again, since a later suffix may still be
         * the start of the sequence ("ctrl-p ctrl-p ctrl-q" detaches). */
        memcpy(pending, m->keys.seq, m->matched);
        pending[m->matched] = b;
        n_pending = m->matched + 1;
        m->matched = 0;

        out[(*o)++] = pending[0];
        for (size_t i = 1; i < n_pending; i++)
                if (feed_byte(m, pending[i], out, o))
                        return true;
        return false;
}

bool detach_matcher_feed(DetachMatcher *m, const uint8_t *in, size_t n, uint8_t *out, size_t *ret_out_len) {
        size_t o = 0;

        if (m->keys.len == 0) {
                memcpy(out, in, n);
                *ret_out_len = n;
                return false;
        }
        for (size_t i = 0; i < n; i++)
                if (feed_byte(m, in[i], out, &o)) {
                        *ret_out_len = o;
                        return true;
                }
        *ret_out_len = o;
        return false;
}
