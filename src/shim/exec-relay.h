/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internal to tank-exec: the relay between the caller's socket and the exec'd
 * process (protocol: exec-protocol.h). */

#include <stdbool.h>
#include <sys/types.h>

typedef struct ExecRelay {
        int client;     /* the caller's SOCK_SEQPACKET end; may go away (detach) */
        pid_t child;
        bool tty;
        int in;         /* process stdin (the PTY master with a tty) */
        int out;        /* process stdout (the same master with a tty) */
        int err;        /* process stderr, -EBADF with a tty */
        int control;    /* tankd's sync socket, for "kill"; not owned, -EBADF: none */
} ExecRelay;

/* Runs until the child has exited and its output is drained; sends the EXIT
 * packet if the client is still there. Takes ownership of every fd in r but
 * control. "kill" on control SIGKILLs the child's process group (the child
 * leads it: it called setsid()).
 * Returns the status: the exit code, or 128+signal. */
int exec_relay_run(ExecRelay *r);
