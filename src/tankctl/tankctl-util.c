/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/stat.h>
#include <time.h>

#include "escape.h"
#include "json-guard.h"
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

const char *json_string(yajl_val v, const char *key) {
        return json_guard_string(json_guard_get(v, key));
}

bool json_int(yajl_val v, const char *key, long long *ret) {
        return json_guard_int(json_guard_get(v, key), LLONG_MIN, LLONG_MAX, ret) >= 0;
}

#define JSON_DEPTH_MAX 64

void json_print_string(FILE *f, const char *s) {
        size_t n;

        fputc('"', f);
        for (const char *p = s; *p; p += n) {
                unsigned char c = *p;

                n = utf8_printable_len(p);
                if (n > 1) {
                        fwrite(p, 1, n, f);
                        continue;
                }
                n = 1;
                switch (c) {
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                case '\t':
                        fputs("\\t", f);
                        break;
                case '\r':
                        fputs("\\r", f);
                        break;
                default:
                        if (c < 0x80 && c >= 0x20 && c != 0x7f)
                                fputc(c, f);
                        else if (c < 0x80)
                                fprintf(f, "\\u%04x", c);
                        else if (c == 0xc2 && (unsigned char) p[1] >= 0x80 && (unsigned char) p[1] <= 0x9f) {
                                /* a C1 control (U+009B is CSI): the same character, escaped */
                                fprintf(f, "\\u%04x", (unsigned char) p[1]);
                                n = 2;
                        } else
                                /* JSON has no bytes; yajl let none through, but be sure */
                                fputs("\\ufffd", f);
                }
        }
        fputc('"', f);
}

/* yajl's trees are malloc()ed strings, freed with free(): replace in place. */
static int escape_in_place(char **s) {
        char *e;

        if (str_is_terminal_safe(*s))
                return 0;
        e = str_escape_control(*s);
        if (!e)
                return -ENOMEM;
        free(*s);
        *s = e;
        return 0;
}

static int json_escape_strings_depth(yajl_val v, unsigned depth) {
        int r;

        if (depth > JSON_DEPTH_MAX)
                return -E2BIG;
        if (YAJL_IS_STRING(v))
                return escape_in_place(&v->u.string);
        if (YAJL_IS_OBJECT(v))
                for (size_t i = 0; i < v->u.object.len; i++) {
                        r = escape_in_place((char **) &v->u.object.keys[i]);
                        if (r < 0)
                                return r;
                        r = json_escape_strings_depth(v->u.object.values[i], depth + 1);
                        if (r < 0)
                                return r;
                }
        else if (YAJL_IS_ARRAY(v))
                for (size_t i = 0; i < v->u.array.len; i++) {
                        r = json_escape_strings_depth(v->u.array.values[i], depth + 1);
                        if (r < 0)
                                return r;
                }
        return 0;
}

static void indent(FILE *f, unsigned depth) {
        for (unsigned i = 0; i < depth; i++)
                fputs("  ", f);
}

/* Our own printer rather than yajl_gen's beautifier, which spreads empty
 * arrays and objects over several lines. */
static int json_print_value(FILE *f, yajl_val v, unsigned depth) {
        if (depth > JSON_DEPTH_MAX)
                return -E2BIG;

        if (YAJL_IS_STRING(v))
                json_print_string(f, v->u.string);
        else if (YAJL_IS_NUMBER(v))
                fputs(v->u.number.r, f);
        else if (YAJL_IS_TRUE(v))
                fputs("true", f);
        else if (YAJL_IS_FALSE(v))
                fputs("false", f);
        else if (YAJL_IS_OBJECT(v)) {
                if (v->u.object.len == 0) {
                        fputs("{}", f);
                        return 0;
                }
                fputs("{\n", f);
                for (size_t i = 0; i < v->u.object.len; i++) {
                        int r;

                        indent(f, depth + 1);
                        json_print_string(f, v->u.object.keys[i]);
                        fputs(": ", f);
                        r = json_print_value(f, v->u.object.values[i], depth + 1);
                        if (r < 0)
                                return r;
                        fputs(i + 1 < v->u.object.len ? ",\n" : "\n", f);
                }
                indent(f, depth);
                fputc('}', f);
        } else if (YAJL_IS_ARRAY(v)) {
                if (v->u.array.len == 0) {
                        fputs("[]", f);
                        return 0;
                }
                fputs("[\n", f);
                for (size_t i = 0; i < v->u.array.len; i++) {
                        int r;

                        indent(f, depth + 1);
                        r = json_print_value(f, v->u.array.values[i], depth + 1);
                        if (r < 0)
                                return r;
                        fputs(i + 1 < v->u.array.len ? ",\n" : "\n", f);
                }
                indent(f, depth);
                fputc(']', f);
        } else
                fputs("null", f);
        return 0;
}

int json_escape_strings(yajl_val v) {
        return json_escape_strings_depth(v, 0);
}

/* Print {"key1": v1, "key2": v2} indented; key2 may be NULL. */
int json_pretty_print(FILE *f, const char *key1, yajl_val v1, const char *key2, yajl_val v2) {
        int r;

        fputs("{\n  ", f);
        json_print_string(f, key1);
        fputs(": ", f);
        r = json_print_value(f, v1, 1);
        if (r >= 0 && key2) {
                fputs(",\n  ", f);
                json_print_string(f, key2);
                fputs(": ", f);
                r = json_print_value(f, v2, 1);
        }
        fputs("\n}\n", f);
        return r;
}
