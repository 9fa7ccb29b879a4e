/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>

#include "base64.h"

static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int unbase64char(char c) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -EINVAL;
}

size_t store_base64_encoded_size(size_t n) {
        return (n + 2) / 3 * 4;
}

int store_base64_encode(const void *p, size_t n, char **ret) {
        const uint8_t *x = p;
        char *buf, *o;

        if (n > SIZE_MAX / 2)
                return -ENOMEM;
        buf = malloc(store_base64_encoded_size(n) + 1);
        if (!buf)
                return -ENOMEM;

        o = buf;
        for (; n >= 3; n -= 3, x += 3) {
                *o++ = table[x[0] >> 2];
                *o++ = table[((x[0] & 3) << 4) | (x[1] >> 4)];
                *o++ = table[((x[1] & 15) << 2) | (x[2] >> 6)];
                *o++ = table[x[2] & 63];
        }
        if (n == 1) {
                *o++ = table[x[0] >> 2];
                *o++ = table[(x[0] & 3) << 4];
                *o++ = '=';
                *o++ = '=';
        } else if (n == 2) {
                *o++ = table[x[0] >> 2];
                *o++ = table[((x[0] & 3) << 4) | (x[1] >> 4)];
                *o++ = table[(x[1] & 15) << 2];
                *o++ = '=';
        }
        *o = 0;
        *ret = buf;
        return 0;
}

int store_base64_decode(const char *s, size_t len, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t pad = 0, m = 0;

        if (len % 4 != 0)
                return -EINVAL;
        if (len > 0 && s[len - 1] == '=')
                pad++;
        if (len > 1 && s[len - 2] == '=')
                pad++;

        buf = malloc(len / 4 * 3 + 1);
        if (!buf)
                return -ENOMEM;

        for (size_t i = 0; i < len; i += 4) {
                int a[4];
                bool last = i + 4 == len;

                for (size_t j = 0; j < 4; j++) {
                        if (last && s[i + j] == '=' && j >= 4 - pad) {
                                a[j] = 0;
                                continue;
                        }
                        a[j] = unbase64char(s[i + j]);
                        if (a[j] < 0)
                                return -EINVAL;
                }
                /* Non-canonical encodings (stray bits under the padding) are refused. */
                if (last && pad == 2 && (a[1] & 15))
                        return -EINVAL;
                if (last && pad == 1 && (a[2] & 3))
                        return -EINVAL;

                buf[m++] = (char) ((a[0] << 2) | (a[1] >> 4));
                if (!(last && pad == 2))
                        buf[m++] = (char) (((a[1] & 15) << 4) | (a[2] >> 2));
                if (!(last && pad >= 1))
                        buf[m++] = (char) (((a[2] & 3) << 6) | a[3]);
        }
        buf[m] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = m;
        return 0;
}
