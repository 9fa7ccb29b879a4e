/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "id-window.h"

struct IdWindow {
        Hashmap *set;           /* the ids in the window (keys; values unused) */
        char **ring;            /* the same ids, oldest at next once full */
        size_t max, n, next;
};

IdWindow *id_window_new(size_t max) {
        IdWindow *w;

        if (max == 0)
                return NULL;
        w = calloc(1, sizeof *w);
        if (!w)
                return NULL;
        w->max = max;
        w->set = hashmap_new();
        w->ring = calloc(max, sizeof *w->ring);
        if (!w->set || !w->ring)
                return id_window_free(w);
        return w;
}

IdWindow *id_window_free(IdWindow *w) {
        if (!w)
                return NULL;
        for (size_t i = 0; w->ring && i < w->n; i++)
                free(w->ring[i]);
        free(w->ring);
        hashmap_free(w->set);
        return mfree(w);
}

int id_window_add(IdWindow *w, const char *id) {
        char *copy;
        int r;

        if (hashmap_get(w->set, id))
                return 0;
        copy = strdup(id);
        if (!copy)
                return -ENOMEM;
        r = hashmap_put(w->set, id, w);
        if (r < 0) {
                free(copy);
                return r;
        }
        if (w->n == w->max) {
                /* Full: the oldest goes. */
                (void) hashmap_remove(w->set, w->ring[w->next]);
                free(w->ring[w->next]);
        } else
                w->n++;
        w->ring[w->next] = copy;
        w->next = (w->next + 1) % w->max;
        return 1;
}

size_t id_window_size(const IdWindow *w) {
        return w ? w->n : 0;
}
