/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The detach sequence of exec and attach (Ctrl-P Ctrl-Q by default), matched
 * in the client's input stream the way docker and podman do it, but also when
 * the sequence is split across reads, and without losing a partial match that
 * fails: those bytes are passed on to the process unchanged. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DETACH_KEYS_MAX 16
#define DETACH_KEYS_DEFAULT "ctrl-p,ctrl-q"

typedef struct DetachKeys {
        uint8_t seq[DETACH_KEYS_MAX];
        size_t len;
} DetachKeys;

/* docker's syntax: comma-separated "ctrl-X" (X one of a-z @ [ \ ] ^ _) or
 * single printable characters, e.g. "ctrl-p,ctrl-q" or "ctrl-a,d".
 * -EINVAL on bad syntax, -E2BIG for more than DETACH_KEYS_MAX keys. */
int detach_keys_parse(const char *s, DetachKeys *ret);

typedef struct DetachMatcher {
        DetachKeys keys;
        size_t matched;     /* bytes of keys.seq held back so far */
} DetachMatcher;

void detach_matcher_init(DetachMatcher *m, const DetachKeys *keys);

/* Feed n input bytes. The bytes to forward are written to out, which must
 * have room for n + DETACH_KEYS_MAX bytes; *ret_out_len is their count.
 * Returns true once the whole sequence was seen: the caller detaches, and
 * input after the sequence is dropped. */
bool detach_matcher_feed(DetachMatcher *m, const uint8_t *in, size_t n, uint8_t *out, size_t *ret_out_len);
