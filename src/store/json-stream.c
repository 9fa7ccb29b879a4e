/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "json-stream.h"

void json_stream_init(JsonStream *j, size_t max_size) {
        *j = (JsonStream) { .max_size = max_size };
}

void json_stream_done(JsonStream *j) {
        free(j->buf);
        j->buf = NULL;
        json_stream_init(j, j->max_size);
}

void json_stream_reset(JsonStream *j) {
        size_t m = j->max_size;
        char *b = j->buf;
        size_t a = j->allocated;

        *j = (JsonStream) { .max_size = m, .buf = b, .allocated = a };
}

bool json_stream_pending(const JsonStream *j) {
        return j->size > 0;
}

static int append(JsonStream *j, const char *p, size_t n) {
        if (n == 0)
                return 0;
        if (j->size + n + 1 > j->allocated) {
                size_t a = MAX(j->allocated * 2, j->size + n + 1);
                char *b;

                a = MIN(MAX(a, (size_t) 256), j->max_size + 1);
                b = realloc(j->buf, a);
                if (!b)
                        return -ENOMEM;
                j->buf = b;
                j->allocated = a;
        }
        memcpy(j->buf + j->size, p, n);
        j->size += n;
        return 0;
}

int json_stream_feed(JsonStream *j, const char *p, size_t n, JsonStreamMessage cb, void *userdata,
                     const char **ret_error) {
        size_t start = 0;
        int r;

        if (j->failed) {
                *ret_error = "stream already failed";
                return -EBADMSG;
        }

        for (size_t i = 0; i < n; i++) {
                char c = p[i];

                if (j->size == 0 && i == start) {
                        /* between messages */
                        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                                start = i + 1;
                                continue;
                        }
                        if (c != '{') {
                                j->failed = true;
                                *ret_error = "expected a JSON object";
                                return -EBADMSG;
                        }
                }

                if (j->size + (i - start) + 1 > j->max_size) {
                        j->failed = true;
                        *ret_error = "message too large";
                        return -EMSGSIZE;
                }

                if (j->in_string) {
                        if (j->escape)
                                j->escape = false;
                        else if (c == '\\')
                                j->escape = true;
                        else if (c == '"')
                                j->in_string = false;
                        continue;
                }

                if (c == '"')
                        j->in_string = true;
                else if (c == '{' || c == '[') {
                        if (++j->depth > JSON_STREAM_DEPTH_MAX) {
                                j->failed = true;
                                *ret_error = "nested too deeply";
                                return -EBADMSG;
                        }
                } else if (c == '}' || c == ']') {
                        if (j->depth == 0) {
                                j->failed = true;
                                *ret_error = "unbalanced brackets";
                                return -EBADMSG;
                        }
                        if (--j->depth == 0) {
                                r = append(j, p + start, i + 1 - start);
                                if (r < 0)
                                        return r;
                                j->buf[j->size] = 0;
                                start = i + 1;

                                size_t sz = j->size;
                                j->size = 0;
                                r = cb(j->buf, sz, userdata);
                                if (r < 0) {
                                        *ret_error = NULL;
                                        return r;
                                }
                        }
                }
        }

        return append(j, p + start, n - start);
}
