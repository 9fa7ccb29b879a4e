/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Byte limits on images ([Images] in tank.conf(5)): a pull and an extraction
 * stop at them, so that a hostile or broken image (a gzip or zstd bomb, a
 * registry that declares huge layers) cannot fill the data directory's file
 * system. The daemon copies them from its TankConfig into the Puller
 * (puller_set_limits()) and the LayerStore (layer_store_set_limits()); library
 * defaults are "no limit", so tools and tests that set none behave as before.
 *
 * Sizes: what a layer unpacks to is the sum of its regular files' sizes as
 * their tar headers declare them, holes of sparse files included, hardlinks
 * counted once. That number is known from the headers alone, so the pull's scan
 * and the extraction agree on it and a file is refused before its data is
 * written, whatever the file system later does with holes. */

#include <stdint.h>

#include "macro.h"

#define IMAGE_SIZE_INFINITY UINT64_MAX

typedef struct ImageLimits {
        uint64_t max_layer_size;            /* compressed blob; IMAGE_SIZE_INFINITY: none */
        uint64_t max_unpacked_layer_size;   /* one layer unpacked */
        uint64_t max_image_size;            /* all layers, compressed and (separately) unpacked */
        uint64_t min_free_space;            /* bytes that must stay free; 0: none */
        unsigned min_free_percent;          /* if > 0: instead, this % of the file system's size */
} ImageLimits;

#define IMAGE_LIMITS_NONE ((ImageLimits) {                        \
                .max_layer_size = IMAGE_SIZE_INFINITY,            \
                .max_unpacked_layer_size = IMAGE_SIZE_INFINITY,   \
                .max_image_size = IMAGE_SIZE_INFINITY,            \
        })

#define IMAGE_SIZE_STR_MAX 32

/* "64M", "8G", "1536K", "123" (bytes): exact, in the largest base-1024 unit
 * that divides the value, as tank.conf(5) accepts it back; "infinity". */
const char *image_size_format(uint64_t v, char buf[static IMAGE_SIZE_STR_MAX]);

/* a + b, saturating at IMAGE_SIZE_INFINITY. */
static inline uint64_t image_size_add(uint64_t a, uint64_t b) {
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Refuses (-ENOSPC, *ret_error says why) when the file system of dir_fd would
 * have less than MinFreeSpace= available to unprivileged users after `need`
 * more bytes were written. what names the operation ("pull of X",
 * "layer sha256:..."). 0 when there is room or no floor is set. */
int image_limits_check_free(const ImageLimits *l, int dir_fd, uint64_t need, const char *what,
                            char **ret_error);
