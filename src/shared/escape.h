/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Text from hostile sources (a registry's error body, an image's config, a
 * container's exit message, anything tankd relays) made safe for a terminal.
 *
 * Kept as is: valid UTF-8 that is not a control character, and the backslash
 * (unit names like tank-pod-my\x2dapp.slice must stay readable; the output is
 * for people, who can tell, and scripts read -o json).
 * Rendered as \xNN, one per byte: C0 controls (tab and newline too: every
 * field and message is one line, and a tab or a newline from outside would
 * forge columns or lines), DEL, the C1 controls U+0080..U+009F (\xc2\x9b for
 * U+009B CSI), and every byte that is not part of valid UTF-8 (a lone 0x9b,
 * which 8-bit terminals take as CSI; overlong forms; surrogates). */

#include <stdio.h>

#include "macro.h"

/* Length (1-4) of the printable UTF-8 character s starts with, or 0 when its
 * first byte must be escaped (a control, or not valid UTF-8). s is
 * NUL-terminated; NUL itself gives 0. */
size_t utf8_printable_len(const char *s);

/* The length of s[0, n) without a multi-byte UTF-8 sequence that n cuts
 * short: where text from outside is cut to a fixed size, the cut never splits
 * a character (sd-bus refuses invalid UTF-8; a terminal shows garbage).
 * Invalid bytes (a stray continuation byte, 0xc0, 0xf5..) are no character's
 * and may be cut anywhere: they stay, for str_escape_control to render. */
size_t utf8_cut_len(const char *s, size_t n);

/* snprintf that, when it truncates, cuts at a UTF-8 boundary (utf8_cut_len).
 * Returns the length written. size > 0. */
_printf_(3, 4) size_t snprintf_utf8(char *buf, size_t size, const char *fmt, ...);

/* True when str_escape_control(s) would change nothing. */
bool str_is_terminal_safe(const char *s);

/* A newly allocated escaped copy; NULL only when out of memory. NULL in, "" out. */
char *str_escape_control(const char *s);

/* Write s escaped to f (no newline added). 0, or -EIO after a write error. */
int fputs_escape_control(const char *s, FILE *f);
