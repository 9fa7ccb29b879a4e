/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <net/if.h>
#include <stdint.h>

#include "config.h"
#include "config-values.h"
#include "time-util.h"

static bool has_control_chars(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

bool config_path_is_valid(const char *p) {
        if (!p || p[0] != '/' || has_control_chars(p) || strlen(p) >= 4096)
                return false;
        if (streq(p, "/"))
                return true;

        /* Normalized: no empty, "." or ".." components and no trailing slash,
         * so that the same directory is always spelled the same way. */
        for (const char *c = p + 1;;) {
                size_t n = strcspn(c, "/");

                if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                if (c[n] == 0)
                        return true;
                c += n + 1;
        }
}

bool config_ifname_is_valid(const char *s) {
        if (isempty(s) || strlen(s) >= IFNAMSIZ || streq(s, ".") || streq(s, ".."))
                return false;
        for (; *s; s++)
                if (*s == '/' || *s == ':' || isspace((unsigned char) *s) ||
                    (unsigned char) *s < 0x21 || (unsigned char) *s >= 0x7f)
                        return false;
        return true;
}

bool config_ip_is_valid(const char *s) {
        unsigned char buf[sizeof(struct in6_addr)];

        return s && (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1);
}

static bool port_is_valid(const char *s, size_t n) {
        unsigned long v = 0;

        if (n == 0 || n > 5)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (!isdigit((unsigned char) s[i]))
                        return false;
                v = v * 10 + (unsigned long) (s[i] - '0');
        }
        return v >= 1 && v <= 65535;
}

/* host[:port] where host is a DNS name (labels of [A-Za-z0-9-]) or an IPv4
 * literal, or a bracketed IPv6 literal. */
static bool hostport_is_valid(const char *s, size_t len) {
        const char *colon;
        size_t hlen;

        if (len == 0 || len > 255)
                return false;

        if (s[0] == '[') {
                const char *close = memchr(s, ']', len);
                char buf[INET6_ADDRSTRLEN + 1];
                struct in6_addr a;
                size_t alen;

                if (!close)
                        return false;
                alen = (size_t) (close - s - 1);
                if (alen == 0 || alen >= sizeof buf)
                        return false;
                memcpy(buf, s + 1, alen);
                buf[alen] = 0;
                if (inet_pton(AF_INET6, buf, &a) != 1)
                        return false;
                if ((size_t) (close - s + 1) == len)
                        return true;
                if (close[1] != ':')
                        return false;
                return port_is_valid(close + 2, len - (size_t) (close - s) - 2);
        }

        colon = memchr(s, ':', len);
        hlen = colon ? (size_t) (colon - s) : len;
        if (colon && !port_is_valid(colon + 1, len - hlen - 1))
                return false;
        if (hlen == 0)
                return false;

        for (size_t i = 0, label = 0; i < hlen; i++) {
                char c = s[i];

                if (c == '.') {
                        if (label == 0 || s[i - 1] == '-')
                                return false;
                        label = 0;
                        continue;
                }
                if (!isalnum((unsigned char) c) && c != '-')
                        return false;
                if (c == '-' && label == 0)
                        return false;
                if (++label > 63)
                        return false;
        }
        return s[hlen - 1] != '.' && s[hlen - 1] != '-';
}

bool config_registry_is_valid(const char *s) {
        return s && !strchr(s, '/') && hostport_is_valid(s, strlen(s));
}

bool config_url_is_valid(const char *s, const char * const *schemes) {
        const char *rest = NULL;
        size_t hlen;

        if (!s || has_control_chars(s) || strchr(s, ' '))
                return false;
        for (const char * const *i = schemes; *i; i++) {
                const char *p = startswith(s, *i);

                if (p && (p = startswith(p, "://"))) {
                        rest = p;
                        break;
                }
        }
        if (!rest)
                return false;

        hlen = strcspn(rest, "/?#");
        return hostport_is_valid(rest, hlen);
}

int config_parse_size(const char *s, uint64_t *ret_bytes) {
        static const struct {
                char suffix;
                uint64_t factor;
        } units[] = {
                { 'B', 1 },
                { 'K', UINT64_C(1) << 10 },
                { 'M', UINT64_C(1) << 20 },
                { 'G', UINT64_C(1) << 30 },
                { 'T', UINT64_C(1) << 40 },
                { 'P', UINT64_C(1) << 50 },
                { 'E', UINT64_C(1) << 60 },
        };
        uint64_t total = 0;
        bool any = false;

        if (!s)
                return -EINVAL;

        for (const char *p = s;;) {
                uint64_t n = 0, frac = 0, frac_div = 1, factor = 1;
                int r;

                while (*p == ' ' || *p == '\t')
                        p++;
                if (*p == 0)
                        break;
                r = parse_decimal_run(&p, &n);
                if (r < 0)
                        return r;
                if (*p == '.') {
                        p++;
                        if (!isdigit((unsigned char) *p))
                                return -EINVAL;
                        for (; isdigit((unsigned char) *p); p++)
                                if (frac_div < UINT64_C(1000000000)) {  /* finer digits do not matter */
                                        frac = frac * 10 + (uint64_t) (*p - '0');
                                        frac_div *= 10;
                                }
                }
                while (*p == ' ' || *p == '\t')
                        p++;
                if (isalpha((unsigned char) *p)) {
                        bool found = false;

                        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                                if (*p == units[i].suffix) {
                                        factor = units[i].factor;
                                        found = true;
                                        break;
                                }
                        if (!found || isalpha((unsigned char) p[1]))
                                return -EINVAL;
                        p++;
                }
                /* "1.5" bytes is no size */
                if (frac > 0 && factor == 1)
                        return -EINVAL;

                if (n > UINT64_MAX / factor)
                        return -ERANGE;
                n *= factor;
                /* frac < frac_div <= 10^9 and factor <= 2^60: split to stay in range */
                uint64_t part = frac * (factor / frac_div) + frac * (factor % frac_div) / frac_div;
                if (n > UINT64_MAX - part)
                        return -ERANGE;
                n += part;
                if (total > UINT64_MAX - n)
                        return -ERANGE;
                total += n;
                any = true;
        }

        if (!any)
                return -EINVAL;
        if (total >= UINT64_MAX - 1)   /* both are sentinels: "infinity" and "unset" */
                return -ERANGE;
        *ret_bytes = total;
        return 0;
}
