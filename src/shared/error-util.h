/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The `char **ret_error` half of a library-style failure (docs/CODING_STYLE.md):
 * one formatter, so that modules sharing a check (fs-type.h) and its callers
 * word and log their messages alike. */

#include <stdarg.h>

#include "macro.h"

/* Replaces *ret_error (if ret_error is not NULL) with the formatted message, in
 * which %m is strerror(-r); logs it at debug level; returns r. An allocation
 * failure leaves *ret_error NULL. */
int error_set(char **ret_error, int r, const char *format, ...) _printf_(3, 4);
