/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The attach socket of a tty container (issue 8; tankd's Attach relays it).
 *
 * tank-shim listens on the config's attach_socket (AF_UNIX SOCK_SEQPACKET,
 * mode 0700, owned by root; bound through /proc/self/fd/<dirfd>/<name> so the
 * 108-byte sun_path limit does not apply) for as long as the workload runs.
 * Every packet starts with a tag byte:
 *
 *   server -> client
 *     ATTACH_TAG_OUTPUT  data (1..ATTACH_DATA_MAX bytes of PTY output). On
 *                        connect, the last ATTACH_REPLAY_MAX bytes of output
 *                        come first, so the client sees the current screen.
 *     ATTACH_TAG_EXIT    int32 status (0..255, 128+signal), host byte order:
 *                        the workload is gone; the server closes after it.
 *   client -> server
 *     ATTACH_TAG_INPUT   data, written to the PTY (dropped if the PTY's input
 *                        queue is full: the workload is not reading)
 *     ATTACH_TAG_RESIZE  uint16 rows, uint16 cols, host byte order: TIOCSWINSZ
 *
 * Several clients may attach at once; all see the output, any may type.
 * Output never waits for a client: one whose socket buffer is full is
 * disconnected (it can re-attach and gets the replay). Detach keys (Ctrl-P
 * Ctrl-Q) are the client's business: it just closes the connection. */

#define ATTACH_TAG_INPUT  0
#define ATTACH_TAG_RESIZE 1
#define ATTACH_TAG_OUTPUT 2
#define ATTACH_TAG_EXIT   5

#define ATTACH_DATA_MAX   8192
#define ATTACH_REPLAY_MAX (16 * 1024)
#define ATTACH_CLIENTS_MAX 16
