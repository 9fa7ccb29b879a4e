/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "log.h"
#include "reconcile/launch-internal.h"
#include "reconcile/reconciler-internal.h"
#include "shim/exit-record.h"

/* tank-shim as a process: spawned from the sealed executable with the child
 * end of a SOCK_SEQPACKET sync channel as its fd 3, and its first process
 * reaped by a child source the loop owns. */

static int on_first_shim_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        /* The shim's first process only forks the monitor; what matters comes
         * over the sync fd. This source just reaps it, then goes: no longer
         * floating, the loop drops its reference, the only one, and the
         * source (with the pidfd sd-event keeps for it) is freed once this
         * dispatch is over. */
        if (si->si_code != CLD_EXITED || si->si_status != SHIM_EXIT_OK)
                log_debug("tank-shim (pid %d) exited with %d/%d", si->si_pid, si->si_code, si->si_status);
        (void) sd_event_source_set_floating(s, false);
        return 0;
}

int launch_spawn_shim(Launch *l, const char *config_path) {
        Reconciler *rc = l->reconciler;
        int sv[2] = { -EBADF, -EBADF }, r;
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        l->sync_fd = sv[0];
        r = sd_event_add_io(rc->event, &l->io, l->sync_fd, EPOLLIN, launch_on_sync_io, l);
        if (r < 0) {
                safe_close(sv[1]);
                return r;
        }

        {
                /* The lean mount namespace, if there is one, as fd 4. */
                char *argv[] = { (char *) "tank-shim", (char *) "--config", (char *) config_path,
                                 (char *) "--sync-fd", (char *) "3", (char *) "--mntns-fd", (char *) "4", NULL };
                int fds[] = { sv[1], rc->shim_mntns_fd };

                if (rc->shim_mntns_fd < 0)
                        argv[5] = NULL;
                r = sealed_exe_spawn(rc->shim_exe, argv, fds, rc->shim_mntns_fd >= 0 ? 2 : 1, &pid);
        }
        safe_close(sv[1]);
        if (r < 0)
                return r;

        /* Floating: the loop owns it until the child is reaped, so the shim
         * is reaped even if the launch is aborted before. */
        r = sd_event_add_child(rc->event, NULL, pid, WEXITED, on_first_shim_exit, NULL);
        if (r < 0) {
                /* Closing the sync fd makes the shim give up at once. */
                l->io = sd_event_source_disable_unref(l->io);
                l->sync_fd = safe_close(l->sync_fd);
                (void) waitpid(pid, NULL, 0);
                return r;
        }
        return 0;
}
