/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/container-stats.h"
#include "fs-util.h"
#include "macro.h"

#define STATS_FILE_MAX (256U * 1024U)

/* v1 writes "no limit" as the largest page-aligned signed value. */
#define V1_UNLIMITED (UINT64_C(1) << 62)

static int read_proc_file(pid_t pid, const char *name, char **ret) {
        char path[64];

        snprintf(path, sizeof path, "/proc/%d/%s", (int) pid, name);
        return read_file_capped(AT_FDCWD, path, STATS_FILE_MAX, O_NONBLOCK, 0, ret, NULL);
}

static int cgroup_read(CgroupLayout layout, const char *proc, const char *unit, const char *controller,
                       const char *file, char **ret) {
        return cgroup_read_file(layout, proc, unit, controller, file, STATS_FILE_MAX, ret);
}

static int cgroup_read_u64(CgroupLayout layout, const char *proc, const char *unit, const char *controller,
                           const char *file, uint64_t *ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = cgroup_read(layout, proc, unit, controller, file, &text);
        if (r < 0)
                return r;
        return cgroup_parse_u64(text, ret);
}

/* "max" is no limit: -ENODATA. */
static int cgroup_read_limit(CgroupLayout layout, const char *proc, const char *unit, const char *controller,
                             const char *file, uint64_t *ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = cgroup_read(layout, proc, unit, controller, file, &text);
        if (r < 0)
                return r;
        if (startswith(text, "max"))
                return -ENODATA;
        r = cgroup_parse_u64(text, ret);
        if (r >= 0 && *ret >= V1_UNLIMITED)
                return -ENODATA;
        return r;
}

int stats_parse_net_dev(const char *text, uint64_t *ret_rx, uint64_t *ret_tx) {
        uint64_t rx = 0, tx = 0;
        unsigned n = 0;

        /* Two header lines, then "  name: rx_bytes packets errs drop fifo
         * frame compressed multicast tx_bytes ...". */
        for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
                const char *colon = strchr(l, ':'), *eol = strchrnul(l, '\n');
                unsigned long long v[9];
                char name[64];
                size_t len;

                if (!colon || colon > eol)
                        continue;
                while (*l == ' ')
                        l++;
                len = (size_t) (colon - l);
                if (len == 0 || len >= sizeof name)
                        continue;
                memcpy(name, l, len);
                name[len] = '\0';
                if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu",
                           &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) != 9)
                        return -EBADMSG;
                n++;
                if (streq(name, "lo"))
                        continue;
                rx += v[0];
                tx += v[8];
        }
        if (n == 0)
                return -EBADMSG;
        *ret_rx = rx;
        *ret_tx = tx;
        return 0;
}

/* "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per device. */
int stats_parse_io_stat(const char *text, uint64_t *ret_read, uint64_t *ret_write) {
        uint64_t rd = 0, wr = 0;

        for (const char *p = text; (p = strpbrk(p, "rw")); ) {
                unsigned long long v;
                bool is_read = startswith(p, "rbytes="), is_write = startswith(p, "wbytes=");

                if ((is_read || is_write) && (p == text || p[-1] == ' ')) {
                        if (sscanf(p + 7, "%llu", &v) != 1)
                                return -EBADMSG;
                        if (is_read)
                                rd += v;
                        else
                                wr += v;
                        p += 7;
                } else
                        p++;
        }
        *ret_read = rd;
        *ret_write = wr;
        return 0;
}

/* "8:0 Read 4096" ... "Total 8192" lines. */
int stats_parse_blkio(const char *text, uint64_t *ret_read, uint64_t *ret_write) {
        uint64_t rd = 0, wr = 0;

        for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
                char dev[32], op[16];
                unsigned long long v;

                if (sscanf(l, "%31s %15s %llu", dev, op, &v) != 3)
                        continue;
                if (streq(op, "Read"))
                        rd += v;
                else if (streq(op, "Write"))
                        wr += v;
        }
        *ret_read = rd;
        *ret_write = wr;
        return 0;
}

static bool same_netns_as_self(pid_t pid) {
        struct stat a, b;
        char path[64];

        snprintf(path, sizeof path, "/proc/%d/ns/net", (int) pid);
        if (stat(path, &a) < 0 || stat("/proc/self/ns/net", &b) < 0)
                return false;
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int container_stats_read(CgroupLayout layout, pid_t cgroup_pid, const char *unit, pid_t net_pid,
                         ContainerStats *ret) {
        _cleanup_free_ char *proc = NULL, *text = NULL;
        ContainerStats s = {};
        bool v2 = layout == CGROUP_LAYOUT_UNIFIED;
        uint64_t v;
        int r;

        r = cgroup_proc_read(cgroup_pid, &proc);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;

        /* cgroup2's cpu.stat is there without any controller, also on the
         * hybrid layout's controller-less cgroup2 (where systemd may leave a
         * scope out of a separately mounted cpuacct hierarchy). */
        if (layout != CGROUP_LAYOUT_LEGACY && cgroup_read(layout, proc, unit, "", "cpu.stat", &text) >= 0 &&
            cgroup_keyed_value(text, "usage_usec", &v) >= 0) {
                s.cpu_usage_nsec = v * 1000;
                s.have |= STATS_CPU;
        } else if (cgroup_read_u64(layout, proc, unit, "cpuacct", "cpuacct.usage", &s.cpu_usage_nsec) >= 0)
                s.have |= STATS_CPU;
        text = mfree(text);

        if (cgroup_read_u64(layout, proc, unit, v2 ? "" : "memory", v2 ? "memory.current" : "memory.usage_in_bytes",
                            &s.memory_bytes) >= 0)
                s.have |= STATS_MEMORY;
        if (cgroup_read_limit(layout, proc, unit, v2 ? "" : "memory", v2 ? "memory.max" : "memory.limit_in_bytes",
                              &s.memory_limit) >= 0)
                s.have |= STATS_MEMORY_LIMIT;
        if (cgroup_read_u64(layout, proc, unit, v2 ? "" : "pids", "pids.current", &s.pids) >= 0)
                s.have |= STATS_PIDS;
        if (cgroup_read_limit(layout, proc, unit, v2 ? "" : "pids", "pids.max", &s.pids_limit) >= 0)
                s.have |= STATS_PIDS_LIMIT;

        if (cgroup_read(layout, proc, unit, v2 ? "" : "blkio", v2 ? "io.stat" : "blkio.throttle.io_service_bytes",
                        &text) >= 0 &&
            (v2 ? stats_parse_io_stat : stats_parse_blkio)(text, &s.block_read_bytes, &s.block_write_bytes) >= 0)
                s.have |= STATS_BLOCK;
        text = mfree(text);

        if (net_pid > 0 && !same_netns_as_self(net_pid) && read_proc_file(net_pid, "net/dev", &text) >= 0 &&
            stats_parse_net_dev(text, &s.net_rx_bytes, &s.net_tx_bytes) >= 0)
                s.have |= STATS_NET;

        *ret = s;
        return 0;
}

void container_process_array_free(ContainerProcess *a, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(a[i].command);
        free(a);
}

static int ns_inode(pid_t pid, const char *ns, struct stat *ret) {
        char path[64];

        snprintf(path, sizeof path, "/proc/%d/ns/%s", (int) pid, ns);
        return stat(path, ret) < 0 ? -errno : 0;
}

/* The "Uid:" (real) and the last "NSpid:" field of /proc/PID/status. */
static int read_status(pid_t pid, uid_t *ret_uid, pid_t *ret_ns_pid) {
        _cleanup_free_ char *text = NULL;
        const char *l;
        unsigned u;
        int r;

        r = read_proc_file(pid, "status", &text);
        if (r < 0)
                return r;
        l = strstr(text, "\nUid:");
        if (!l || sscanf(l + 5, "%u", &u) != 1)
                return -EBADMSG;
        l = strstr(text, "\nNSpid:");
        if (!l)
                return -EBADMSG;
        l += 7;
        for (;;) {
                int v, n;

                if (sscanf(l, "%d%n", &v, &n) != 1)
                        break;
                *ret_ns_pid = v;
                l += n;
        }
        *ret_uid = u;
        return 0;
}

/* The id inside the process's user namespace for host id `uid`, from the
 * "INSIDE OUTSIDE COUNT" lines of uid_map; unmapped ids stay as they are. */
static uid_t map_uid(const char *map, uid_t uid) {
        for (const char *l = map; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
                unsigned long in, out, count;

                if (sscanf(l, "%lu %lu %lu", &in, &out, &count) == 3 && uid >= out && uid - out < count)
                        return (uid_t) (in + (uid - out));
        }
        return uid;
}

static char *read_command(pid_t pid) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        char path[64];
        int r;

        snprintf(path, sizeof path, "/proc/%d/cmdline", (int) pid);
        r = read_file_capped(AT_FDCWD, path, 4096, O_NONBLOCK, 0, &text, &size);
        if (r == -EFBIG) {
                /* A long command line: its first 4 KiB say enough. */
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
                ssize_t k;

                text = malloc(4097);
                if (!text)
                        return NULL;
                if (fd < 0)
                        return strdup("?");
                k = read(fd, text, 4096);
                if (k < 0)
                        return NULL;
                size = (size_t) k;
                text[size] = '\0';
                r = 0;
        }
        if (r < 0)      /* gone since cgroup.procs was read: named as ps names it */
                return strdup("?");
        while (size > 0 && text[size - 1] == '\0')
                size--;
        if (size == 0) {
                _cleanup_free_ char *comm = NULL;
                char *s;

                if (read_proc_file(pid, "comm", &comm) < 0)
                        return strdup("?");
                comm[strcspn(comm, "\n")] = '\0';
                return asprintf(&s, "[%s]", comm) < 0 ? NULL : s;
        }
        for (size_t i = 0; i < size; i++)
                if (text[i] == '\0')
                        text[i] = ' ';
        text[size] = '\0';
        return TAKE_PTR(text);
}

static int cmp_pid(const void *a, const void *b) {
        const ContainerProcess *x = a, *y = b;

        return (x->pid > y->pid) - (x->pid < y->pid);
}

int container_processes(CgroupLayout layout, pid_t cgroup_pid, const char *unit, pid_t workload_pid,
                        ContainerProcess **ret, size_t *ret_n) {
        _cleanup_free_ char *proc = NULL, *procs = NULL, *map = NULL;
        ContainerProcess *a = NULL;
        struct stat want;
        size_t n = 0;
        int r;

        r = cgroup_proc_read(cgroup_pid, &proc);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        r = cgroup_read(layout, proc, unit, layout == CGROUP_LAYOUT_UNIFIED ? "" : "name=systemd", "cgroup.procs",
                        &procs);
        if (r < 0)
                return r;
        r = ns_inode(workload_pid, "pid", &want);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        (void) read_proc_file(workload_pid, "uid_map", &map);

        for (const char *l = procs; *l; ) {
                ContainerProcess p = {};
                struct stat st;
                char *end;
                long v;

                errno = 0;
                v = strtol(l, &end, 10);
                if (end == l)
                        break;
                l = *end ? end + 1 : end;
                if (errno != 0 || v <= 0 || v > INT32_MAX)
                        continue;
                p.pid = (pid_t) v;
                /* Gone since cgroup.procs was read, or the shim: skipped. */
                if (ns_inode(p.pid, "pid", &st) < 0 || st.st_ino != want.st_ino || st.st_dev != want.st_dev)
                        continue;
                if (read_status(p.pid, &p.uid, &p.ns_pid) < 0)
                        continue;
                p.ns_uid = map ? map_uid(map, p.uid) : p.uid;
                p.command = read_command(p.pid);
                if (!p.command) {
                        container_process_array_free(a, n);
                        return -ENOMEM;
                }
                ContainerProcess *b = reallocarray(a, n + 1, sizeof *a);
                if (!b) {
                        free(p.command);
                        container_process_array_free(a, n);
                        return -ENOMEM;
                }
                a = b;
                a[n++] = p;
        }
        if (n > 0)
                qsort(a, n, sizeof *a, cmp_pid);
        *ret = a;
        *ret_n = n;
        return 0;
}
