/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include <netlink/errno.h>

#include "log.h"
#include "net/nl-util.h"

int nl_error_to_errno(int nlerr) {
        switch (abs(nlerr)) {
        case NLE_SUCCESS:
                return 0;
        case NLE_INTR:
                return -EINTR;
        case NLE_BAD_SOCK:
                return -EBADF;
        case NLE_AGAIN:
                return -EAGAIN;
        case NLE_NOMEM:
                return -ENOMEM;
        case NLE_EXIST:
                return -EEXIST;
        case NLE_INVAL:
                return -EINVAL;
        case NLE_RANGE:
                return -ERANGE;
        case NLE_MSGSIZE:
                return -EMSGSIZE;
        case NLE_OPNOTSUPP:
                return -EOPNOTSUPP;
        case NLE_AF_NOSUPPORT:
                return -EAFNOSUPPORT;
        case NLE_OBJ_NOTFOUND:
                return -ENOENT;
        case NLE_NOATTR:
                return -ENODATA;
        case NLE_PERM:
                return -EPERM;
        case NLE_BUSY:
                return -EBUSY;
        case NLE_NOADDR:
                return -EADDRNOTAVAIL;
        case NLE_NODEV:
                return -ENODEV;
        case NLE_NOACCESS:
                return -EACCES;
        case NLE_PROTO_MISMATCH:
                return -EPROTONOSUPPORT;
        case NLE_IMMUTABLE:
                return -EROFS;
        default:
                return -EIO;
        }
}

int nl_route_socket_open(const char *netns_path, struct nl_sock **ret) {
        _cleanup_close_ int self = -EBADF, target = -EBADF;
        struct nl_sock *sk;
        int r;

        sk = nl_socket_alloc();
        if (!sk)
                return -ENOMEM;

        if (netns_path) {
                self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
                if (self < 0)
                        goto fail_errno;
                target = open(netns_path, O_RDONLY | O_CLOEXEC);
                if (target < 0)
                        goto fail_errno;
                if (setns(target, CLONE_NEWNET) < 0)
                        goto fail_errno;
        }
        r = nl_connect(sk, NETLINK_ROUTE);
        if (netns_path && setns(self, CLONE_NEWNET) < 0) {
                /* Going on in the pod's namespace would create the next pod's links in
                 * the wrong place; there is no safe way forward. */
                log_full_errno(LOG_EMERG, errno, "Cannot return to the host network namespace: %m");
                abort();
        }
        if (r < 0) {
                nl_socket_free(sk);
                return nl_error_to_errno(r);
        }
        *ret = sk;
        return 0;

fail_errno:
        r = -errno;
        nl_socket_free(sk);
        return r;
}
