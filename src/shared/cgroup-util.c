/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cgroup-util.h"
#include "fs-util.h"

const char *cgroup_layout_to_string(CgroupLayout l) {
        switch (l) {
        case CGROUP_LAYOUT_LEGACY:
                return "legacy";
        case CGROUP_LAYOUT_HYBRID:
                return "hybrid";
        case CGROUP_LAYOUT_UNIFIED:
                return "unified";
        }
        return NULL;
}

static bool fs_is(const char *path, long magic) {
        struct statfs fs;

        return statfs(path, &fs) >= 0 && (fs.f_type & 0xFFFFFFFFL) == (magic & 0xFFFFFFFFL);
}

int cgroup_layout_detect(CgroupLayout *ret) {
        if (fs_is(CGROUP_ROOT, CGROUP2_SUPER_MAGIC))
                *ret = CGROUP_LAYOUT_UNIFIED;
        else if (!fs_is(CGROUP_ROOT, TMPFS_MAGIC))
                return -ENOMEDIUM;
        else if (fs_is(CGROUP_ROOT "/unified", CGROUP2_SUPER_MAGIC))
                *ret = CGROUP_LAYOUT_HYBRID;
        else
                *ret = CGROUP_LAYOUT_LEGACY;
        return 0;
}

int cgroup_proc_foreach(const char *text, cgroup_proc_cb_t cb, void *userdata) {
        for (const char *line = text; line && *line;) {
                const char *end = strchrnul(line, '\n'), *c1, *c2;
                _cleanup_free_ char *controllers = NULL, *path = NULL;
                int r;

                /* ID:CONTROLLERS:PATH; PATH itself may hold ':'. */
                c1 = memchr(line, ':', (size_t) (end - line));
                c2 = c1 ? memchr(c1 + 1, ':', (size_t) (end - c1 - 1)) : NULL;
                if (c1 && c2 && c1 > line && c2 + 1 < end && c2[1] == '/') {
                        controllers = strndup(c1 + 1, (size_t) (c2 - c1 - 1));
                        path = strndup(c2 + 1, (size_t) (end - c2 - 1));
                        if (!controllers || !path)
                                return -ENOMEM;
                        r = cb(controllers, path, userdata);
                        if (r < 0)
                                return r;
                }
                line = *end ? end + 1 : NULL;
        }
        return 0;
}

static bool controllers_have(const char *controllers, const char *controller) {
        size_t n = strlen(controller);

        if (n == 0)
                return controllers[0] == 0;
        for (const char *p = controllers; *p;) {
                size_t l = strcspn(p, ",");
                if (l == n && strneq(p, controller, n))
                        return true;
                p += l;
                if (*p == ',')
                        p++;
        }
        return false;
}

typedef struct FindArgs {
        const char *controller;
        char *controllers, *path;
} FindArgs;

static int find_cb(const char *controllers, const char *path, void *userdata) {
        FindArgs *a = userdata;

        /* The first match wins; the kernel never prints a controller twice. */
        if (a->path || !controllers_have(controllers, a->controller))
                return 0;
        a->controllers = strdup(controllers);
        a->path = strdup(path);
        return a->controllers && a->path ? 0 : -ENOMEM;
}

int cgroup_proc_find(const char *text, const char *controller, char **ret_controllers, char **ret_path) {
        FindArgs a = { .controller = controller };
        int r;

        r = cgroup_proc_foreach(text, find_cb, &a);
        if (r >= 0 && !a.path)
                r = -ENOENT;
        if (r < 0) {
                free(a.controllers);
                free(a.path);
                return r;
        }
        if (ret_controllers)
                *ret_controllers = a.controllers;
        else
                free(a.controllers);
        *ret_path = a.path;
        return 0;
}

int cgroup_hierarchy_dir(CgroupLayout layout, const char *controllers, char **ret) {
        const char *name;
        char *s;

        if (isempty(controllers)) {
                if (layout == CGROUP_LAYOUT_LEGACY)
                        return -ENOMEDIUM;
                s = strdup(layout == CGROUP_LAYOUT_UNIFIED ? CGROUP_ROOT : CGROUP_ROOT "/unified");
        } else {
                if (layout == CGROUP_LAYOUT_UNIFIED)
                        return -ENOMEDIUM;
                /* systemd mounts a named hierarchy under its name alone. */
                name = startswith(controllers, "name=") ?: controllers;
                if (isempty(name) || strchr(name, '/') || streq(name, ".") || streq(name, ".."))
                        return -EINVAL;
                if (asprintf(&s, CGROUP_ROOT "/%s", name) < 0)
                        s = NULL;
        }
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int cgroup_file_path(CgroupLayout layout, const char *proc, const char *controller, const char *file,
                     char **ret) {
        _cleanup_free_ char *controllers = NULL, *path = NULL, *dir = NULL;
        char *s;
        int r;

        r = cgroup_proc_find(proc, controller, &controllers, &path);
        if (r < 0)
                return r;
        r = cgroup_hierarchy_dir(layout, controllers, &dir);
        if (r < 0)
                return r;
        /* The root cgroup's PATH is "/". asprintf() leaves its target undefined
         * on failure: build in a local, *ret is set only on success. */
        if (asprintf(&s, "%s%s/%s", dir, streq(path, "/") ? "" : path, file) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

void cgroup_oom_kill_file(CgroupLayout layout, const char **ret_controller, const char **ret_file) {
        if (layout == CGROUP_LAYOUT_UNIFIED) {
                *ret_controller = "";
                *ret_file = "memory.events";
        } else {
                *ret_controller = "memory";
                *ret_file = "memory.oom_control";
        }
}

int cgroup_keyed_value(const char *text, const char *key, uint64_t *ret) {
        size_t n = strlen(key);

        for (const char *line = text; line && *line;) {
                const char *end = strchrnul(line, '\n');

                if ((size_t) (end - line) > n + 1 && strneq(line, key, n) && line[n] == ' ') {
                        char *e;
                        unsigned long long v;

                        errno = 0;
                        v = strtoull(line + n + 1, &e, 10);
                        if (errno != 0 || e == line + n + 1 || e != end)
                                return -EBADMSG;
                        *ret = v;
                        return 0;
                }
                line = *end ? end + 1 : NULL;
        }
        return -ENODATA;
}

int cgroup_proc_read(pid_t pid, char **ret) {
        char path[64];

        if (pid == 0)
                snprintf(path, sizeof path, "/proc/self/cgroup");
        else
                snprintf(path, sizeof path, "/proc/%d/cgroup", (int) pid);
        return read_file_capped(AT_FDCWD, path, 1024 * 1024, 0, 0, ret, NULL);
}

/* A path that ends in "/<unit>", or has it as a component: the process is in
 * the unit's own cgroup in this hierarchy (or in one below it). */
static bool path_is_unit(const char *path, const char *unit) {
        size_t n = strlen(unit);

        for (const char *p = strstr(path, unit); p; p = strstr(p + 1, unit))
                if (p > path && p[-1] == '/' && (p[n] == '\0' || p[n] == '/'))
                        return true;
        return false;
}

int cgroup_read_file(CgroupLayout layout, const char *proc, const char *unit, const char *controller,
                     const char *file, size_t max, char **ret) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (unit) {
                _cleanup_free_ char *cg = NULL, *controllers = NULL;

                r = cgroup_proc_find(proc, controller, &controllers, &cg);
                if (r < 0)
                        return r;
                if (!path_is_unit(cg, unit))
                        return -ENOENT;
        }
        r = cgroup_file_path(layout, proc, controller, file, &path);
        if (r < 0)
                return r;
        return read_file_capped(AT_FDCWD, path, max, O_NONBLOCK, 0, ret, NULL);
}

int cgroup_parse_u64(const char *text, uint64_t *ret) {
        unsigned long long v;
        char *end;

        errno = 0;
        v = strtoull(text, &end, 10);
        if (errno != 0 || end == text || *text == '-')
                return -EBADMSG;
        while (*end == '\n' || *end == ' ')
                end++;
        if (*end != '\0')
                return -EBADMSG;
        *ret = v;
        return 0;
}

int cgroup_oom_kill_count(pid_t pid, uint64_t *ret) {
        _cleanup_free_ char *proc = NULL, *text = NULL;
        const char *controller, *file;
        CgroupLayout layout;
        int r;

        r = cgroup_layout_detect(&layout);
        if (r < 0)
                return r;
        r = cgroup_proc_read(pid, &proc);
        if (r < 0)
                return r;
        cgroup_oom_kill_file(layout, &controller, &file);
        r = cgroup_read_file(layout, proc, NULL, controller, file, 64 * 1024, &text);
        if (r < 0)
                return r;
        return cgroup_keyed_value(text, "oom_kill", ret);
}
