/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between config.c (files, sections, keys) and config-numbers.c (the
 * numeric values). Not a public API. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define SEC_UNSET UINT64_MAX
#define PIDS_UNSET UINT64_MAX
#define SIZE_UNSET (UINT64_MAX - 1)   /* UINT64_MAX is "infinity" */

/* Everything the parser needs besides the config itself. The *_origin strings
 * ("file:line") remember where a key was last set, so that a conflict found
 * only after all files were read still points at a line. */
typedef struct ParseState {
        TankConfig *config;

        const char *path;              /* file being parsed, for messages */
        const char *buf;
        size_t len, pos;
        unsigned line;
        bool line_indented;
        bool had_key;                  /* a key since the last [Section] header */

        char **warnings;
        char *error;
        unsigned error_line;           /* 0 when the error is not about one line */

        char *store_data_dir_origin;   /* set only when explicitly configured */
        char *endpoints_origin;
        char *peers_origin;
        char *peer_tls_origin;
        char *adapter_origin;
        char *base_origin;
        char *cap_origin;
        char *key_file_origin;
        char *node_origin;             /* the last [Node] time span set */
} ParseState;

/* Records the first error only ("FILE:LINE: ..."); returns -EINVAL. */
_printf_(2, 3)
int config_state_error(ParseState *s, const char *format, ...);
/* The words of a value separated by spaces and tabs (none for ""). */
int config_split_words(const char *value, char ***ret);
/* Remembers "FILE:LINE" of the current line in *origin. */
int config_state_origin(ParseState *s, char **origin);

/* Parsers for one Key=Value. value is never NULL; "" means "reset". */
typedef int (*ValueParser)(ParseState *s, const char *key, const char *value, void *data);

/* Shared key parsers (config.c): an absolute normalized path ("" clears);
 * a whitespace-separated list whose every word valid() accepts ("" clears). */
int config_key_path(ParseState *s, const char *key, const char *value, void *data);
int config_key_list(ParseState *s, const char *key, const char *value, char ***l,
                    bool (*valid)(const char *), const char *what);
/* An error about a conflict, named by where the key was set: -EINVAL. */
_printf_(3, 4)
int config_origin_error(ParseState *s, const char *origin, const char *format, ...);

/* [Store] Endpoints=, Peers=, PeerCertFile=/PeerKeyFile=/PeerTrustedCAFile=
 * (config-store.c), and their fit once every file was read. */
int config_key_endpoints(ParseState *s, const char *key, const char *value, void *data);
int config_key_peers(ParseState *s, const char *key, const char *value, void *data);
int config_key_peer_tls(ParseState *s, const char *key, const char *value, void *data);
int config_verify_store_peers(ParseState *s);

int config_key_sec(ParseState *s, const char *key, const char *value, void *data);
int config_key_pids(ParseState *s, const char *key, const char *value, void *data);
int config_key_max_size(ParseState *s, const char *key, const char *value, void *data);
int config_key_min_free(ParseState *s, const char *key, const char *value, void *data);
int config_key_node_name(ParseState *s, const char *key, const char *value, void *data);
int config_key_node_labels(ParseState *s, const char *key, const char *value, void *data);
int config_key_node_sec(ParseState *s, const char *key, const char *value, void *data);
/* [Node] defaults (after [Restart]'s); -EINVAL with a message when the host
 * name is no node name and Name= is unset. */
int config_fill_node_defaults(TankConfig *c, char **ret_error);
/* The lease range and the fence inequality: -EINVAL with a message. */
int config_verify_node(const TankConfig *c, char **ret_error);
int config_key_history_limit(ParseState *s, const char *key, const char *value, void *data);
int config_key_update_check_sec(ParseState *s, const char *key, const char *value, void *data);
