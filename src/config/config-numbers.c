/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The numeric keys of tank.conf: time spans, task counts, sizes. */

#include <ctype.h>
#include <stdlib.h>

#include "config.h"
#include "config-internal.h"
#include "time-util.h"

int config_key_sec(ParseState *s, const char *key, const char *value, void *data) {
        uint64_t *u = data;
        int r;

        if (isempty(value)) {
                *u = SEC_UNSET;
                return 0;
        }
        r = parse_sec(value, u);
        if (r == -ERANGE || (r >= 0 && *u == SEC_UNSET))
                return config_state_error(s, "%s=%s: time span too large", key, value);
        if (r < 0)
                return config_state_error(s, "%s=%s: not a time span (e.g. \"10\", \"500ms\", \"2min\")",
                                          key, value);

        if (streq(key, "BackoffBaseSec"))
                return config_state_origin(s, &s->base_origin);
        if (streq(key, "BackoffCapSec"))
                return config_state_origin(s, &s->cap_origin);
        return 0;
}

/* A task count: a positive integer, or "infinity" (also "0", as Podman's
 * --pids-limit=0) for none; empty: the default. */
int config_key_pids(ParseState *s, const char *key, const char *value, void *data) {
        uint64_t *u = data;
        unsigned long long v;
        char *end;

        if (isempty(value)) {
                *u = PIDS_UNSET;
                return 0;
        }
        if (streq(value, "infinity")) {
                *u = 0;
                return 0;
        }
        errno = 0;
        v = strtoull(value, &end, 10);
        if (!(value[0] >= '0' && value[0] <= '9') || *end || errno == ERANGE || v >= PIDS_UNSET)
                return config_state_error(s, "%s=%s: expected a number of tasks or \"infinity\"", key, value);
        *u = v;
        return 0;
}

/* [Rollout] HistoryLimit=: revisions kept per pod. At least 1: the revision
 * that runs is always in the history (undo and rollback read it there). */
int config_key_history_limit(ParseState *s, const char *key, const char *value, void *data) {
        unsigned *u = data;
        unsigned long long v;
        char *end;

        if (isempty(value)) {
                *u = 0;
                return 0;
        }
        errno = 0;
        v = strtoull(value, &end, 10);
        if (!(value[0] >= '0' && value[0] <= '9') || *end || errno == ERANGE || v < 1 || v > TANK_HISTORY_LIMIT_MAX)
                return config_state_error(s, "%s=%s: expected a number of revisions from 1 to %u", key, value,
                                          TANK_HISTORY_LIMIT_MAX);
        *u = (unsigned) v;
        return 0;
}

/* [Rollout] UpdateCheckSec=: how often image_update looks at the registry. At
 * least a second (tests use one); a sub-second period would only hammer it. */
int config_key_update_check_sec(ParseState *s, const char *key, const char *value, void *data) {
        uint64_t *u = data;
        int r;

        r = config_key_sec(s, key, value, data);
        if (r < 0 || *u == SEC_UNSET)
                return r;
        if (*u < USEC_PER_SEC)
                return config_state_error(s, "%s=%s: must be at least 1s", key, value);
        return 0;
}

/* [Images] Max*Size=: a size or "infinity"; 0 would refuse every image, so it
 * is refused here with the way to say "none". */
int config_key_max_size(ParseState *s, const char *key, const char *value, void *data) {
        uint64_t *u = data, v;
        int r;

        if (isempty(value)) {
                *u = SIZE_UNSET;
                return 0;
        }
        if (streq(value, "infinity")) {
                *u = UINT64_MAX;
                return 0;
        }
        r = config_parse_size(value, &v);
        if (r == -ERANGE)
                return config_state_error(s, "%s=%s: size too large", key, value);
        if (r < 0)
                return config_state_error(s, "%s=%s: expected a size (e.g. \"512M\", \"8G\") or \"infinity\"", key, value);
        if (v == 0)
                return config_state_error(s, "%s=0 would refuse every image; \"infinity\" means no limit", key);
        *u = v;
        return 0;
}

/* [Images] MinFreeSpace=: a size, or a percentage of the file system's size;
 * 0 (or 0%) turns the floor off. */
int config_key_min_free(ParseState *s, const char *key, const char *value, void *data) {
        TankConfig *c = s->config;
        const char *pct;
        uint64_t v;
        int r;

        c->images_min_free_percent = 0;
        if (isempty(value)) {
                c->images_min_free_space = SIZE_UNSET;
                return 0;
        }
        pct = strlen(value) > 0 && value[strlen(value) - 1] == '%' ? value + strlen(value) - 1 : NULL;
        if (pct) {
                unsigned long p;
                char *end;

                errno = 0;
                p = strtoul(value, &end, 10);
                if (!isdigit((unsigned char) value[0]) || end != pct || errno == ERANGE || p > 100)
                        return config_state_error(s, "%s=%s: expected a percentage from 0%% to 100%%", key, value);
                c->images_min_free_space = 0;
                c->images_min_free_percent = (unsigned) p;
                return 0;
        }
        r = config_parse_size(value, &v);
        if (r == -ERANGE)
                return config_state_error(s, "%s=%s: size too large", key, value);
        if (r < 0)
                return config_state_error(s, "%s=%s: expected a size (e.g. \"1G\") or a percentage (e.g. \"5%%\")",
                                          key, value);
        c->images_min_free_space = v;
        return 0;
}
