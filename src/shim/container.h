/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internal to tank-shim: the steps that turn the workload child into a
 * container. Every step runs in the child (PID 1 of the new PID namespace),
 * fails with a negative errno and, where the reason is not obvious from it,
 * a message in *ret_error ("what: why"), which the monitor writes into the
 * exit record. Nothing here logs; nothing here is reached by tankd.
 *
 * Order (workload.c):
 *   namespaces (mount, UTS, IPC, cgroup, net) -> mounts_setup() builds the
 *   tree below the new root and pivots into it -> user_resolve() reads the
 *   image's passwd/group -> cwd -> security_apply() (bounding set, ids, caps,
 *   no_new_privs, seccomp) -> close fds -> execve. */

#include <sys/types.h>

#include "security.h"
#include "shim-config.h"

/* Sets *ret_error (if NULL so far) to "<what>: <strerror(r)>"; returns r. */
int shim_error(char **ret_error, int r, const char *fmt, ...) _printf_(3, 4);

/* ---- mounts.c ---- */

/* The result of mounts_setup() for the tty case: the PTY master (to be passed
 * to the monitor) and its slave, created from the container's own devpts
 * instance so the slave is openable inside. -EBADF when !tty. */
typedef struct MountsResult {
        int pty_master;
        int pty_slave;
} MountsResult;

/* userns_fd: the container's user namespace (userns.c), or -EBADF for the
 * host's ids: then layers, the rootfs directory and host volumes are mounted
 * idmapped through it, and the upper directory and empty managed volumes are
 * handed to the range's root. */
int mounts_setup(const ShimConfig *c, int userns_fd, MountsResult *ret, char **ret_error);

/* Resolve path (absolute, inside the root rootfd) without leaving the root:
 * symlinks, "..", absolute links are all interpreted relative to rootfd, magic
 * links (/proc/self/fd/...) are refused. Creates what is missing when
 * create_mode is S_IFDIR or S_IFREG (the last component as that type, the
 * parents as directories); 0 means "must exist". Returns an O_PATH fd. */
int open_in_root(int rootfd, const char *path, mode_t create_mode, int *ret_fd);

/* ---- userns.c ---- */

/* A user namespace with the config's maps (0..size-1 -> userns_uid.. and
 * userns_gid..), as an fd; created by the monitor, joined by the workload. */
int userns_create(const ShimConfig *c, int *ret_fd, char **ret_error);

/* setns() into it and become its root (0:0 inside, no supplementary groups),
 * with its full capability set; security_apply() narrows that afterwards. */
int userns_enter(int fd, char **ret_error);

/* A detached clone of dirfd+path whose ids are seen through userns_fd's maps
 * (MOUNT_ATTR_IDMAP), plus attrs. -EINVAL/-EPERM/-EOPNOTSUPP from the kernel
 * mean the file system cannot be idmapped. */
int userns_idmapped_tree(int dirfd, const char *path, int userns_fd, bool recursive, unsigned attrs,
                         int *ret_fd);

/* The file system type of path, for messages. */
const char *userns_fs_name(const char *path);

/* ---- user.c ---- */

typedef struct UserIds {
        uid_t uid;
        gid_t gid;
        gid_t *gids;         /* supplementary */
        size_t n_gids;
        char *home;          /* from passwd, or "/" */
} UserIds;

void user_ids_done(UserIds *u);

/* Resolve "uid[:gid]", "name[:group]" against the passwd and group file
 * contents (either may be NULL = absent). A numeric uid not in passwd is fine
 * (gid 0 unless given, like docker); a name not found is -ESRCH. Supplementary
 * groups: the primary gid, every group whose member list names the user, plus
 * extra (initgroups(3) semantics). */
int user_resolve(const char *spec, const char *passwd, const char *group,
                 const gid_t *extra, size_t n_extra, UserIds *ret, char **ret_error);

/* Read /etc/passwd-like files from inside the current root, safely (no FIFOs,
 * no magic links, size-capped). Missing file: *ret = NULL, returns 0. */
int read_root_file(const char *path, char **ret);

/* ---- security.c ---- */

/* The default capability set (Podman's 11), as a bit mask. */
uint64_t security_default_caps(void);

/* The default seccomp policy: security.h. */

/* Bounding set, setgroups/setresgid/setresuid keeping caps, capset of the
 * default set (effective and permitted; inheritable empty), ambient cleared, no_new_privs, then the seccomp filter. After
 * this only close_range() and execve() may be called. */
typedef struct SeccompFilter SeccompFilter;
int security_apply(const UserIds *u, const SeccompFilter *filter, char **ret_error);

/* The PATH a workload or exec gets when its environment has none. */
#define SHIM_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* execve() argv[0] as found in env's PATH (not ours, as execvpe() would);
 * returns only on failure, with the most telling error, as a shell would. */
int shim_execve_path(char **argv, char **env);
