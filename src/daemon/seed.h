/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Boot seeds: every <config_dir>/pods.d/NAME.json (one pod or an array) is written
 * to the store create-if-absent when tankd starts, so a pod changed or deleted at
 * runtime is never clobbered by its seed. A bad file is logged and skipped. */

#include "daemon/manager.h"

void seed_pods(Manager *m);
