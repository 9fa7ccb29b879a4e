/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Standalone mode: tankd owns a single-member etcd, run by systemd as the
 * transient service ETCD_SERVER_UNIT (so `systemctl status tank-etcd.service`
 * shows it and Restart=always brings it back when it dies). It listens only on
 * unix sockets in runtime_dir/ETCD_SERVER_SOCKET_DIR (client "etcd.sock:0",
 * peer "etcd-peer.sock:0": etcd's unix://NAME:PORT form, relative to its
 * working directory), never on a TCP port, so it cannot collide with a user's
 * own etcd on 2379/2380. Whoever can connect to the client socket can write
 * the desired state, which is root on the host: the directory is made 0700
 * (whatever it was) and the unit runs with UMask=0077, so neither depends on
 * the umask of whoever started tankd.
 * Auto-compaction and a backend quota are set.
 *
 * etcd_server_start(): if the unit is already running (a previous tankd started
 * it: the store outlives tankd), it is adopted, not restarted; otherwise it is
 * created. Then the store is polled until it answers (up to timeout_usec) and
 * cb gets r = 0 and the client endpoint, or r < 0 and a message that names the
 * unit to look at. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"

#define ETCD_SERVER_UNIT "tank-etcd.service"
#define ETCD_SERVER_SOCKET_DIR "etcd"
#define ETCD_SERVER_SOCKET "etcd.sock:0"
#define ETCD_SERVER_PEER_SOCKET "etcd-peer.sock:0"
#define ETCD_SERVER_QUOTA_BYTES (1024ULL * 1024ULL * 1024ULL)
#define ETCD_SERVER_COMPACTION_RETENTION "1h"   /* periodic: keep an hour of history */
#define ETCD_SERVER_START_TIMEOUT_USEC (60ULL * 1000ULL * 1000ULL)

typedef struct EtcdServer EtcdServer;

typedef struct EtcdServerConfig {
        const char *data_dir;           /* required: the member's data lives here */
        const char *runtime_dir;        /* required: sockets beneath (e.g. /run/tank) */
        const char *unit;               /* NULL: ETCD_SERVER_UNIT */
        const char *etcd_binary;        /* NULL: /usr/bin/etcd */
        uint64_t quota_backend_bytes;   /* 0: ETCD_SERVER_QUOTA_BYTES */
        uint64_t timeout_usec;          /* 0: ETCD_SERVER_START_TIMEOUT_USEC */
} EtcdServerConfig;

/* endpoint is valid during the call only */
typedef void (*EtcdServerReady)(EtcdServer *e, int r, const char *endpoint, const char *error,
                                void *userdata);

/* "unix://<runtime_dir>/etcd/etcd.sock:0" */
int etcd_server_endpoint(const char *runtime_dir, char **ret);

int etcd_server_start(sd_bus *bus, sd_event *event, const EtcdServerConfig *config, EtcdServerReady cb,
                      void *userdata, EtcdServer **ret);
/* Stops waiting; never stops the unit (the store outlives tankd). */
EtcdServer *etcd_server_free(EtcdServer *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(EtcdServer *, etcd_server_free);
#define _cleanup_etcd_server_free_ _cleanup_(etcd_server_freep)

/* Whether the last start adopted a running unit (true) or created it (false). */
bool etcd_server_adopted(EtcdServer *e);
