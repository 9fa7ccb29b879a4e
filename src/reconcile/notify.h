/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* sd_notify(3) for containers with "notify": true: tankd listens, the
 * container's main process speaks systemd's own protocol, so a service built
 * for Type=notify works unchanged.
 *
 * Where things are (who makes them):
 *   <runtime>/pods/<pod>/<ctr>/            0700 root   (tankd, launch.c too)
 *   <runtime>/pods/<pod>/<ctr>/notify/     0755 root   (tankd, container_notify_open)
 *   <runtime>/pods/<pod>/<ctr>/notify/notify  AF_UNIX SOCK_DGRAM, 0666 (tankd)
 * The shim binds the notify/ DIRECTORY ("notify_dir" in shim-config.h)
 * read-only, nosuid, nodev, noexec onto SHIM_NOTIFY_CONTAINER_DIR
 * (/run/host/notify, as systemd-nspawn does) and gives the main process
 * NOTIFY_SOCKET=/run/host/notify/notify. A directory and not the socket file
 * is bound because a bind pins an inode: after a tankd restart adoption
 * unlinks and binds the socket again at the same path, and only a directory
 * bind shows the new socket to the running container.
 *
 * Who may send: whoever can reach the socket. The run directory is 0700 root,
 * so on the host that is root only; inside, the bind is seen only in the
 * container's mount namespace. The socket is 0666 and its directory 0755
 * because the workload's user is resolved by the shim from the image's
 * /etc/passwd (tankd does not know it) and, in a user namespace, root-owned
 * files show as the overflow id: "other" permissions are what reach it.
 * The sender's SCM_CREDENTIALS are not checked against the scope's cgroup: a
 * pid can be reused between sendmsg() and the check, and tank-exec processes
 * share the scope anyway, so the check would not tell the main process apart;
 * NOTIFY_SOCKET is given to the main process only (tank-exec does not get it,
 * like NotifyAccess=main), which is what decides who speaks in practice.
 *
 * Protocol (systemd's): one datagram of newline-separated KEY=VALUE lines, at
 * most NOTIFY_BUFFER_MAX bytes; longer ones (MSG_TRUNC) and ones with a NUL
 * byte are dropped whole, as systemd does. Understood:
 *   READY=1      exactly; "READY=0" and the like are ignored
 *   STATUS=text  the last one in a datagram; cut at NOTIFY_STATUS_MAX bytes
 *                (on a UTF-8 boundary); control characters kept, tankctl
 *                escapes them on output
 *   WATCHDOG=1   exactly
 * Ignored, because tankd has nothing they could mean here: MAINPID= (the main
 * process is the one the shim started; a container must not point tankd at
 * another pid), RELOADING=, STOPPING= (no reload/stop states in a pod),
 * ERRNO=, BUSERROR= (exit codes come from the exit record), EXTEND_TIMEOUT_USEC=
 * and WATCHDOG_USEC= (timeouts come from the spec, never from the workload),
 * FDSTORE=/FDNAME= (no fd store: fds received are closed at once), and any
 * other line, including lines without '='.
 *
 * A flood cannot take over tankd's loop: at most NOTIFY_BATCH_MAX datagrams
 * are read per wakeup, and what they say is coalesced (one STATUS, the last;
 * READY and WATCHDOG at most once each) before the callback runs; the socket's
 * receive queue bounds what waits, and a full queue makes the sender wait or
 * fail, never tankd. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "macro.h"

#define NOTIFY_BUFFER_MAX 4096          /* like systemd's NOTIFY_BUFFER_MAX */
#define NOTIFY_STATUS_MAX 256
#define NOTIFY_BATCH_MAX 16
#define NOTIFY_SOCKET_NAME "notify"     /* inside the notify directory */

typedef enum NotifyMessageType {
        NOTIFY_MSG_READY,
        NOTIFY_MSG_STATUS,
        NOTIFY_MSG_WATCHDOG,
        _NOTIFY_MSG_MAX,
        _NOTIFY_MSG_INVALID = -EINVAL,
} NotifyMessageType;

const char *notify_message_type_to_string(NotifyMessageType t);

/* What one datagram (or a coalesced batch) says. */
typedef struct NotifyMessage {
        bool ready;
        bool watchdog;
        bool has_status;
        char status[NOTIFY_STATUS_MAX + 1];
} NotifyMessage;

/* Parse one datagram of len bytes (not NUL-terminated) into *ret, which is
 * overwritten. -EBADMSG for a NUL byte inside (then *ret is untouched); an
 * empty datagram or one saying nothing understood is 0 with all false. */
int notify_parse(const char *buf, size_t len, NotifyMessage *ret);

/* Merges b into a: later STATUS wins, READY and WATCHDOG are or-ed. */
void notify_message_merge(NotifyMessage *a, const NotifyMessage *b);

typedef struct NotifyListener NotifyListener;

/* text is the STATUS= text for NOTIFY_MSG_STATUS, NULL otherwise; borrowed for
 * the call. Per wakeup the order is STATUS, READY, WATCHDOG. The callback must
 * not free the listener (several calls may follow): a stop it causes is done
 * from the reconciler's own pass. */
typedef void (*notify_handler_t)(NotifyListener *l, NotifyMessageType type, const char *text, void *userdata);

/* Makes the socket dir/NOTIFY_SOCKET_NAME (an existing one is unlinked first:
 * a previous tankd's, left for adoption), owned by uid:gid, mode 0666, and
 * listens on it. dir must exist; it is opened O_NOFOLLOW and the socket bound
 * through /proc/self/fd, so the path may be longer than sun_path. */
int notify_listener_new(sd_event *e, const char *dir, uid_t uid, gid_t gid, notify_handler_t cb, void *userdata,
                        NotifyListener **ret);
/* Stops listening, closes and unlinks the socket (only if it is still the one
 * this listener bound). */
NotifyListener *notify_listener_free(NotifyListener *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(NotifyListener *, notify_listener_free);
