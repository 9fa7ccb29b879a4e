/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "net/netmode.h"

const NetworkModeOps *network_mode_ops(NetworkMode mode) {
        switch (mode) {
        case NETWORK_NONE:
                return &network_mode_none;
        case NETWORK_HOST:
                return &network_mode_host;
        case NETWORK_MACVLAN:
                return &network_mode_macvlan;
        default:
                return NULL;
        }
}

static bool claims_addresses(const Pod *pod) {
        const NetworkModeOps *ops = network_mode_ops(pod->network.mode);

        return ops && ops->exclusive_addresses;
}

ssize_t pod_network_shared_address(const Pod *a, const Pod *b) {
        if (!claims_addresses(a) || !claims_addresses(b))
                return -1;
        for (size_t i = 0; i < a->network.n_nics; i++)
                for (size_t j = 0; j < b->network.n_nics; j++)
                        if (a->network.nics[i].address.s_addr == b->network.nics[j].address.s_addr)
                                return (ssize_t) i;
        return -1;
}
