/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus-names.h"
#include "journal-util.h"
#include "log.h"
#include "time-util.h"
#include "unit-name.h"

static int local_midnight(time_t t, int days_back, uint64_t *ret) {
        struct tm tm;

        if (!localtime_r(&t, &tm))
                return -EINVAL;
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        tm.tm_mday -= days_back;
        tm.tm_isdst = -1;
        t = mktime(&tm);
        if (t == (time_t) -1)
                return -EINVAL;
        *ret = (uint64_t) t * USEC_PER_SEC;
        return 0;
}

int parse_since(const char *s, uint64_t *ret_usec) {
        static const char *const formats[] = {
                "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d",
        };
        uint64_t now = now_realtime_usec(), span;
        time_t t = (time_t) (now / USEC_PER_SEC);
        size_t n = strlen(s);
        struct tm tm;

        if (streq(s, "now")) {
                *ret_usec = now;
                return 0;
        }
        if (streq(s, "today"))
                return local_midnight(t, 0, ret_usec);
        if (streq(s, "yesterday"))
                return local_midnight(t, 1, ret_usec);
        if (s[0] == '@') {
                char *end;
                double d;

                errno = 0;
                d = strtod(s + 1, &end);
                if (errno || end == s + 1 || *end || d < 0 || d > 1e11)
                        return -EINVAL;
                *ret_usec = (uint64_t) (d * 1e6);
                return 0;
        }
        if (s[0] == '-' || (n > 4 && streq(s + n - 4, " ago"))) {
                _cleanup_free_ char *x = s[0] == '-' ? strdup(s + 1) : strndup(s, n - 4);
                int r;

                if (!x)
                        return -ENOMEM;
                r = parse_sec(x, &span);
                if (r < 0)
                        return r;
                *ret_usec = span > now ? 0 : now - span;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(formats); i++) {
                const char *end;

                memset(&tm, 0, sizeof tm);
                end = strptime(s, formats[i], &tm);
                if (!end || *end)
                        continue;
                tm.tm_isdst = -1;
                t = mktime(&tm);
                if (t == (time_t) -1 || t < 0)
                        return -EINVAL;
                *ret_usec = (uint64_t) t * USEC_PER_SEC;
                return 0;
        }
        /* A time of day: today's. */
        memset(&tm, 0, sizeof tm);
        if (localtime_r(&t, &tm)) {
                const char *end = strptime(s, "%H:%M:%S", &tm);
                if (!end || *end)
                        end = strptime(s, "%H:%M", &tm);
                if (end && !*end) {
                        tm.tm_isdst = -1;
                        t = mktime(&tm);
                        if (t == (time_t) -1)
                                return -EINVAL;
                        *ret_usec = (uint64_t) t * USEC_PER_SEC;
                        return 0;
                }
        }
        return -EINVAL;
}

int journal_field(sd_journal *j, const char *field, const void **ret_value, size_t *ret_len) {
        size_t n = strlen(field), len;
        const void *data;
        int r;

        r = sd_journal_get_data(j, field, &data, &len);
        if (r < 0)
                return r;
        if (len < n + 1)
                return -EBADMSG;
        *ret_value = (const char *) data + n + 1;
        *ret_len = len - n - 1;
        return 0;
}

int journal_field_string(sd_journal *j, const char *field, char **ret) {
        const void *v;
        size_t len;
        char *s;
        int r;

        r = journal_field(j, field, &v, &len);
        if (r < 0)
                return r;
        if (memchr(v, 0, len))
                return -EBADMSG;
        s = strndup(v, len);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

bool journal_entry_is_tankd(sd_journal *j) {
        const void *v;
        size_t len;

        return journal_field(j, "TANK_EVENT", &v, &len) >= 0 || journal_field(j, "TANK_HEALTH", &v, &len) >= 0;
}

static int add_match(sd_journal *j, const char *field, const char *value) {
        _cleanup_free_ char *m = NULL;

        if (asprintf(&m, "%s=%s", field, value) < 0)
                return -ENOMEM;
        return sd_journal_add_match(j, m, 0);
}

int journal_match_tankd(sd_journal *j) {
        int r;

        r = add_match(j, "_SYSTEMD_UNIT", TANK_DAEMON_UNIT);
        if (r < 0)
                return r;
        return add_match(j, "_UID", "0");
}

int journal_match_container(sd_journal *j, const char *pod, const char *container) {
        _cleanup_free_ char *slice = NULL, *scope = NULL;
        int r;

        /* The slice: a scope's name alone is ambiguous across pods whose names
         * have dashes (pod "a-b" container "c", pod "a" container "b-c"). */
        r = pod_slice_name(pod, &slice);
        if (r < 0)
                return r;
        r = add_match(j, "_SYSTEMD_SLICE", slice);
        if (r < 0)
                return r;
        if (container) {
                r = container_scope_name(pod, container, &scope);
                if (r < 0)
                        return r;
                r = add_match(j, "_SYSTEMD_UNIT", scope);
                if (r < 0)
                        return r;
        }
        return add_match(j, "_UID", "0");
}

static bool in_group(const char *name) {
        struct group *g = getgrnam(name);
        gid_t groups[256];
        int n;

        if (!g)
                return false;
        if (getegid() == g->gr_gid)
                return true;
        n = getgroups(ELEMENTSOF(groups), groups);
        for (int i = 0; i < n; i++)
                if (groups[i] == g->gr_gid)
                        return true;
        return false;
}

int journal_open_local(sd_journal **ret) {
        int r;

        if (geteuid() != 0 && !in_group("systemd-journal") && !in_group("adm"))
                fputs("tankctl: hint: containers' output and tankd's events are in the system journal, which "
                      "only root and the groups systemd-journal and adm may read\n", stderr);
        r = sd_journal_open(ret, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
        if (r < 0)
                return log_error_errno(r, "cannot open the journal: %m");
        return 0;
}
