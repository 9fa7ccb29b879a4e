/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tank-exec: one more process inside a running container (protocol and
 * command line: exec-protocol.h). tankd forks it and moves it into the
 * container's scope before saying "go"; it then joins the workload's
 * namespaces and root, forks the process (which lands in the container's PID
 * namespace), and relays its stdio to the caller's socket until it exits. */
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cgroup-util.h"
#include "container.h"
#include "exec-protocol.h"
#include "exec-relay.h"
#include "rlimit-util.h"
#include "log.h"
#include "sealed-exec.h"
#include "security.h"
#include "strv.h"
#include "unit-name.h"


/* Sanitizer builds only: LeakSanitizer's check at exit stops the world with a
 * tracer task, which lands in the container's PID namespace and looks for us
 * in the container's /proc (we joined both): it finds nothing, we spin for
 * ever, and its zombie keeps the container's dying PID 1 in
 * zap_pid_ns_processes, so a killed workload is never reaped (measured: after
 * any exec, kill -9 of the workload hung until the scope was stopped). */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
        return "detect_leaks=0";
}

typedef struct ExecArgs {
        const char *config_path;
        pid_t pid;
        int sync_fd;
        int client_fd;
        bool tty;
        const char *cwd;
        char **env;
        char **argv;
} ExecArgs;

static int parse_fd(const char *s, int *ret) {
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || *end || end == s || v < 0 || v > INT_MAX)
                return -EINVAL;
        *ret = (int) v;
        return 0;
}

static int parse_args(int argc, char *argv[], ExecArgs *a) {
        enum { ARG_CONFIG = 0x100, ARG_PID, ARG_SYNC, ARG_CLIENT, ARG_TTY, ARG_CWD, ARG_ENV };
        static const struct option options[] = {
                { "config",    required_argument, NULL, ARG_CONFIG },
                { "pid",       required_argument, NULL, ARG_PID },
                { "sync-fd",   required_argument, NULL, ARG_SYNC },
                { "client-fd", required_argument, NULL, ARG_CLIENT },
                { "tty",       no_argument,       NULL, ARG_TTY },
                { "cwd",       required_argument, NULL, ARG_CWD },
                { "env",       required_argument, NULL, ARG_ENV },
                {}
        };
        int c, v;

        while ((c = getopt_long(argc, argv, "+", options, NULL)) >= 0)
                switch (c) {
                case ARG_CONFIG:
                        a->config_path = optarg;
                        break;
                case ARG_PID:
                        if (parse_fd(optarg, &v) < 0 || v <= 0)
                                return -EINVAL;
                        a->pid = v;
                        break;
                case ARG_SYNC:
                        if (parse_fd(optarg, &a->sync_fd) < 0)
                                return -EINVAL;
                        break;
                case ARG_CLIENT:
                        if (parse_fd(optarg, &a->client_fd) < 0)
                                return -EINVAL;
                        break;
                case ARG_TTY:
                        a->tty = true;
                        break;
                case ARG_CWD:
                        if (optarg[0] != '/')
                                return -EINVAL;
                        a->cwd = optarg;
                        break;
                case ARG_ENV:
                        if (!strchr(optarg, '=') || optarg[0] == '=')
                                return -EINVAL;
                        if (strv_extend(&a->env, optarg) < 0)
                                return -ENOMEM;
                        break;
                default:
                        return -EINVAL;
                }
        if (!a->config_path || a->pid <= 0 || a->sync_fd < 0 || a->client_fd < 0 || optind >= argc)
                return -EINVAL;
        a->argv = argv + optind;
        return 0;
}

static int sync_send(int fd, const char *fmt, ...) _printf_(2, 3);
static int sync_send(int fd, const char *fmt, ...) {
        char buf[EXEC_SYNC_MSG_MAX];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -EINVAL;
        n = MIN(n, (int) sizeof buf - 1);
        return send(fd, buf, (size_t) n, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int wait_go(int fd) {
        char buf[16];
        ssize_t n;

        do
                n = recv(fd, buf, sizeof buf, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if (n != 2 || memcmp(buf, "go", 2) != 0)
                return -ECANCELED;
        return 0;
}

typedef struct CgroupMatch {
        const char *unit;
        const char *mine;       /* our /proc/self/cgroup */
        const char *controllers, *path;
        bool found;
} CgroupMatch;

static int same_line(const char *controllers, const char *path, void *userdata) {
        CgroupMatch *m = userdata;

        if (streq(controllers, m->controllers) && streq(path, m->path))
                m->found = true;
        return 0;
}

/* A hierarchy that places the workload in its scope must place us there too. */
static int check_line(const char *controllers, const char *path, void *userdata) {
        CgroupMatch *m = userdata;
        const char *base = strrchr(path, '/');
        CgroupMatch l = { .controllers = controllers, .path = path };
        int r;

        if (!base || !streq(base + 1, m->unit))
                return 0;
        r = cgroup_proc_foreach(m->mine, same_line, &l);
        if (r < 0)
                return r;
        if (!l.found)
                return -ESRCH;
        m->found = true;
        return 0;
}

/* A pidfd for the workload, which pins the process: whatever we join through
 * it is that process's, even if it dies and its pid is reused meanwhile. The
 * pid itself came from tankd a moment ago; that it still names the workload is
 * checked once, after the pidfd is open: tankd put us into the cgroups in which
 * the workload sits in its scope (before "go"), so the process must be in the
 * scope in each of those, as we are, and still alive afterwards (so the /proc
 * read was of it, not of a successor). */
static int open_workload(const ShimConfig *c, pid_t pid, int *ret_pidfd, char **error) {
        _cleanup_free_ char *mine = NULL, *theirs = NULL, *unit = NULL;
        _cleanup_close_ int pidfd = -EBADF;
        CgroupMatch m = {};
        int r;

        pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0)
                return shim_error(error, -errno, "open a pidfd for the workload (pid %d)", (int) pid);
        r = container_scope_name(c->pod, c->container, &unit);
        if (r < 0)
                return shim_error(error, r, "scope name");
        r = cgroup_proc_read(0, &mine);
        if (r >= 0)
                r = cgroup_proc_read(pid, &theirs);
        if (r < 0)
                return shim_error(error, r == -ENOENT ? -ESRCH : r, "read the cgroups of the workload (pid %d)",
                                  (int) pid);
        m = (CgroupMatch) { .unit = unit, .mine = mine };
        r = cgroup_proc_foreach(theirs, check_line, &m);
        if (r >= 0 && !m.found)
                r = -ESRCH;
        if (r < 0)
                return shim_error(error, r, "pid %d is not the workload in %s", (int) pid, unit);
        if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
                return shim_error(error, -errno, "the workload (pid %d)", (int) pid);
        *ret_pidfd = TAKE_FD(pidfd);
        return 0;
}

/* Join the workload's namespaces, all at once through its pidfd (Linux 5.8):
 * entering its mount namespace also sets our root and cwd to the namespace's
 * root, the container's "/" after its pivot_root. The user namespace is left
 * for the child to join last (child_run). */
static int join_container(int pidfd, char **error) {
        if (setns(pidfd, CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWPID |
                  CLONE_NEWNS) < 0)
                return shim_error(error, -errno, "join the container's namespaces");
        if (chdir("/") < 0)
                return shim_error(error, -errno, "enter the container's root");
        return 0;
}

/* The container's own devpts instance, so the slave is valid inside. The
 * slave is opened from the master (TIOCGPTPEER), not by a path the container
 * controls. */
static int open_pty(int *ret_master, int *ret_slave, char **error) {
        _cleanup_close_ int master = -EBADF, slave = -EBADF;
        struct stat st;
        int unlock = 0;

        master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
        if (master < 0)
                return shim_error(error, -errno, "open the container's /dev/pts/ptmx");
        if (fstat(master, &st) < 0 || !S_ISCHR(st.st_mode))
                return shim_error(error, -ENOTTY, "the container's /dev/pts/ptmx");
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
                return shim_error(error, -errno, "unlock the pty");
        slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return shim_error(error, -errno, "open the pty's slave");
        *ret_master = TAKE_FD(master);
        *ret_slave = TAKE_FD(slave);
        return 0;
}

/* With notify, NOTIFY_SOCKET is tankd's to give, and it gives it to the main
 * process only (as systemd's NotifyAccess=main): a spec's own value is not
 * passed on to tank-exec either. One given with --env still is. */
static void env_drop_notify_socket(char **env) {
        char **w = env;

        STRV_FOREACH(e, env) {
                if (startswith(*e, "NOTIFY_SOCKET="))
                        free(*e);
                else
                        *w++ = *e;
        }
        if (w)
                *w = NULL;
}

static int build_env(const ShimConfig *c, char **extra, const UserIds *u, char ***ret) {
        _cleanup_strv_free_ char **env = strv_copy(c->env);
        _cleanup_free_ char *home = NULL, *host = NULL;

        if (!env)
                return -ENOMEM;
        if (c->notify_dir)
                env_drop_notify_socket(env);
        if (!strv_env_get(env, "PATH") && strv_env_set(&env, "PATH=" SHIM_DEFAULT_PATH) < 0)
                return -ENOMEM;
        if (!strv_env_get(env, "HOSTNAME") &&
            (asprintf(&host, "HOSTNAME=%s", c->pod) < 0 || strv_env_set(&env, host) < 0))
                return -ENOMEM;
        if (!strv_env_get(env, "HOME") &&
            (asprintf(&home, "HOME=%s", u->home) < 0 || strv_env_set(&env, home) < 0))
                return -ENOMEM;
        if (!strv_env_get(env, "TERM") && strv_env_set(&env, "TERM=xterm") < 0)
                return -ENOMEM;
        STRV_FOREACH(e, extra)
                if (strv_env_set(&env, *e) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(env);
        return 0;
}

static int enter_cwd(const char *cwd, char **error) {
        _cleanup_close_ int rootfd = -EBADF, fd = -EBADF;
        char buf[PATH_MAX];
        int r;

        rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return shim_error(error, -errno, "open /");
        r = open_in_root(rootfd, cwd, 0, &fd);
        if (r < 0)
                return shim_error(error, r, "working directory %s", cwd);
        if (fchdir(fd) < 0)
                return shim_error(error, -errno, "working directory %s", cwd);
        if (!getcwd(buf, sizeof buf) || buf[0] != '/')
                return shim_error(error, -EPERM, "working directory %s is outside the root", cwd);
        return 0;
}

/* The child: stdio first, so every later failure reaches the caller's stderr
 * like a shell's "not found" would. Exit 125/126/127 as docker exec does. */
_noreturn_ static void child_run(const ExecArgs *a, const ShimConfig *c, const SeccompFilter *filter, int pidfd,
                                 int in, int out, int err, int oom_adj) {
        _cleanup_(user_ids_done) UserIds u = {};
        _cleanup_free_ char *error = NULL, *passwd = NULL, *group = NULL;
        _cleanup_strv_free_ char **env = NULL;
        sigset_t all;
        char buf[16];
        int r, n, fd;

        sigemptyset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);
        for (int sig = 1; sig < _NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) signal(sig, SIG_DFL);

        if (setsid() < 0)
                _exit(SHIM_STATUS_SETUP_FAILED);
        if (a->tty && ioctl(in, TIOCSCTTY, 0) < 0)
                _exit(SHIM_STATUS_SETUP_FAILED);
        /* Move the sources above 2 first so dup2 cannot clobber one. */
        in = fcntl(in, F_DUPFD_CLOEXEC, 3);
        out = fcntl(out, F_DUPFD_CLOEXEC, 3);
        err = fcntl(err, F_DUPFD_CLOEXEC, 3);
        if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
                _exit(SHIM_STATUS_SETUP_FAILED);

        fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        n = snprintf(buf, sizeof buf, "%i", oom_adj);
        if (fd < 0 || write(fd, buf, (size_t) n) != n) {
                (void) shim_error(&error, -errno, "set oom_score_adj");
                goto fail;
        }
        safe_close(fd);

        /* The workload's user namespace, last, as the workload did: through the
         * same pidfd, so it is that process's. */
        if (c->userns_size > 0) {
                if (setns(pidfd, CLONE_NEWUSER) < 0) {
                        (void) shim_error(&error, -errno, "join the container's user namespace");
                        goto fail;
                }
                if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
                        (void) shim_error(&error, -errno, "become root of the container's user namespace");
                        goto fail;
                }
        }

        if (c->user) {
                r = read_root_file("/etc/passwd", &passwd);
                if (r >= 0)
                        r = read_root_file("/etc/group", &group);
                if (r < 0) {
                        (void) shim_error(&error, r, "read the image's /etc/passwd or /etc/group");
                        goto fail;
                }
        }
        r = user_resolve(c->user, passwd, group, c->additional_gids, c->n_additional_gids, &u, &error);
        if (r < 0) {
                (void) shim_error(&error, r, "user %s", strempty(c->user));
                goto fail;
        }
        r = enter_cwd(a->cwd ?: c->cwd ?: "/", &error);
        if (r < 0)
                goto fail;
        r = build_env(c, a->env, &u, &env);
        if (r < 0) {
                (void) shim_error(&error, r, "environment");
                goto fail;
        }
        r = security_apply(&u, filter, &error);
        if (r < 0)
                goto fail;
        if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                _exit(SHIM_STATUS_SETUP_FAILED);
        r = shim_execve_path(a->argv, env);
        dprintf(2, "tank exec: %s: %s\n", a->argv[0], strerror(-r));
        _exit(r == -ENOENT ? SHIM_STATUS_NOT_FOUND : SHIM_STATUS_NOT_EXECUTABLE);
fail:
        dprintf(2, "tank exec: %s\n", error ?: "container setup failed");
        _exit(SHIM_STATUS_SETUP_FAILED);
}

static int read_oom_adj(pid_t pid, int *ret) {
        _cleanup_close_ int fd = -EBADF;
        char path[64], buf[16];
        ssize_t n;

        (void) snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof buf - 1);
        if (n <= 0)
                return -EIO;
        buf[n] = 0;
        *ret = atoi(buf);
        return 0;
}

static int run(ExecArgs *a) {
        _cleanup_(shim_config_freep) ShimConfig *c = NULL;
        _cleanup_(security_seccomp_filter_freep) SeccompFilter *filter = NULL;
        _cleanup_free_ char *error = NULL;
        _cleanup_close_ int master = -EBADF, slave = -EBADF, pidfd = -EBADF;
        int in[2] = { -EBADF, -EBADF }, out[2] = { -EBADF, -EBADF }, err[2] = { -EBADF, -EBADF };
        ExecRelay relay = {};
        int oom_adj = 0, status, r;
        pid_t child;

        r = shim_config_load(a->config_path, &c, &error);
        if (r < 0) {
                (void) sync_send(a->sync_fd, "error container config: %s", error ?: strerror(-r));
                return r;
        }
        /* Not ptraceable or dumpable by what runs in the container. */
        (void) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

        /* Now, while tankd waits for "pid", and in the host's mount namespace,
         * where tankd's compiled program is. */
        r = security_seccomp_prepare(c->seccomp_filter, &filter, &error);
        if (r < 0) {
                (void) sync_send(a->sync_fd, "error seccomp filter: %s", error ?: strerror(-r));
                return r;
        }
        log_debug("Seccomp filter %s.", r > 0 ? "read from tankd's program" : "built");

        r = sync_send(a->sync_fd, "pid %d", (int) getpid());
        if (r < 0)
                return r;
        r = wait_go(a->sync_fd);
        if (r < 0)
                return r;

        r = open_workload(c, a->pid, &pidfd, &error);
        if (r < 0)
                goto fail;
        (void) read_oom_adj(a->pid, &oom_adj);
        r = join_container(pidfd, &error);
        if (r < 0)
                goto fail;
        if (a->tty) {
                r = open_pty(&master, &slave, &error);
                if (r < 0)
                        goto fail;
        } else if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
                r = shim_error(&error, -errno, "pipes");
                goto fail;
        }

        child = fork();
        if (child < 0) {
                r = shim_error(&error, -errno, "fork");
                goto fail;
        }
        if (child == 0) {
                if (a->tty)
                        child_run(a, c, filter, pidfd, slave, slave, slave, oom_adj);
                child_run(a, c, filter, pidfd, in[0], out[1], err[1], oom_adj);
        }
        slave = safe_close(slave);
        safe_close(in[0]);
        safe_close(out[1]);
        safe_close(err[1]);

        /* The host's view of the PID: we are still in the host's PID namespace. */
        (void) sync_send(a->sync_fd, "running %d", (int) child);

        relay = (ExecRelay) {
                .client = a->client_fd,
                .child = child,
                .tty = a->tty,
                .in = a->tty ? master : in[1],
                .out = a->tty ? master : out[0],
                .err = a->tty ? -EBADF : err[0],
                .control = a->sync_fd,
        };
        master = -EBADF;   /* the relay owns them now */
        status = exec_relay_run(&relay);
        (void) sync_send(a->sync_fd, "exit %d", status);
        return 0;

fail:
        (void) sync_send(a->sync_fd, "error %s", error ?: strerror(-r));
        for (size_t i = 0; i < 2; i++) {
                safe_close(in[i]);
                safe_close(out[i]);
                safe_close(err[i]);
        }
        return r;
}

int main(int argc, char *argv[]) {
        _cleanup_strv_free_ char **env = NULL;
        ExecArgs a = { .sync_fd = -EBADF, .client_fd = -EBADF };
        int r;

        log_set_prefix("tank-exec");
        log_parse_environment();
        /* tankd runs with a raised soft limit; the process exec'd gets a
         * service's default back (rlimit-util.h). */
        (void) rlimit_nofile_safe();
        r = parse_args(argc, argv, &a);
        env = a.env;
        if (r < 0) {
                fprintf(stderr, "tank-exec: bad command line (it is tankd's helper)\n");
                return 2;
        }
        /* It runs inside the container's namespaces: never from a binary the
         * container could reach through /proc/<pid>/exe (see tank-shim). */
        r = sealed_reexec("tank-exec", argv);
        if (r < 0) {
                log_error_errno(r, "Failed to re-execute from a sealed copy: %m");
                return 1;
        }
        (void) signal(SIGPIPE, SIG_IGN);
        r = run(&a);
        return r < 0 ? 1 : 0;
}
