/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "net/host.h"
#include "strv.h"

/* The administrator's word, as written in tank.conf: nothing is probed, so a
 * host whose routes or resolver change under it keeps giving pods the same
 * uplink and servers. */

static int static_uplink(const TankConfig *c, char **ret, char **ret_error) {
        char *s;

        if (isempty(c->host_uplink)) {
                if (ret_error &&
                    asprintf(ret_error, "the host adapter \"static\" has no uplink: set [Host] Uplink= in tank.conf, "
                             "or name the parent interface in the spec") < 0)
                        return -ENOMEM;
                return -ENXIO;
        }
        s = strdup(c->host_uplink);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int static_dns(const TankConfig *c, const ResolvedWatch *resolved, char ***ret) {
        char **l = strv_copy(c->host_dns);

        if (!l)
                return -ENOMEM;
        *ret = l;
        return 0;
}

const HostAdapterOps host_adapter_static = {
        .name = "static",
        .uplink = static_uplink,
        .dns = static_dns,
};
