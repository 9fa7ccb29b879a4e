/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Exec sessions (issue 8): tankd's Exec starts tank-exec, which joins a
 * running container and runs one more process in it.
 *
 * The caller's socket (AF_UNIX SOCK_SEQPACKET, returned by Exec) speaks the
 * attach protocol of attach-protocol.h, extended:
 *
 *   server -> client
 *     ATTACH_TAG_OUTPUT    stdout (or the PTY's output with a tty)
 *     EXEC_TAG_STDERR      stderr (never with a tty: it is the PTY)
 *     ATTACH_TAG_EXIT      int32 status: the code, or 128+signal. Last packet.
 *   client -> server
 *     ATTACH_TAG_INPUT     stdin bytes, binary-safe, never dropped (the client
 *                          is back-pressured instead)
 *     ATTACH_TAG_RESIZE    uint16 rows, uint16 cols (tty only)
 *     EXEC_TAG_STDIN_EOF   no more input: the process's stdin is closed
 *
 * A client that goes away detaches: the process keeps running; with a tty
 * the PTY master stays open in tank-exec so the process is not hung up, and
 * its output is discarded.
 *
 * tankd <-> tank-exec sync socket (SOCK_SEQPACKET, ASCII packets, no NUL):
 *   exec  -> tankd  "pid <tank-exec pid>"    tankd moves it into the
 *                                            container's scope (unless the
 *                                            shim spawned it: below), then
 *   tankd -> exec   "go"                     (EOF instead: exit at once)
 *   exec  -> tankd  "running <pid>"          the process, as seen by the host
 *                 | "error <message>"        nothing was started
 *   tankd -> exec   "kill"                   (after "running", optional)
 *                                            SIGKILL the process's process
 *                                            group: it and what it started
 *   exec  -> tankd  "exit <status>"          it ended (after the client got it)
 *
 * The process is a session and process group leader (setsid), so "kill"
 * takes its children with it: what an exec probe past its timeout must lose.
 * A descendant that left the group (setsid, setpgid: a daemon) is not
 * chased. It is then one of the container's processes like any the workload
 * starts: in its scope, under its TasksMax, gone when the container stops.
 * That is more than Docker's and Kubernetes' runtimes do for a timed-out
 * exec probe (they kill the exec'd process alone, and its children are left
 * to the container's init), and all that can be done without a race:
 * tank-exec is outside the container's PID namespace, so orphans go to the
 * workload (PID 1 there), not to a subreaper of ours, and the scope is one
 * cgroup without delegation, so there is no cgroup per exec to empty.
 *
 * Spawned by the shim. tank-exec is started by the container's own
 * tank-shim when the config names an exec_socket (shim-config.h): tankd sends
 * one datagram to it (AF_UNIX SOCK_DGRAM, the socket 0600 in the container's
 * runtime directory; the sender must be uid 0, by SCM_CREDENTIALS) whose
 * payload is tank-exec's command line below, NUL-separated (at most
 * EXEC_SPAWN_ARGS_MAX strings, EXEC_SPAWN_REQUEST_MAX bytes), with three fds
 * (SCM_RIGHTS): tank-exec's sealed copy (refused unless write-sealed), the
 * sync socket's far end and the client's end. The monitor forks and starts
 * it there, so it is born in the scope: its "pid" needs no move, and tankd
 * answers "go" at once (checking that its parent is the container's shim).
 * Anything that goes wrong closes the fds: tankd sees EOF on the sync
 * socket, which is a failed exec. tankd falls back to starting tank-exec
 * itself (and moving it, as above) when the datagram cannot be sent: no
 * socket (a shim older than this), or its queue is full.
 *
 * Command line (tankd only):
 *   tank-exec --config PATH --pid WORKLOAD-PID --sync-fd N --client-fd M
 *             [--tty] [--cwd DIR] [--env K=V]... -- ARGV...
 * The process gets the container's config env, TERM=xterm unless set, then
 * every --env (last writer per key wins). */

#include "attach-protocol.h"

#define EXEC_TAG_STDERR    3
#define EXEC_TAG_STDIN_EOF 4

#define EXEC_SYNC_MSG_MAX 4096
/* The exec socket's name in the container's runtime directory. */
#define EXEC_SOCKET_NAME "exec"
#define EXEC_SPAWN_ARGS_MAX 4096
#define EXEC_SPAWN_REQUEST_MAX (128 * 1024)
