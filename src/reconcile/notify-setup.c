/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "log.h"
#include "reconcile/launch.h"
#include "reconcile/notify-setup.h"
#include "reconcile/probes.h"
#include "reconcile/reconciler-internal.h"

int container_notify_dir(Reconciler *rc, const char *pod, const char *container, char **ret) {
        _cleanup_free_ char *run_dir = NULL, *dir = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        r = container_run_dir(rc, pod, container, &run_dir);
        if (r < 0)
                return r;
        /* The 0700 above is what keeps host users away from the 0666 socket. */
        r = mkdir_p(run_dir, 0700);
        if (r < 0)
                return r;
        if (asprintf(&dir, "%s/notify", run_dir) < 0)
                return -ENOMEM;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        fd = open(dir, O_DIRECTORY | O_NOFOLLOW | O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        /* The umask may have taken bits, an old tankd may have left others:
         * the workload's user, whatever it is, must be able to search it. */
        if ((st.st_uid != 0 || st.st_gid != 0) && fchown(fd, 0, 0) < 0)
                return -errno;
        if ((st.st_mode & 07777) != 0755 && fchmod(fd, 0755) < 0)
                return -errno;
        *ret = TAKE_PTR(dir);
        return 0;
}

static void on_notify(NotifyListener *l, NotifyMessageType type, const char *text, void *userdata) {
        ContainerState *c = userdata;

        log_debug("notify from %s/%s: %s=%s", c->pod->name, c->name, notify_message_type_to_string(type),
                  type == NOTIFY_MSG_STATUS ? text : "1");
        switch (type) {
        case NOTIFY_MSG_READY:
                container_health_notify(c->pod->reconciler, c, HEALTH_EV_NOTIFY_READY, NULL);
                break;
        case NOTIFY_MSG_STATUS:
                container_health_notify(c->pod->reconciler, c, HEALTH_EV_NOTIFY_STATUS, text);
                break;
        case NOTIFY_MSG_WATCHDOG:
                container_health_notify(c->pod->reconciler, c, HEALTH_EV_NOTIFY_WATCHDOG, NULL);
                break;
        default:
                break;
        }
}

int container_notify_open(Reconciler *rc, ContainerState *c, NotifyListener **ret) {
        _cleanup_free_ char *dir = NULL;
        int r;

        r = container_notify_dir(rc, c->pod->name, c->name, &dir);
        if (r < 0)
                return r;
        return notify_listener_new(rc->event, dir, 0, 0, on_notify, c, ret);
}

int container_notify_reopen(Reconciler *rc, ContainerState *c, NotifyListener **ret) {
        _cleanup_free_ char *run_dir = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        r = container_run_dir(rc, c->pod->name, c->name, &run_dir);
        if (r < 0)
                return r;
        fd = open(run_dir, O_DIRECTORY | O_NOFOLLOW | O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && fstatat(fd, "notify", &st, AT_SYMLINK_NOFOLLOW) < 0)
                fd = safe_close(fd);
        if (fd < 0) {
                if (errno != ENOENT)
                        return -errno;
                *ret = NULL;
                return 0;
        }
        if (!S_ISDIR(st.st_mode)) {
                *ret = NULL;
                return 0;
        }
        r = container_notify_open(rc, c, ret);
        return r < 0 ? r : 1;
}
