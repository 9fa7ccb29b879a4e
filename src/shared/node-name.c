/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <string.h>

#include "macro.h"
#include "node-name.h"

bool node_name_is_valid(const char *s) {
        size_t n;

        if (isempty(s))
                return false;
        n = strlen(s);
        if (n > NODE_NAME_MAX || s[0] == '-' || s[n - 1] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
                        return false;
        return true;
}

static bool label_word_is_valid(const char *s, size_t n, bool allow_empty) {
        if (n == 0)
                return allow_empty;
        if (n > 63 || !isalnum((unsigned char) s[0]) || !isalnum((unsigned char) s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!(isalnum((unsigned char) s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.'))
                        return false;
        return true;
}

static bool dns_subdomain_is_valid(const char *s, size_t n) {
        if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.' || s[0] == '-' || s[n - 1] == '-')
                return false;
        for (size_t i = 0; i < n; i++) {
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.'))
                        return false;
                if (s[i] == '.' && (s[i + 1] == '.' || s[i + 1] == '-' || (i > 0 && s[i - 1] == '-')))
                        return false;
        }
        return true;
}

bool node_label_is_valid(const char *s) {
        const char *eq, *slash, *name;

        if (isempty(s))
                return false;
        eq = strchr(s, '=');
        if (!eq)
                return false;
        slash = memchr(s, '/', (size_t) (eq - s));
        name = s;
        if (slash) {
                if (!dns_subdomain_is_valid(s, (size_t) (slash - s)))
                        return false;
                name = slash + 1;
        }
        return label_word_is_valid(name, (size_t) (eq - name), false) &&
               label_word_is_valid(eq + 1, strlen(eq + 1), true);
}
