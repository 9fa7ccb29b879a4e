/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* cgroupfs for the two places that touch it directly (the shim's OOM counter,
 * tankd moving tank-exec into a container's scope); limits go through
 * systemd's unit properties and never through these files.
 *
 * Layouts, as systemd names them (detected from /sys/fs/cgroup):
 *   unified  /sys/fs/cgroup is cgroup2, every controller on it (Debian 12:
 *            systemd 252's default, kernel 6.1)
 *   hybrid   /sys/fs/cgroup is a tmpfs of v1 hierarchies
 *            (/sys/fs/cgroup/memory, .../cpu,cpuacct, .../systemd for
 *            name=systemd) plus cgroup2, without controllers, at
 *            /sys/fs/cgroup/unified
 *   legacy   the v1 hierarchies only
 *
 * /proc/PID/cgroup has one "ID:CONTROLLERS:PATH" line per hierarchy:
 * "0::PATH" is cgroup2 (the only line on a unified host), "4:memory:PATH",
 * "7:cpu,cpuacct:PATH" and "1:name=systemd:PATH" are v1 ones. PATH is relative
 * to the reader's cgroup namespace, as are the mounts under /sys/fs/cgroup. */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

typedef enum CgroupLayout {
        CGROUP_LAYOUT_LEGACY,
        CGROUP_LAYOUT_HYBRID,
        CGROUP_LAYOUT_UNIFIED,
} CgroupLayout;

const char *cgroup_layout_to_string(CgroupLayout l);

/* From the file system types of /sys/fs/cgroup and /sys/fs/cgroup/unified.
 * -ENOMEDIUM if /sys/fs/cgroup is neither cgroup2 nor a tmpfs. */
int cgroup_layout_detect(CgroupLayout *ret);

/* The line of the hierarchy `controller` in the text of a /proc/PID/cgroup:
 * "" the cgroup2 one ("0::PATH"), "memory", "pids" or "name=systemd" the v1
 * one whose comma-separated CONTROLLERS field has it. Returns the PATH and,
 * if wanted, the whole CONTROLLERS field ("cpu,cpuacct" for "cpu"), which
 * cgroup_hierarchy_dir() takes. -ENOENT if there is no such line. */
int cgroup_proc_find(const char *text, const char *controller, char **ret_controllers, char **ret_path);

/* Calls cb for each well-formed line of a /proc/PID/cgroup text, with its
 * CONTROLLERS field and its PATH (NUL-terminated copies); stops at and
 * returns the first negative value cb returns. */
typedef int (*cgroup_proc_cb_t)(const char *controllers, const char *path, void *userdata);
int cgroup_proc_foreach(const char *text, cgroup_proc_cb_t cb, void *userdata);

/* Where the hierarchy with that CONTROLLERS field is mounted in `layout`:
 *   ""              /sys/fs/cgroup (unified), /sys/fs/cgroup/unified (hybrid)
 *   "memory"        /sys/fs/cgroup/memory          (hybrid, legacy)
 *   "cpu,cpuacct"   /sys/fs/cgroup/cpu,cpuacct     (hybrid, legacy)
 *   "name=systemd"  /sys/fs/cgroup/systemd         (hybrid, legacy)
 * -ENOMEDIUM if the layout has no such hierarchy (a v1 one on a unified host,
 * cgroup2 on a legacy one), -EINVAL for a field that cannot be a directory. */
int cgroup_hierarchy_dir(CgroupLayout layout, const char *controllers, char **ret);

/* The file `file` of the cgroup that /proc/PID/cgroup text `proc` gives for
 * `controller` ("" for cgroup2), e.g. ("memory", "memory.oom_control") on
 * hybrid -> /sys/fs/cgroup/memory/tank.slice/…/tank-web-app.scope/memory.oom_control.
 * Errors of cgroup_proc_find() and cgroup_hierarchy_dir(). */
int cgroup_file_path(CgroupLayout layout, const char *proc, const char *controller, const char *file,
                     char **ret);

/* The cgroup file counters are read from, for Manager.Stats and the OOM
 * count alike: cgroup_file_path() of proc's cgroup, read (at most max bytes,
 * O_NONBLOCK). unit non-NULL: only when the cgroup in that hierarchy is the
 * unit's own (its path ends in "/<unit>" or has it as a component), -ENOENT
 * otherwise (a v1 controller systemd did not enable for the unit: never the
 * parent's figures). */
int cgroup_read_file(CgroupLayout layout, const char *proc, const char *unit, const char *controller,
                     const char *file, size_t max, char **ret);
/* A single-number cgroup file's text ("123\n"); -EBADMSG otherwise. */
int cgroup_parse_u64(const char *text, uint64_t *ret);

/* The memory controller's counter of kernel OOM kills in a cgroup, as a
 * (controller, file) for cgroup_file_path(): cgroup2's memory.events on a
 * unified host, v1's memory.oom_control (kernel >= 4.13) otherwise. Both
 * count the kills in the cgroup and below it, in an "oom_kill N" line. */
void cgroup_oom_kill_file(CgroupLayout layout, const char **ret_controller, const char **ret_file);

/* The N of the "KEY N" line of a flat-keyed cgroup file's text
 * (memory.events, memory.oom_control, pids.events). -ENODATA if none. */
int cgroup_keyed_value(const char *text, const char *key, uint64_t *ret);

/* Reads /proc/PID/cgroup (pid 0: self) into *ret. */
int cgroup_proc_read(pid_t pid, char **ret);

/* The OOM kill counter of the cgroup `pid` (0: self) is in, on this host's
 * layout: cgroup_proc_read() + cgroup_oom_kill_file() + cgroup_keyed_value(). */
int cgroup_oom_kill_count(pid_t pid, uint64_t *ret);
