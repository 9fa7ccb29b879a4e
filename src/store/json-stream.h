/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Incremental framing of a stream of concatenated JSON objects (etcd's
 * /v3/watch answer): bytes go in in any split, whole top-level objects come
 * out. Only the structure is scanned (strings, escapes, nesting); the object is
 * then parsed with yajl. Limits make a hostile stream an error, not a crash:
 * a message larger than max_size or nested deeper than JSON_STREAM_DEPTH_MAX
 * (yajl_tree frees recursively), or anything but an object at top level. */

#include "macro.h"

#define JSON_STREAM_DEPTH_MAX 64U

typedef struct JsonStream {
        char *buf;
        size_t size, allocated, max_size;
        unsigned depth;
        bool in_string, escape;
        bool failed;
} JsonStream;

typedef int (*JsonStreamMessage)(const char *json, size_t len, void *userdata);

void json_stream_init(JsonStream *j, size_t max_size);
void json_stream_done(JsonStream *j);
void json_stream_reset(JsonStream *j);
/* Calls cb for every completed object, with a NUL-terminated copy. Returns a
 * negative errno (and *ret_error, static string) on a framing error; a negative
 * return of cb is passed through. */
int json_stream_feed(JsonStream *j, const char *p, size_t n, JsonStreamMessage cb, void *userdata,
                     const char **ret_error);
/* Whether a partial object is buffered (a stream that ends here was cut). */
bool json_stream_pending(const JsonStream *j);
