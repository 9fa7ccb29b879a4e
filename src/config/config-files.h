/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* File access for the config loader. */

#include <stddef.h>

/* Read all of fd, at most TANK_CONFIG_FILE_MAX bytes (-EFBIG beyond), NUL-terminated. */
int config_read_fd_all(int fd, char **ret, size_t *ret_len);

/* Names of the *.conf files in dir_fd's tank.conf.d, strcmp()-sorted, dot
 * files excluded; NULL when the directory does not exist. */
int config_collect_dropins(int dir_fd, char ***ret);
