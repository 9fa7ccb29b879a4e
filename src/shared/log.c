/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

/* The one piece of process-wide state we allow: logging configuration, as systemd does. */
static int log_max_level = LOG_INFO;
static const char *log_prefix;

void log_set_max_level(int level) {
        log_max_level = level;
}

int log_get_max_level(void) {
        return log_max_level;
}

void log_set_prefix(const char *prefix) {
        log_prefix = prefix;
}

void log_parse_environment(void) {
        static const struct { const char *name; int level; } table[] = {
                { "debug", LOG_DEBUG }, { "info", LOG_INFO }, { "notice", LOG_NOTICE },
                { "warning", LOG_WARNING }, { "err", LOG_ERR }, { "error", LOG_ERR },
        };
        const char *e = getenv("TANK_LOG_LEVEL");

        if (!e)
                return;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (streq(e, table[i].name))
                        log_max_level = table[i].level;
}

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) {
        char buf[4096];
        va_list ap;
        int saved = errno;

        (void) file; (void) line; (void) func;

        /* %m must print the error we were handed, not whatever errno is now. */
        errno = error;
        va_start(ap, format);
        (void) vsnprintf(buf, sizeof buf, format, ap);
        va_end(ap);

        if (getenv("JOURNAL_STREAM"))
                fprintf(stderr, "<%i>%s\n", level, buf);
        else if (log_prefix)
                fprintf(stderr, "%s: %s\n", log_prefix, buf);
        else
                fprintf(stderr, "%s\n", buf);

        errno = saved;
        return -(error ?: 1);
}
