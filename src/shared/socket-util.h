/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Closing the far end of a conversation on an AF_UNIX socket pair without
 * losing the last word.
 *
 * When an AF_UNIX stream or seqpacket socket is closed while packets the peer
 * sent are still unread in its receive queue, the kernel marks the peer with
 * ECONNRESET, and the peer's next recv() fails with it *before* it reads what
 * was queued for it, such as an exit status sent just before the close. A
 * helper whose client keeps writing (`yes | tankctl exec ... -- true`) hits
 * that nearly every time.
 *
 * socket_close_drained() refuses further input (shutdown SHUT_RD: the peer's
 * sends now fail with EPIPE), discards what already arrived, then closes: the
 * peer reads everything that was sent to it, then EOF. Returns -EBADF, as
 * safe_close() does, so that `fd = socket_close_drained(fd);` reads well. */
int socket_close_drained(int fd);
