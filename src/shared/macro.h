/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The small subset of systemd's internal macros that Tank relies on.
 * libsystemd does not export them, so we keep our own with the same shapes. */

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((__cleanup__(f)))
#define _unused_ __attribute__((__unused__))
#define _pure_ __attribute__((__pure__))
#define _const_ __attribute__((__const__))
#define _printf_(a, b) __attribute__((__format__(printf, a, b)))
#define _noreturn_ __attribute__((__noreturn__))
#define _likely_(x) (__builtin_expect(!!(x), 1))
#define _unlikely_(x) (__builtin_expect(!!(x), 0))
#define _warn_unused_result_ __attribute__((__warn_unused_result__))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define STRINGIFY(x) #x
#define XSTRINGIFY(x) STRINGIFY(x)

/* Take a pointer out of a variable so that its cleanup handler does not free it. */
#define TAKE_PTR(p)                                \
        ({                                         \
                __typeof__(p) *_pp_ = &(p);        \
                __typeof__(p) _ptr_ = *_pp_;       \
                *_pp_ = NULL;                      \
                _ptr_;                             \
        })

#define TAKE_FD(fd)                                \
        ({                                         \
                int *_fdp_ = &(fd);                \
                int _fd_ = *_fdp_;                 \
                *_fdp_ = -EBADF;                   \
                _fd_;                              \
        })

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)    \
        static inline void func##p(type *p) {      \
                if (*p)                            \
                        func(*p);                  \
        }

/* free() that says so: p = mfree(p); */
static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                (void) close(fd);
                errno = saved;
        }
        return -EBADF;
}

static inline void closep(int *fd) {
        safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}
#define _cleanup_closedir_ _cleanup_(closedirp)

/* A NULL-terminated string vector. */
static inline char **strv_free(char **l) {
        if (l) {
                for (char **i = l; *i; i++)
                        free(*i);
                free(l);
        }
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

#define streq(a, b) (strcmp((a), (b)) == 0)
#define strneq(a, b, n) (strncmp((a), (b), (n)) == 0)

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return streq(a, b);
}

static inline const char *strempty(const char *s) {
        return s ?: "";
}

static inline const char *strna(const char *s) {
        return s ?: "n/a";
}

static inline bool isempty(const char *s) {
        return !s || !*s;
}

static inline const char *startswith(const char *s, const char *prefix) {
        size_t l = strlen(prefix);
        return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

/* Replace *p by a copy of s (NULL allowed). */
static inline int free_and_strdup(char **p, const char *s) {
        char *t = NULL;
        if (s) {
                t = strdup(s);
                if (!t)
                        return -ENOMEM;
        }
        free(*p);
        *p = t;
        return 0;
}

/* Use as errno-preserving negative return: RET_NERRNO(open(...)) */
static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}
#define RET_NERRNO(expr)                           \
        ({                                         \
                __typeof__(expr) _r_ = (expr);     \
                _r_ < 0 ? negative_errno() : _r_;  \
        })

#define FOREACH_ARRAY(i, array, n) \
        for (__typeof__(*(array)) *i = (array); i && i < (array) + (n); i++)
