/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* NULL-terminated string vectors, as systemd's strv. A NULL vector is the empty
 * vector for every reader; strv_free() (macro.h) frees both. */

#include "macro.h"

/* A NULL-terminated vector on the stack, for one call: STRV_MAKE("a", "b"). */
#define STRV_MAKE(...) ((char **) ((const char *[]) { __VA_ARGS__, NULL }))

size_t strv_length(char * const *l);
char **strv_copy(char * const *l);                 /* NULL on OOM; copy of NULL is an empty vector */
int strv_extend(char ***l, const char *value);     /* append a copy */
int strv_consume(char ***l, char *value);          /* append, taking ownership (freed on failure) */
int strv_extend_strv(char ***a, char * const *b);  /* append copies of all of b */
char *strv_join(char * const *l, const char *sep);
bool strv_contains(char * const *l, const char *s);
bool strv_equal(char * const *a, char * const *b); /* NULL equals NULL only */

/* KEY=VALUE environment vectors: set or replace KEY, keeping the position of an
 * existing entry (so image Env order is preserved when a spec overrides it). */
int strv_env_set(char ***l, const char *assignment);
const char *strv_env_get(char * const *l, const char *key);

#define STRV_FOREACH(s, l) for (char * const *s = (l); s && *s; s++)
