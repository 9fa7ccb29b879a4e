/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "daemon/manager.h"
#include "log.h"

int manager_start_store(Manager *m) {
        if (m->config->store_endpoints)
                return manager_connect_store(m, m->config->store_endpoints);
        return log_error_errno(EOPNOTSUPP, "Standalone store mode is not wired up yet; set [Store] Endpoints=.");
}
