/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "unit-name.h"

static bool escape_keep(char c, bool first) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == ':' || c == '_')
                return true;
        /* systemd-escape also keeps '.', except as the first character. */
        return c == '.' && !first;
}

char *unit_name_escape(const char *s) {
        char *r = malloc(strlen(s) * 4 + 1), *p = r;

        if (!r)
                return NULL;
        for (const char *i = s; *i; i++) {
                if (*i == '/')
                        *p++ = '-';
                else if (escape_keep(*i, i == s))
                        *p++ = *i;
                else
                        p += sprintf(p, "\\x%02x", (unsigned char) *i);
        }
        *p = 0;
        return r;
}

int pod_slice_name(const char *pod, char **ret) {
        _cleanup_free_ char *e = unit_name_escape(pod);
        char *r;

        if (!e || asprintf(&r, "tank-pod-%s.slice", e) < 0)
                return -ENOMEM;
        *ret = r;
        return 0;
}

int container_scope_name(const char *pod, const char *container, char **ret) {
        _cleanup_free_ char *p = unit_name_escape(pod), *c = unit_name_escape(container);
        char *r;

        if (!p || !c || asprintf(&r, "tank-%s-%s.scope", p, c) < 0)
                return -ENOMEM;
        *ret = r;
        return 0;
}
