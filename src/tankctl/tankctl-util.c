/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <time.h>
#include <yajl/yajl_gen.h>

#include "log.h"
#include "tankctl.h"

const char *input_name(const char *path) {
        return streq(path, "-") ? "<stdin>" : path;
}

int read_input(const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, alloc = 0;

        if (streq(path, "-"))
                fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
        else
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return log_error_errno(errno, "%s: %m", input_name(path)), EXIT_FAILURE;

        for (;;) {
                ssize_t k;

                if (len + 1 >= alloc) {
                        size_t n = alloc ? alloc * 2 : 64 * 1024;
                        char *p;

                        if (alloc > max + 1)
                                return log_error("%s: larger than %zu bytes", input_name(path), max),
                                       EXIT_FAILURE;
                        p = realloc(buf, n);
                        if (!p)
                                return log_oom(), EXIT_FAILURE;
                        buf = p;
                        alloc = n;
                }
                k = read(fd, buf + len, alloc - len - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(errno, "%s: %m", input_name(path)), EXIT_FAILURE;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > max)
                        return log_error("%s: larger than %zu bytes", input_name(path), max), EXIT_FAILURE;
        }
        if (!buf) {
                buf = strdup("");
                if (!buf)
                        return log_oom(), EXIT_FAILURE;
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

uint64_t now_realtime(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000) + (uint64_t) ts.tv_nsec / 1000;
}

/* kubectl-style, two units at most: "42s", "5m12s", "3h4m", "2d5h". */
void format_age(char *buf, size_t n, uint64_t usec) {
        uint64_t s = usec / UINT64_C(1000000);

        if (s < 60)
                snprintf(buf, n, "%" PRIu64 "s", s);
        else if (s < 3600)
                snprintf(buf, n, "%" PRIu64 "m%" PRIu64 "s", s / 60, s % 60);
        else if (s < 86400)
                snprintf(buf, n, "%" PRIu64 "h%" PRIu64 "m", s / 3600, (s % 3600) / 60);
        else
                snprintf(buf, n, "%" PRIu64 "d%" PRIu64 "h", s / 86400, (s % 86400) / 3600);
}

yajl_val json_get(yajl_val v, const char *key) {
        if (!YAJL_IS_OBJECT(v))
                return NULL;
        for (size_t i = 0; i < v->u.object.len; i++)
                if (streq(v->u.object.keys[i], key))
                        return v->u.object.values[i];
        return NULL;
}

const char *json_string(yajl_val v, const char *key) {
        yajl_val s = json_get(v, key);

        return YAJL_IS_STRING(s) ? s->u.string : NULL;
}

bool json_int(yajl_val v, const char *key, long long *ret) {
        yajl_val i = json_get(v, key);

        if (!YAJL_IS_INTEGER(i))
                return false;
        *ret = YAJL_GET_INTEGER(i);
        return true;
}

#define JSON_DEPTH_MAX 64

static int gen_value(yajl_gen g, yajl_val v, unsigned depth) {
        if (depth > JSON_DEPTH_MAX)
                return -E2BIG;

        if (YAJL_IS_STRING(v))
                yajl_gen_string(g, (const unsigned char *) v->u.string, strlen(v->u.string));
        else if (YAJL_IS_NUMBER(v))
                yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
        else if (YAJL_IS_TRUE(v))
                yajl_gen_bool(g, 1);
        else if (YAJL_IS_FALSE(v))
                yajl_gen_bool(g, 0);
        else if (YAJL_IS_OBJECT(v)) {
                yajl_gen_map_open(g);
                for (size_t i = 0; i < v->u.object.len; i++) {
                        int r;

                        yajl_gen_string(g, (const unsigned char *) v->u.object.keys[i],
                                        strlen(v->u.object.keys[i]));
                        r = gen_value(g, v->u.object.values[i], depth + 1);
                        if (r < 0)
                                return r;
                }
                yajl_gen_map_close(g);
        } else if (YAJL_IS_ARRAY(v)) {
                yajl_gen_array_open(g);
                for (size_t i = 0; i < v->u.array.len; i++) {
                        int r = gen_value(g, v->u.array.values[i], depth + 1);

                        if (r < 0)
                                return r;
                }
                yajl_gen_array_close(g);
        } else
                yajl_gen_null(g);
        return 0;
}

/* Print {"key1": v1, "key2": v2} indented; key2 may be NULL. */
int json_pretty_print(FILE *f, const char *key1, yajl_val v1, const char *key2, yajl_val v2) {
        const unsigned char *buf;
        size_t len;
        yajl_gen g;
        int r;

        g = yajl_gen_alloc(NULL);
        if (!g)
                return -ENOMEM;
        (void) yajl_gen_config(g, yajl_gen_beautify, 1);
        (void) yajl_gen_config(g, yajl_gen_indent_string, "  ");

        yajl_gen_map_open(g);
        yajl_gen_string(g, (const unsigned char *) key1, strlen(key1));
        r = gen_value(g, v1, 0);
        if (r >= 0 && key2) {
                yajl_gen_string(g, (const unsigned char *) key2, strlen(key2));
                r = gen_value(g, v2, 0);
        }
        yajl_gen_map_close(g);

        if (r >= 0 && yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
                fwrite(buf, 1, len, f);
        else if (r >= 0)
                r = -ENOMEM;
        yajl_gen_free(g);
        return r;
}
