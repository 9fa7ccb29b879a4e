/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internal to tank-shim: the attach server (protocol: attach-protocol.h). */

#include <systemd/sd-event.h>

#include "attach-protocol.h"
#include "macro.h"

typedef struct AttachServer AttachServer;

/* path may be NULL: no socket, but output is still kept for nobody. */
int attach_server_new(sd_event *e, const char *path, int pty_master, AttachServer **ret);
/* PTY output: into the replay buffer and to every client. */
void attach_server_output(AttachServer *s, const char *buf, size_t n);
/* The workload is gone: tell the clients, close them, remove the socket. */
void attach_server_exit(AttachServer *s, int status);
AttachServer *attach_server_free(AttachServer *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(AttachServer *, attach_server_free);
