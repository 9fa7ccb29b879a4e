/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The [Node] section: this host's name and labels in the fleet, its lease,
 * and the fence inequality (config.h, tank.conf(5)). */

#include <ctype.h>
#include <inttypes.h>
#include <unistd.h>

#include "config.h"
#include "config-internal.h"
#include "config-values.h"
#include "node-name.h"
#include "strv.h"

bool config_node_name_is_valid(const char *s) {
        return node_name_is_valid(s);
}

bool config_node_label_is_valid(const char *s) {
        return node_label_is_valid(s);
}

int config_key_node_name(ParseState *s, const char *key, const char *value, void *data) {
        char **p = data;

        if (isempty(value))
                return free_and_strdup(p, NULL);
        if (!config_node_name_is_valid(value))
                return config_state_error(s, "%s=%s: not a valid node name (a lowercase DNS label: 1 to %u "
                                          "characters of a-z, 0-9 and '-', no '-' at either end)",
                                          key, value, TANK_NODE_NAME_MAX);
        return free_and_strdup(p, value);
}

/* Every assignment appends; a key set again replaces its value where it was
 * first set; "" clears. */
int config_key_node_labels(ParseState *s, const char *key, const char *value, void *data) {
        _cleanup_strv_free_ char **words = NULL;
        char ***l = data;
        int r;

        if (isempty(value)) {
                *l = strv_free(*l);
                return 0;
        }
        r = config_split_words(value, &words);
        if (r < 0)
                return r;
        STRV_FOREACH(word, words) {
                _cleanup_free_ char *w = strdup(*word);
                size_t klen;
                bool replaced = false;

                if (!w)
                        return -ENOMEM;
                if (!config_node_label_is_valid(w))
                        return config_state_error(s, "%s=: \"%s\" is not a label KEY=VALUE (KEY [PREFIX/]NAME, "
                                                  "NAME and VALUE up to 63 characters of A-Z, a-z, 0-9, '-', '_' "
                                                  "and '.', beginning and ending alphanumeric)", key, w);
                klen = (size_t) (strchr(w, '=') - w) + 1;
                for (char **i = *l; i && *i; i++)
                        if (strncmp(*i, w, klen) == 0) {
                                free(*i);
                                *i = TAKE_PTR(w);
                                replaced = true;
                                break;
                        }
                if (replaced)
                        continue;
                if (strv_length(*l) >= TANK_NODE_LABELS_MAX)
                        return config_state_error(s, "%s=: more than %u labels", key, TANK_NODE_LABELS_MAX);
                if (strv_consume(l, TAKE_PTR(w)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* LeaseSec=, FenceSec=, RescheduleDelaySec=: time spans ("" is the default),
 * remembered with where they were set for the inequality's message. */
int config_key_node_sec(ParseState *s, const char *key, const char *value, void *data) {
        int r;

        r = config_key_sec(s, key, value, data);
        if (r < 0 || isempty(value))
                return r;
        return config_state_origin(s, &s->node_origin);
}

/* The host name as a node name: its first label, lowercased. */
static int node_name_from_hostname(char **ret) {
        char buf[256] = {};
        size_t n;

        if (gethostname(buf, sizeof(buf) - 1) < 0)
                return -errno;
        n = strcspn(buf, ".");
        buf[n] = 0;
        for (size_t i = 0; i < n; i++)
                buf[i] = (char) tolower((unsigned char) buf[i]);
        if (!config_node_name_is_valid(buf))
                return -EINVAL;
        return free_and_strdup(ret, buf) < 0 ? -ENOMEM : 0;
}

int config_fill_node_defaults(TankConfig *c, char **ret_error) {
        int r;

        if (!c->node_name) {
                r = node_name_from_hostname(&c->node_name);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        char buf[256] = {};

                        (void) gethostname(buf, sizeof(buf) - 1);
                        for (char *p = buf; *p; p++)
                                if ((unsigned char) *p < 0x20 || (unsigned char) *p >= 0x7f)
                                        *p = '?';
                        if (ret_error && asprintf(ret_error, "the host name \"%s\" is not a valid node name: "
                                                  "set [Node] Name=", buf) < 0)
                                *ret_error = NULL;
                        return -EINVAL;
                }
        }
        if (c->node_lease_usec == SEC_UNSET)
                c->node_lease_usec = TANK_NODE_LEASE_SEC_DEFAULT * USEC_PER_SEC;
        if (c->node_fence_usec == SEC_UNSET)
                c->node_fence_usec = c->node_lease_usec / 3 * 2;
        if (c->node_reschedule_delay_usec == SEC_UNSET)
                c->node_reschedule_delay_usec = TANK_NODE_RESCHEDULE_DELAY_SEC_DEFAULT * USEC_PER_SEC;
        return 0;
}

/* "1.5s" */
static const char *sec(char buf[static 32], uint64_t usec) {
        if (usec % USEC_PER_SEC == 0)
                snprintf(buf, 32, "%" PRIu64 "s", usec / USEC_PER_SEC);
        else
                snprintf(buf, 32, "%" PRIu64 ".%06" PRIu64 "s", usec / USEC_PER_SEC, usec % USEC_PER_SEC);
        return buf;
}

/* Spans go up to nearly UINT64_MAX (infinity): a sum must not wrap into a small one. */
static uint64_t add_saturated(uint64_t a, uint64_t b) {
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int config_verify_node(const TankConfig *c, char **ret_error) {
        char l[32], f[32], d[32], t[32], m[32];
        uint64_t lease = c->node_lease_usec, fence = c->node_fence_usec;
        int r;

        if (lease % USEC_PER_SEC != 0 || lease < TANK_NODE_LEASE_SEC_MIN * USEC_PER_SEC ||
            lease > TANK_NODE_LEASE_SEC_MAX * USEC_PER_SEC)
                r = asprintf(ret_error, "[Node] LeaseSec=%s: expected whole seconds from %u to %u",
                             sec(l, lease), TANK_NODE_LEASE_SEC_MIN, TANK_NODE_LEASE_SEC_MAX);
        else if (fence <= lease / 3 || fence >= lease)
                r = asprintf(ret_error, "[Node] FenceSec=%s must be longer than a keepalive period "
                             "(LeaseSec/3 = %s) and shorter than LeaseSec=%s",
                             sec(f, fence), sec(d, lease / 3), sec(l, lease));
        else if (add_saturated(add_saturated(fence, c->stop_timeout_usec), TANK_FENCE_MARGIN_USEC) >
                 add_saturated(lease, c->node_reschedule_delay_usec))
                r = asprintf(ret_error, "[Node] FenceSec=%s + [Restart] StopTimeoutSec=%s + %s margin must not "
                             "exceed [Node] LeaseSec=%s + RescheduleDelaySec=%s: a fenced node's pods could "
                             "still be stopping when another node may start them",
                             sec(f, fence), sec(t, c->stop_timeout_usec), sec(m, TANK_FENCE_MARGIN_USEC),
                             sec(l, lease), sec(d, c->node_reschedule_delay_usec));
        else
                return 0;
        if (r < 0)
                *ret_error = NULL;
        return r < 0 ? -ENOMEM : -EINVAL;
}
