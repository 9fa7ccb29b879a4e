/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small glue around libnl-3 route: rtnetlink sockets bound to a chosen network
 * namespace, and libnl's own error codes turned back into errno values so that
 * callers can follow the project's "negative errno" convention. */

#include <netlink/netlink.h>

#include "macro.h"

/* An rtnetlink socket in the namespace at netns_path (a bind-mounted nsfs file),
 * or in the caller's own when netns_path is NULL. A netlink socket stays in the
 * namespace it was created in, so the calling thread enters the target only for
 * the socket() call and comes straight back. */
int nl_route_socket_open(const char *netns_path, struct nl_sock **ret);

static inline void nl_socket_freep(struct nl_sock **sk) {
        if (*sk)
                nl_socket_free(*sk);
}
#define _cleanup_nl_socket_free_ _cleanup_(nl_socket_freep)

/* NLE_* (positive or negative) to a negative errno. */
int nl_error_to_errno(int nlerr);
