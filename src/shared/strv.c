/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "strv.h"

size_t strv_length(char * const *l) {
        size_t n = 0;
        STRV_FOREACH(s, l)
                n++;
        return n;
}

char **strv_copy(char * const *l) {
        size_t n = strv_length(l);
        char **c = calloc(n + 1, sizeof(char *));
        if (!c)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                c[i] = strdup(l[i]);
                if (!c[i])
                        return strv_free(c);
        }
        return c;
}

int strv_consume(char ***l, char *value) {
        size_t n = strv_length(*l);
        char **c;

        if (!value)
                return -ENOMEM;
        c = realloc(*l, (n + 2) * sizeof(char *));
        if (!c) {
                free(value);
                return -ENOMEM;
        }
        c[n] = value;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *value) {
        return strv_consume(l, strdup(value));
}

int strv_extend_strv(char ***a, char * const *b) {
        STRV_FOREACH(s, b) {
                int r = strv_extend(a, *s);
                if (r < 0)
                        return r;
        }
        return 0;
}

char *strv_join(char * const *l, const char *sep) {
        size_t k = strlen(sep), n = 1;
        char *r, *p;

        STRV_FOREACH(s, l)
                n += strlen(*s) + k;
        p = r = malloc(n);
        if (!r)
                return NULL;
        *p = 0;
        STRV_FOREACH(s, l) {
                if (s != l)
                        p = stpcpy(p, sep);
                p = stpcpy(p, *s);
        }
        return r;
}

bool strv_contains(char * const *l, const char *s) {
        STRV_FOREACH(i, l)
                if (streq(*i, s))
                        return true;
        return false;
}

bool strv_equal(char * const *a, char * const *b) {
        if (!a || !b)
                return a == b;
        for (; *a && *b; a++, b++)
                if (!streq(*a, *b))
                        return false;
        return !*a && !*b;
}

static char **env_find(char * const *l, const char *key, size_t keylen) {
        STRV_FOREACH(s, l)
                if (strneq(*s, key, keylen) && (*s)[keylen] == '=')
                        return (char **) s;
        return NULL;
}

int strv_env_set(char ***l, const char *assignment) {
        const char *eq = strchr(assignment, '=');
        char **slot, *c;

        if (!eq || eq == assignment)
                return -EINVAL;
        slot = env_find(*l, assignment, eq - assignment);
        if (!slot)
                return strv_extend(l, assignment);
        c = strdup(assignment);
        if (!c)
                return -ENOMEM;
        free(*slot);
        *slot = c;
        return 0;
}

const char *strv_env_get(char * const *l, const char *key) {
        size_t n = strlen(key);
        char **s = env_find(l, key, n);
        return s ? *s + n + 1 : NULL;
}
