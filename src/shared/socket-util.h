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

#include <sys/un.h>

/* The parts to bind an AF_UNIX socket at path through its directory: an
 * O_PATH fd of the directory (O_CLOEXEC) in ret_dir_fd, the last component in
 * ret_name (to unlinkat() it by later), and in ret_sa the address
 * "/proc/self/fd/<dir>/<name>", which keeps a long directory out of
 * sun_path's 108 bytes. -EINVAL: path has no '/' or ends in one;
 * -ENAMETOOLONG: even that address does not fit. */
int socket_address_in_dir(const char *path, int *ret_dir_fd, char **ret_name, struct sockaddr_un *ret_sa);
