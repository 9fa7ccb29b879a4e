/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The child side: runs as PID 1 of the container's PID namespace, turns itself
 * into the container and execs the workload. Failures are reported to the
 * monitor over the socket as one packet: 'E', the exit status (125/126/127),
 * the message. The PTY master (tty case) travels as 'M' with SCM_RIGHTS. A
 * successful execve() closes the socket (CLOEXEC): EOF means "running". */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "container.h"
#include "log.h"
#include "strv.h"
#include "workload.h"


_noreturn_ static void fail(int sock, int status, const char *msg) {
        char buf[SHIM_SYNC_MSG_MAX];
        int n;

        n = snprintf(buf, sizeof buf, "E%c%s", (char) status, msg ?: "container setup failed");
        if (n > (int) sizeof buf - 1)
                n = (int) sizeof buf - 1;
        (void) send(sock, buf, (size_t) n, MSG_NOSIGNAL);
        _exit(status);
}

/* A managed volume starts as an empty directory owned by root; an image that
 * runs as another user must be able to write it, so it is handed over the first
 * time (while it is still empty and root's). Never a host volume: those keep
 * whatever owner their host gave them. In a user namespace this runs after
 * joining it: "root" and the user's ids are the namespace's. */
static int give_volumes_to_user(const ShimConfig *c, const UserIds *u, char **ret_error) {
        if (u->uid == 0 && u->gid == 0)
                return 0;
        FOREACH_ARRAY(m, c->mounts, c->n_mounts) {
                _cleanup_close_ int fd = -EBADF;
                struct stat st;
                DIR *d;
                struct dirent *de;
                bool empty = true;

                if (!m->give_to_user || m->read_only)
                        continue;
                fd = open(m->destination, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 || fstat(fd, &st) < 0)
                        return shim_error(ret_error, -errno, "open volume %s", m->destination);
                if (st.st_uid != 0 || st.st_gid != 0)
                        continue;
                d = fdopendir(dup(fd));
                if (!d)
                        return shim_error(ret_error, -errno, "read volume %s", m->destination);
                while ((de = readdir(d)))
                        if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
                                empty = false;
                                break;
                        }
                closedir(d);
                if (empty && fchown(fd, u->uid, u->gid) < 0)
                        return shim_error(ret_error, -errno, "hand volume %s to uid %u",
                                          m->destination, (unsigned) u->uid);
        }
        return 0;
}

static int send_fd(int sock, int fd) {
        char tag = 'M';
        struct iovec iov = { .iov_base = &tag, .iov_len = 1 };
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct msghdr mh = {
                .msg_iov = &iov, .msg_iovlen = 1,
                .msg_control = &control, .msg_controllen = sizeof control,
        };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        return RET_NERRNO((int) sendmsg(sock, &mh, MSG_NOSIGNAL)) < 0 ? -errno : 0;
}

static int loopback_up(void) {
        _cleanup_close_ int s = -EBADF;
        struct ifreq ifr = { .ifr_name = "lo" };

        s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return -errno;
        if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                return -errno;
        ifr.ifr_flags |= IFF_UP;
        return RET_NERRNO(ioctl(s, SIOCSIFFLAGS, &ifr)) < 0 ? -errno : 0;
}

static int setup_namespaces(const ShimConfig *c, int mntns_fd, char **error) {
        int flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;
        int r;

        /* By path, so in the host's mount namespace: tankd's lean one has no
         * pins (shim-mntns.h). */
        if (c->network == SHIM_NETWORK_PATH) {
                _cleanup_close_ int fd = open(c->netns_path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return shim_error(error, -errno, "open network namespace %s", c->netns_path);
                if (setns(fd, CLONE_NEWNET) < 0)
                        return shim_error(error, -errno, "join network namespace %s", c->netns_path);
        } else if (c->network == SHIM_NETWORK_PRIVATE)
                flags |= CLONE_NEWNET;

        /* Then our mount namespace is copied from tankd's lean one, of a
         * constant size, not from the host's, which holds a mount per pod. If
         * it cannot be joined, from the host's, as before: the same result,
         * only slower. */
        if (mntns_fd >= 0 && setns(mntns_fd, CLONE_NEWNS) < 0)
                log_debug_errno(errno, "Failed to join tankd's mount namespace, copying the host's: %m");

        if (unshare(flags) < 0)
                return shim_error(error, -errno, "unshare namespaces");
        if (c->network == SHIM_NETWORK_PRIVATE) {
                r = loopback_up();
                if (r < 0)
                        return shim_error(error, r, "bring up lo");
        }
        if (sethostname(c->pod, strlen(c->pod)) < 0)
                return shim_error(error, -errno, "sethostname");

        /* The network namespace stays the host's user namespace's, so the
         * workload's CAP_NET_BIND_SERVICE (the user namespace's) does not count
         * in it: as rootless Docker does, every port is unprivileged in this
         * (the pod's own) namespace instead, so that a server on port 80 works
         * as it does without a user namespace. Never in the host's. */
        if (c->userns_size > 0 && c->network != SHIM_NETWORK_HOST) {
                _cleanup_close_ int fd = open("/proc/sys/net/ipv4/ip_unprivileged_port_start",
                                              O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write(fd, "0", 1) != 1)
                        return shim_error(error, -errno, "make ports below 1024 bindable in the pod's network "
                                          "namespace");
        }
        return 0;
}

/* CVE-2024-21626: a cwd like /proc/self/fd/N must not lead to a leaked host
 * directory. We resolve it inside the new root without magic links, and check
 * afterwards that the kernel agrees it is reachable from our root. */
static int enter_cwd(const char *cwd, char **error) {
        _cleanup_close_ int rootfd = -EBADF, fd = -EBADF;
        char buf[PATH_MAX];
        int r;

        rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return shim_error(error, -errno, "open /");
        r = open_in_root(rootfd, cwd, S_IFDIR, &fd);
        if (r < 0)
                return shim_error(error, r, "working directory %s", cwd);
        if (fchdir(fd) < 0)
                return shim_error(error, -errno, "working directory %s", cwd);
        if (!getcwd(buf, sizeof buf) || buf[0] != '/')
                return shim_error(error, -EPERM, "working directory %s is outside the root", cwd);
        return 0;
}

static int setup_env(const ShimConfig *c, const UserIds *u, char ***ret) {
        _cleanup_strv_free_ char **env = strv_copy(c->env);
        _cleanup_free_ char *home = NULL, *host = NULL;

        if (!env)
                return -ENOMEM;
        /* What docker adds when the image does not say: */
        if (!strv_env_get(env, "PATH") && strv_env_set(&env, "PATH=" SHIM_DEFAULT_PATH) < 0)
                return -ENOMEM;
        if (!strv_env_get(env, "HOSTNAME")) {
                if (asprintf(&host, "HOSTNAME=%s", c->pod) < 0 || strv_env_set(&env, host) < 0)
                        return -ENOMEM;
        }
        if (!strv_env_get(env, "HOME")) {
                if (asprintf(&home, "HOME=%s", u->home) < 0 || strv_env_set(&env, home) < 0)
                        return -ENOMEM;
        }
        if (c->spec->tty && !strv_env_get(env, "TERM") && strv_env_set(&env, "TERM=xterm") < 0)
                return -ENOMEM;
        /* Only here, not in tank-exec's environment (exec.c): like systemd's
         * NotifyAccess=main, the main process speaks for the container. Over
         * the spec's own: another value would point nowhere inside. */
        if (c->notify_dir && strv_env_set(&env, "NOTIFY_SOCKET=" SHIM_NOTIFY_SOCKET) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(env);
        return 0;
}

static int setup_stdio(const WorkloadArgs *a, int pty_slave, char **error) {
        int in, out, err;

        if (setsid() < 0)
                return shim_error(error, -errno, "setsid");

        if (pty_slave >= 0) {
                if (ioctl(pty_slave, TIOCSCTTY, 0) < 0)
                        return shim_error(error, -errno, "TIOCSCTTY");
                in = out = err = pty_slave;
        } else {
                in = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
                if (in < 0)
                        return shim_error(error, -errno, "open /dev/null");
                /* Move the sources out of 0..2 first so dup2 cannot clobber one. */
                out = fcntl(a->stdout_fd, F_DUPFD_CLOEXEC, 3);
                err = fcntl(a->stderr_fd, F_DUPFD_CLOEXEC, 3);
                if (out < 0 || err < 0)
                        return shim_error(error, -errno, "dup output fds");
                in = fcntl(in, F_DUPFD_CLOEXEC, 3);
                if (in < 0)
                        return shim_error(error, -errno, "dup /dev/null");
        }
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
                return shim_error(error, -errno, "dup2 stdio");
        return 0;
}

static int set_oom_score_adj(int v) {
        _cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        char buf[16];
        int n = snprintf(buf, sizeof buf, "%i", v);

        if (fd < 0)
                return -errno;
        return write(fd, buf, (size_t) n) == n ? 0 : -errno;
}

void workload_run(const WorkloadArgs *a) {
        const ShimConfig *c = a->config;
        _cleanup_(user_ids_done) UserIds u = {};
        _cleanup_free_ char *error = NULL, *passwd = NULL, *group = NULL, *msg = NULL;
        _cleanup_strv_free_ char **env = NULL;
        MountsResult mr = { .pty_master = -EBADF, .pty_slave = -EBADF };
        sigset_t all;
        int r;

        /* The monitor blocked signals for its event loop; execve keeps the mask. */
        sigemptyset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);
        for (int sig = 1; sig < _NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) signal(sig, SIG_DFL);

        r = setup_namespaces(c, a->mntns_fd, &error);
        if (r < 0)
                fail(a->sock, SHIM_STATUS_SETUP_FAILED, error);

        r = mounts_setup(c, a->userns_fd, &mr, &error);
        if (r < 0)
                fail(a->sock, SHIM_STATUS_SETUP_FAILED, error);

        if (mr.pty_master >= 0) {
                r = send_fd(a->sock, mr.pty_master);
                if (r < 0)
                        fail(a->sock, SHIM_STATUS_SETUP_FAILED, "pass the pty master to the monitor");
                mr.pty_master = safe_close(mr.pty_master);
        }

        if (c->user) {
                r = read_root_file("/etc/passwd", &passwd);
                if (r < 0) {
                        (void) shim_error(&error, r, "read the image's /etc/passwd");
                        fail(a->sock, SHIM_STATUS_SETUP_FAILED, error);
                }
                r = read_root_file("/etc/group", &group);
                if (r < 0) {
                        (void) shim_error(&error, r, "read the image's /etc/group");
                        fail(a->sock, SHIM_STATUS_SETUP_FAILED, error);
                }
        }
        r = user_resolve(c->user, passwd, group, c->additional_gids, c->n_additional_gids, &u, &error);
        if (r < 0) {
                (void) shim_error(&error, r, "user %s", strempty(c->user));
                fail(a->sock, SHIM_STATUS_SETUP_FAILED, error);
        }

        /* Before the user namespace: changing our ids there makes us not
         * dumpable, and /proc/self then belongs to host root. */
        r = set_oom_score_adj(a->oom_score_adj);
        if (r < 0) {
                (void) shim_error(&error, r, "restore oom_score_adj");
                fail(a->sock, SHIM_STATUS_SETUP_FAILED, error);
        }

        /* Last of the namespaces, once everything is mounted: the others stay
         * the host's (userns.c), and from here on our capabilities are the
         * user namespace's. */
        if (a->userns_fd >= 0) {
                r = userns_enter(a->userns_fd, &error);
                if (r < 0)
                        fail(a->sock, SHIM_STATUS_SETUP_FAILED, error);
        }

        r = give_volumes_to_user(c, &u, &error);
        if (r < 0)
                fail(a->sock, SHIM_STATUS_SETUP_FAILED, error);

        r = enter_cwd(c->cwd ?: "/", &error);
        if (r < 0)
                fail(a->sock, SHIM_STATUS_SETUP_FAILED, error);

        r = setup_env(c, &u, &env);
        if (r < 0)
                fail(a->sock, SHIM_STATUS_SETUP_FAILED, "out of memory");

        r = setup_stdio(a, mr.pty_slave, &error);
        if (r < 0)
                fail(a->sock, SHIM_STATUS_SETUP_FAILED, error);

        r = security_apply(&u, a->seccomp, &error);
        if (r < 0)
                fail(a->sock, SHIM_STATUS_SETUP_FAILED, error);

        /* Everything but 0..2 (and the socket, already CLOEXEC) goes at exec. */
        if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                fail(a->sock, SHIM_STATUS_SETUP_FAILED, "close_range");

        r = shim_execve_path(c->argv, env);
        if (asprintf(&msg, "execve %s: %s", c->argv[0], strerror(-r)) < 0)
                msg = NULL;
        fail(a->sock, r == -ENOENT ? SHIM_STATUS_NOT_FOUND : SHIM_STATUS_NOT_EXECUTABLE, msg);
}
