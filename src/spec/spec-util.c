/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <net/if.h>

#include "spec-util.h"

bool path_is_absolute_normalized(const char *p) {
        if (!p || p[0] != '/')
                return false;
        if (streq(p, "/"))
                return true;
        for (const char *c = p + 1;; ) {
                const char *e = strchrnul(c, '/');
                size_t l = e - c;

                if (l == 0 || (l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                if (!*e)
                        return true;
                c = e + 1;
        }
}

bool ifname_is_valid(const char *s) {
        size_t n;

        if (!s)
                return false;
        n = strlen(s);
        if (n < 1 || n >= IFNAMSIZ || streq(s, ".") || streq(s, ".."))
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-' || c == '.'))
                        return false;
        }
        return true;
}

bool env_name_is_valid(const char *s, size_t len) {
        if (len == 0)
                return false;
        for (size_t i = 0; i < len; i++)
                if (s[i] == '=' || (unsigned char) s[i] < 0x20 || s[i] == 0x7f)
                        return false;
        return true;
}

int parse_ipv4_cidr(const char *s, struct in_addr *ret_addr, unsigned *ret_prefixlen) {
        char buf[INET_ADDRSTRLEN];
        const char *slash = strchr(s, '/'), *d;
        struct in_addr a;
        unsigned long n = 0;
        size_t l;

        if (!slash)
                return -EINVAL;
        l = slash - s;
        if (l == 0 || l >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, l);
        buf[l] = 0;
        if (inet_pton(AF_INET, buf, &a) != 1)
                return -EINVAL;
        d = slash + 1;
        if (!*d || strlen(d) > 10 || (d[0] == '0' && d[1]))
                return -EINVAL;
        for (; *d; d++) {
                if (*d < '0' || *d > '9')
                        return -EINVAL;
                n = n * 10 + (*d - '0');
        }
        *ret_prefixlen = n > UINT32_MAX ? UINT32_MAX : (unsigned) n;
        if (n > 32)
                return -ERANGE;
        *ret_addr = a;
        return 0;
}

int parse_size(const char *s, uint64_t *ret) {
        uint64_t v = 0, mul = 1;
        const char *p = s;

        if (*p < '0' || *p > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                if (v > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                v = v * 10 + (*p - '0');
        }
        if (*p) {
                static const char suffixes[] = "KMGT";
                const char *k = strchr(suffixes, *p);
                if (!k || p[1])
                        return -EINVAL;
                for (const char *i = suffixes; i <= k; i++)
                        mul *= 1024;
        }
        if (v > (uint64_t) INT64_MAX / mul)
                return -ERANGE;
        *ret = v * mul;
        return 0;
}

int env_assignment_compare(const void *a, const void *b) {
        const char *x = *(const char * const *) a, *y = *(const char * const *) b;
        size_t kx = strcspn(x, "="), ky = strcspn(y, "=");
        int r = memcmp(x, y, MIN(kx, ky));

        if (r != 0)
                return r;
        if (kx != ky)
                return kx < ky ? -1 : 1;
        return strcmp(x + kx, y + ky);
}
