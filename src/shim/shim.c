/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tank-shim: the per-container monitor. The protocol with tankd is described
 * in shim-config.h.
 *
 * CVE-2019-5736 (a container rewriting the runtime binary through
 * /proc/<pid>/exe): the monitor itself lives in the host PID namespace, so the
 * container's /proc has no entry for it. But the workload child *is* in the
 * container between fork and execve, and its /proc/self/exe is our binary
 * (an image could make its entrypoint /proc/self/exe to re-run us inside).
 * So we only ever run from a sealed memfd copy (src/shared/sealed-exec.h):
 * tankd spawns us from one, and anything else makes us re-exec from one. Then
 * /proc/<pid>/exe of every shim process is an anonymous, write-sealed file
 * and the binary on disk is never reachable from the container. */
#include <fcntl.h>
#include <getopt.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "log.h"
#include "monitor.h"
#include "rlimit-util.h"
#include "sealed-exec.h"
#include "shim-config.h"

static void send_msg(int fd, const char *prefix, const char *text) {
        char buf[SHIM_SYNC_MSG_MAX];
        int n = snprintf(buf, sizeof buf, "%s%s", prefix, strempty(text));

        if (n > (int) sizeof buf - 1)
                n = (int) sizeof buf - 1;
        (void) send(fd, buf, (size_t) n, MSG_NOSIGNAL);
}

static int wait_for_go(int fd) {
        char buf[SHIM_SYNC_MSG_MAX];
        ssize_t n;

        do
                n = recv(fd, buf, sizeof buf, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return log_error_errno(errno, "Failed to read the sync fd: %m");
        if (n == 0) {
                log_debug("tankd closed the sync fd without \"go\", not starting.");
                return -ECANCELED;
        }
        if (n != 2 || memcmp(buf, "go", 2) != 0) {
                log_error("Unexpected message on the sync fd, not starting.");
                return -EPROTO;
        }
        return 0;
}

static void help(void) {
        printf("tank-shim --config PATH --sync-fd N [--mntns-fd N]\n\n"
               "The per-container monitor of Tank, started by tankd.\n");
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "config",  required_argument, NULL, 'c' },
                { "sync-fd", required_argument, NULL, 's' },
                { "mntns-fd", required_argument, NULL, 'm' },
                { "help",    no_argument,       NULL, 'h' },
                {}
        };
        _cleanup_(shim_config_freep) ShimConfig *c = NULL;
        _cleanup_free_ char *error = NULL;
        const char *config_path = NULL;
        int sync_fd = -EBADF, mntns_fd = -EBADF, opt, r;
        struct stat st;
        pid_t pid;

        log_set_prefix("tank-shim");
        log_parse_environment();
        /* tankd runs with a raised soft limit; the workload gets a service's
         * default back (rlimit-util.h). */
        (void) rlimit_nofile_safe();

        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (opt) {
                case 'c':
                        config_path = optarg;
                        break;
                case 's':
                case 'm': {
                        char *end;
                        long v;
                        errno = 0;
                        v = strtol(optarg, &end, 10);
                        if (errno || *end || v < 3 || v > 65535) {
                                log_error("--%s: not a file descriptor number: %s",
                                          opt == 's' ? "sync-fd" : "mntns-fd", optarg);
                                return SHIM_EXIT_USAGE;
                        }
                        if (opt == 's')
                                sync_fd = (int) v;
                        else
                                mntns_fd = (int) v;
                        break;
                }
                case 'h':
                        help();
                        return SHIM_EXIT_OK;
                default:
                        return SHIM_EXIT_USAGE;
                }
        if (!config_path || sync_fd < 0 || optind != argc) {
                log_error("Usage: tank-shim --config PATH --sync-fd N [--mntns-fd N]");
                return SHIM_EXIT_USAGE;
        }
        if (fstat(sync_fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
                log_error("--sync-fd %i: not an open socket.", sync_fd);
                return SHIM_EXIT_USAGE;
        }

        /* A mount namespace to start the container's from (tankd's
         * shim-mntns.h): only an optimization, so anything else is ignored
         * and the container's is copied from ours, as without it. */
        if (mntns_fd >= 0 && (fstat(mntns_fd, &st) < 0 || !S_ISREG(st.st_mode))) {
                log_debug("--mntns-fd %i: not an open namespace file, ignoring.", mntns_fd);
                mntns_fd = -EBADF;
        }

        /* The sync fd (and the mntns fd) must survive this exec; they are
         * CLOEXEC from here on. */
        r = sealed_reexec("tank-shim", argv);
        if (r < 0) {
                log_error_errno(r, "Failed to re-execute from a sealed copy: %m");
                send_msg(sync_fd, "error cannot re-execute from a sealed copy", NULL);
                return SHIM_EXIT_FAILURE;
        }
        (void) fcntl(sync_fd, F_SETFD, FD_CLOEXEC);
        if (mntns_fd >= 0)
                (void) fcntl(mntns_fd, F_SETFD, FD_CLOEXEC);

        r = shim_config_load(config_path, &c, &error);
        if (r < 0) {
                if (!error && asprintf(&error, "%s: %s", config_path, strerror(-r)) < 0)
                        error = NULL;
                log_error("Invalid config: %s", strempty(error));
                send_msg(sync_fd, "error invalid config: ", error);
                return SHIM_EXIT_CONFIG;
        }
        if (!c->spec) {
                /* Only tank-exec reads an older tankd's config (shim-config.h). */
                log_error("Invalid config: %s: no \"spec\"", config_path);
                send_msg(sync_fd, "error invalid config: ", "no \"spec\"");
                return SHIM_EXIT_CONFIG;
        }

        /* Leave tankd: our parent exits now, the monitor is reparented and
         * lives on in the scope tankd is about to create for it. */
        pid = fork();
        if (pid < 0) {
                r = log_error_errno(errno, "Failed to fork: %m");
                send_msg(sync_fd, "error fork: ", strerror(-r));
                return SHIM_EXIT_FAILURE;
        }
        if (pid > 0)
                return SHIM_EXIT_OK;

        (void) setsid();
        {
                char buf[32];
                snprintf(buf, sizeof buf, "%i", (int) getpid());
                send_msg(sync_fd, "pid ", buf);
        }
        r = wait_for_go(sync_fd);
        if (r < 0)
                return r == -ECANCELED ? EXIT_SUCCESS : EXIT_FAILURE;

        r = monitor_run(c, sync_fd, mntns_fd);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
