/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* File access for the config loader. */

#include <stddef.h>

/* Names of the *.conf files in dir_fd's tank.conf.d, strcmp()-sorted, dot
 * files excluded; NULL when the directory does not exist. */
int config_collect_dropins(int dir_fd, char ***ret);
