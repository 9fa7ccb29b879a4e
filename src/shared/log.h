/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Logging with systemd's shapes: log_error_errno(r, "Failed to …: %m") logs once
 * and returns r (always negative), so that callers can `return log_…_errno(…)`.
 * %m expands to strerror(-r), not to the current errno. Messages go to stderr,
 * one line each, with controls and invalid UTF-8 escaped (str_escape_control());
 * when stderr is the stream JOURNAL_STREAM names (device and inode compared,
 * not merely set) they carry <N> priority prefixes so the journal keeps the
 * level. Library-style modules log at debug only. */

#include <stdarg.h>
#include <syslog.h>

#include "macro.h"

void log_set_max_level(int level);
int log_get_max_level(void);
void log_parse_environment(void); /* TANK_LOG_LEVEL=debug|info|notice|warning|err */
void log_set_prefix(const char *prefix);   /* program name, or NULL */

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) _printf_(6, 7);

#define log_full_errno(level, error, ...)                                            \
        ({                                                                           \
                int _level_ = (level), _e_ = (error);                                \
                _e_ = _e_ < 0 ? -_e_ : _e_;                                          \
                (_level_ <= log_get_max_level())                                     \
                        ? log_internal(_level_, _e_, __FILE__, __LINE__, __func__,   \
                                       __VA_ARGS__)                                  \
                        : -(_e_ ?: 1);                                               \
        })

#define log_full(level, ...) (void) log_full_errno((level), 0, __VA_ARGS__)

#define log_debug(...)   log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)    log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...)  log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...)   log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(error, ...)   log_full_errno(LOG_DEBUG, error, __VA_ARGS__)
#define log_info_errno(error, ...)    log_full_errno(LOG_INFO, error, __VA_ARGS__)
#define log_notice_errno(error, ...)  log_full_errno(LOG_NOTICE, error, __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, error, __VA_ARGS__)
#define log_error_errno(error, ...)   log_full_errno(LOG_ERR, error, __VA_ARGS__)

#define log_oom() log_error_errno(ENOMEM, "Out of memory.")
