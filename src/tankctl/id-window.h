/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The ids tankctl events printed last, to print an event once that arrives
 * twice (read from the journal and heard as a signal at the seam, or
 * reported again by a restarted tankd): a window of the newest max ids, the
 * oldest forgotten first, so that a follow that runs for months holds a
 * bounded set. A duplicate comes soon after the first (the seam is the
 * journal read; a restarted tankd reports again the exits it missed, its
 * pods' last ones), so a window of thousands holds every one that matters. */

#include <stddef.h>

#include "macro.h"

typedef struct IdWindow IdWindow;

/* max > 0. NULL when out of memory. */
IdWindow *id_window_new(size_t max);
IdWindow *id_window_free(IdWindow *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(IdWindow *, id_window_free);

/* 1 when id is new (now remembered, the oldest forgotten if the window was
 * full), 0 when it is in the window, -ENOMEM. */
int id_window_add(IdWindow *w, const char *id);
size_t id_window_size(const IdWindow *w);
