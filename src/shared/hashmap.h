/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A small string-keyed hash map (chained, grows at load factor 1). The map
 * copies keys and never owns values: callers free values themselves, e.g. while
 * iterating before hashmap_free(). Iteration order is unspecified; removing the
 * current entry during HASHMAP_FOREACH is allowed. */

#include "macro.h"

typedef struct Hashmap Hashmap;

Hashmap *hashmap_new(void);
Hashmap *hashmap_free(Hashmap *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(Hashmap *, hashmap_free);

/* -EEXIST if the key is present (the value is left alone). */
int hashmap_put(Hashmap *h, const char *key, void *value);
/* Insert or replace; *ret_old (if given) gets the replaced value or NULL. */
int hashmap_replace(Hashmap *h, const char *key, void *value, void **ret_old);
void *hashmap_get(const Hashmap *h, const char *key);
void *hashmap_remove(Hashmap *h, const char *key);
size_t hashmap_size(const Hashmap *h);

/* Iterator state lives on the caller's stack. */
typedef struct HashmapIter {
        size_t bucket;
        void *next;
} HashmapIter;
bool hashmap_iterate(const Hashmap *h, HashmapIter *i, void **ret_value, const char **ret_key);

#define HASHMAP_FOREACH(v, h)                                                         \
        for (HashmapIter _i_##v = {}; hashmap_iterate((h), &_i_##v, (void **) &(v), NULL); )
