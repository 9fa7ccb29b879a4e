/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The client side of exec and attach: relays the caller's stdin/stdout/stderr
 * to a terminal socket from tankd (src/shim/exec-protocol.h, a superset of
 * attach-protocol.h).
 *
 * With raw = true and stdin a terminal, the terminal is put in raw mode and
 * restored on every way out (the process ended, detach, an error, the server
 * side going away, SIGINT/SIGTERM/SIGHUP/SIGQUIT to us); its size is sent at
 * the start and on SIGWINCH. The detach keys are matched whenever stdin is a
 * terminal: then "detached" goes to stderr and the result is 0.
 *
 * Returns the exit status for tankctl: the process's status (code or
 * 128+signal), 0 on detach, 128+N when we got signal N, EXIT_FAILURE when the
 * connection broke without a status (after a message). */

#include <stdbool.h>

#include "detach.h"

int relay_run(int fd, bool raw, const DetachKeys *keys);
