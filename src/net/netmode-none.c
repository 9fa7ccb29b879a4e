/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "net/netmode.h"

/* "none": the pod's own namespace with only loopback, and its hostname and
 * hosts files; the images keep their resolv.conf. */

static bool none_adoptable(const char *old_stamp, const char *stamp) {
        /* A namespace from before stamps holds nothing but lo: nothing in it
         * can be wrong. */
        return !old_stamp || streq(old_stamp, stamp);
}

const NetworkModeOps network_mode_none = {
        .name = "none",
        .adoptable = none_adoptable,
        .teardown = pod_network_remove_namespace,
};
