/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Standard base64 (RFC 4648, with padding), as etcd's JSON gateway uses for
 * keys and values. Decoding is strict: no whitespace, correct padding only. */

#include "macro.h"

size_t store_base64_encoded_size(size_t n);
int store_base64_encode(const void *p, size_t n, char **ret);
/* ret is NUL-terminated (not counted in *ret_size) */
int store_base64_decode(const char *s, size_t len, char **ret, size_t *ret_size);
