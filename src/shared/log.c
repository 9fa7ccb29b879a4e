/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "escape.h"
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

/* systemd sets JOURNAL_STREAM=<dev>:<ino> for a service whose stderr is the
 * journal, and children inherit it even when a script has sent their stderr
 * elsewhere (a file, a pipe). Only the stream it names wants <N> prefixes, so
 * compare, as systemd's own log.c does. Asked per message: cheap, and right
 * after a dup2() onto stderr too. */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        uint64_t dev, ino;
        struct stat st;
        int n = 0;

        if (!e)
                return false;
        if (sscanf(e, "%" SCNu64 ":%" SCNu64 "%n", &dev, &ino, &n) != 2 || e[n] != 0)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (uint64_t) st.st_dev == dev && (uint64_t) st.st_ino == ino;
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

        /* Messages carry text from outside (registry error bodies, image
         * configs, exit messages, D-Bus errors): escaped, so that it can
         * neither drive the terminal nor forge a line in the journal. One
         * lock, so that threads do not interleave within a line. */
        flockfile(stderr);
        if (stderr_is_journal())
                fprintf(stderr, "<%i>", level);
        else if (log_prefix)
                fprintf(stderr, "%s: ", log_prefix);
        (void) fputs_escape_control(buf, stderr);
        fputc('\n', stderr);
        funlockfile(stderr);

        errno = saved;
        return -(error ?: 1);
}
