/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "escape.h"

static bool is_cont(unsigned char c) {
        return (c & 0xc0) == 0x80;
}

/* The length of the sequence lead starts, or 0 when it starts none. */
static size_t utf8_lead_len(unsigned char lead) {
        if (lead >= 0xc2 && lead <= 0xdf)
                return 2;
        if (lead >= 0xe0 && lead <= 0xef)
                return 3;
        if (lead >= 0xf0 && lead <= 0xf4)
                return 4;
        return 0;
}

size_t utf8_cut_len(const char *s, size_t n) {
        const unsigned char *p = (const unsigned char *) s;

        /* Back over at most three continuation bytes to the lead byte of the
         * last sequence: drop it whole if it needs more than is left. */
        for (size_t i = n, back = 0; i > 0 && back < 4; back++) {
                unsigned char c = p[--i];

                if (is_cont(c))
                        continue;
                return utf8_lead_len(c) > n - i ? i : n;
        }
        return n;
}

size_t snprintf_utf8(char *buf, size_t size, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vsnprintf(buf, size, fmt, ap);
        va_end(ap);
        if (r < 0) {
                buf[0] = 0;
                return 0;
        }
        if ((size_t) r < size)
                return (size_t) r;
        r = (int) utf8_cut_len(buf, size - 1);
        buf[r] = 0;
        return (size_t) r;
}

size_t utf8_printable_len(const char *s) {
        const unsigned char *p = (const unsigned char *) s;
        unsigned char lo = 0x80, hi = 0xbf;   /* the second byte's range (RFC 3629, section 4) */
        size_t n;

        if (p[0] < 0x80)
                return p[0] >= 0x20 && p[0] != 0x7f ? 1 : 0;

        if (p[0] >= 0xc2 && p[0] <= 0xdf)
                n = 2;
        else if (p[0] >= 0xe0 && p[0] <= 0xef) {
                n = 3;
                if (p[0] == 0xe0)
                        lo = 0xa0;      /* no overlong forms */
                else if (p[0] == 0xed)
                        hi = 0x9f;      /* no UTF-16 surrogates */
        } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
                n = 4;
                if (p[0] == 0xf0)
                        lo = 0x90;
                else if (p[0] == 0xf4)
                        hi = 0x8f;      /* nothing above U+10FFFF */
        } else
                return 0;               /* a continuation byte, 0xc0, 0xc1, 0xf5.. */

        if (p[1] < lo || p[1] > hi)
                return 0;
        for (size_t i = 2; i < n; i++)
                if (!is_cont(p[i]))     /* NUL is not one either: no overrun */
                        return 0;

        /* U+0080..U+009F: the C1 controls, CSI (U+009B) among them */
        if (p[0] == 0xc2 && p[1] <= 0x9f)
                return 0;
        return n;
}

bool str_is_terminal_safe(const char *s) {
        size_t n;

        if (!s)
                return true;
        for (; *s; s += n) {
                n = utf8_printable_len(s);
                if (n == 0)
                        return false;
        }
        return true;
}

char *str_escape_control(const char *s) {
        char *buf, *q;
        size_t n;

        if (!s)
                s = "";
        /* \xNN is four bytes for one: the worst case */
        buf = malloc(strlen(s) * 4 + 1);
        if (!buf)
                return NULL;
        for (q = buf; *s; s += n) {
                n = utf8_printable_len(s);
                if (n == 0) {
                        q += sprintf(q, "\\x%02x", (unsigned char) *s);
                        n = 1;
                } else {
                        memcpy(q, s, n);
                        q += n;
                }
        }
        *q = 0;
        return buf;
}

int fputs_escape_control(const char *s, FILE *f) {
        const char *run = s;
        size_t n;

        if (!s)
                return 0;
        /* Printable runs go out in one piece; only the bytes to escape are split off. */
        for (; *s; s += n) {
                n = utf8_printable_len(s);
                if (n > 0)
                        continue;
                if (s > run)
                        (void) fwrite(run, 1, s - run, f);
                fprintf(f, "\\x%02x", (unsigned char) *s);
                n = 1;
                run = s + 1;
        }
        if (s > run)
                (void) fwrite(run, 1, s - run, f);
        return ferror(f) ? -EIO : 0;
}
