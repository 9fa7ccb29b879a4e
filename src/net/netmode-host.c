/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "net/netmode.h"

/* "host": the containers share the host's namespace and keep their images'
 * /etc files; nothing is made, so nothing is adopted or torn down, and the
 * host's addresses are not the pod's to claim. */

const NetworkModeOps network_mode_host = {
        .name = "host",
        .host_namespace = true,
};
