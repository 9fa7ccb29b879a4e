/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>

#include "hashmap.h"

typedef struct Entry {
        struct Entry *next;
        void *value;
        char key[];
} Entry;

struct Hashmap {
        Entry **buckets;
        size_t n_buckets;
        size_t size;
};

/* FNV-1a: keys are short names we choose or validate, not attacker-chosen in
 * bulk, so a keyed hash is not needed here. */
static size_t hash_string(const char *s) {
        uint64_t h = 14695981039346656037ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ULL;
        return (size_t) h;
}

Hashmap *hashmap_new(void) {
        Hashmap *h = calloc(1, sizeof(Hashmap));
        if (!h)
                return NULL;
        h->n_buckets = 16;
        h->buckets = calloc(h->n_buckets, sizeof(Entry *));
        if (!h->buckets) {
                free(h);
                return NULL;
        }
        return h;
}

Hashmap *hashmap_free(Hashmap *h) {
        if (!h)
                return NULL;
        for (size_t i = 0; i < h->n_buckets; i++)
                for (Entry *e = h->buckets[i], *n; e; e = n) {
                        n = e->next;
                        free(e);
                }
        free(h->buckets);
        free(h);
        return NULL;
}

static Entry **find_slot(const Hashmap *h, const char *key) {
        Entry **p = &h->buckets[hash_string(key) % h->n_buckets];
        for (; *p; p = &(*p)->next)
                if (streq((*p)->key, key))
                        break;
        return p;
}

static void grow(Hashmap *h) {
        size_t n = h->n_buckets * 2;
        Entry **b = calloc(n, sizeof(Entry *));

        if (!b)
                return; /* a fuller table is slower, not wrong */
        for (size_t i = 0; i < h->n_buckets; i++)
                for (Entry *e = h->buckets[i], *next; e; e = next) {
                        size_t k = hash_string(e->key) % n;
                        next = e->next;
                        e->next = b[k];
                        b[k] = e;
                }
        free(h->buckets);
        h->buckets = b;
        h->n_buckets = n;
}

int hashmap_replace(Hashmap *h, const char *key, void *value, void **ret_old) {
        Entry **p = find_slot(h, key), *e;
        size_t l;

        if (*p) {
                if (ret_old)
                        *ret_old = (*p)->value;
                (*p)->value = value;
                return 0;
        }
        l = strlen(key);
        e = malloc(sizeof(Entry) + l + 1);
        if (!e)
                return -ENOMEM;
        memcpy(e->key, key, l + 1);
        e->value = value;
        e->next = NULL;
        *p = e;
        h->size++;
        if (h->size > h->n_buckets)
                grow(h);
        if (ret_old)
                *ret_old = NULL;
        return 1;
}

int hashmap_put(Hashmap *h, const char *key, void *value) {
        if (*find_slot(h, key))
                return -EEXIST;
        return hashmap_replace(h, key, value, NULL);
}

void *hashmap_get(const Hashmap *h, const char *key) {
        Entry *e = h ? *find_slot(h, key) : NULL;
        return e ? e->value : NULL;
}

void *hashmap_remove(Hashmap *h, const char *key) {
        Entry **p, *e;
        void *v;

        if (!h)
                return NULL;
        p = find_slot(h, key);
        e = *p;
        if (!e)
                return NULL;
        *p = e->next;
        v = e->value;
        free(e);
        h->size--;
        return v;
}

size_t hashmap_size(const Hashmap *h) {
        return h ? h->size : 0;
}

bool hashmap_iterate(const Hashmap *h, HashmapIter *i, void **ret_value, const char **ret_key) {
        Entry *e = i->next;

        if (!h)
                return false;
        while (!e) {
                if (i->bucket >= h->n_buckets)
                        return false;
                e = h->buckets[i->bucket++];
        }
        /* Remember the successor first, so the caller may remove e. */
        i->next = e->next;
        if (ret_value)
                *ret_value = e->value;
        if (ret_key)
                *ret_key = e->key;
        return true;
}
