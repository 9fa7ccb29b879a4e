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
 * Auto-compaction and a backend quota are set. In a fleet ([Store] Peers=)
 * the member is one of a statically bootstrapped cluster (initial-cluster,
 * state "new", token "tank"), its peers reached on their URLs, with peer TLS
 * when given.
 *
 * This module knows etcd, not systemd: etcd_server_unit_new() says what the
 * unit must run (and makes its directories); the caller starts it through
 * bus/service.h, adopting a running one (the store outlives tankd), checks an
 * adopted one with etcd_server_unit_check_adopted(), and then
 * etcd_server_wait() polls the store until it answers: cb gets r = 0 and the
 * client endpoint, or r < 0 and a message that names the unit to look at. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "macro.h"

#define ETCD_SERVER_UNIT "tank-etcd.service"
#define ETCD_SERVER_SOCKET_DIR "etcd"
#define ETCD_SERVER_SOCKET "etcd.sock:0"
#define ETCD_SERVER_PEER_SOCKET "etcd-peer.sock:0"
#define ETCD_SERVER_QUOTA_BYTES (1024ULL * 1024ULL * 1024ULL)
#define ETCD_SERVER_COMPACTION_RETENTION "1h"   /* periodic: keep an hour of history */
#define ETCD_SERVER_START_TIMEOUT_USEC (60ULL * 1000ULL * 1000ULL)

typedef struct EtcdServerConfig {
        const char *data_dir;           /* required: the member's data lives here */
        const char *runtime_dir;        /* required: sockets beneath (e.g. /run/tank) */
        const char *unit;               /* NULL: ETCD_SERVER_UNIT */
        const char *etcd_binary;        /* NULL: /usr/bin/etcd */
        uint64_t quota_backend_bytes;   /* 0: ETCD_SERVER_QUOTA_BYTES */
        uint64_t timeout_usec;          /* 0: ETCD_SERVER_START_TIMEOUT_USEC */
        /* A member of a fleet's cluster ([Store] Peers=): "name=URL" of every
         * member, member_name this one's. The member listens for its peers on
         * its URL (an address of this host); clients still only on the unix
         * socket (this host's tankd). NULL: the single member of standalone. */
        char * const *peers;
        const char *member_name;
        const char *peer_cert_file, *peer_key_file, *peer_trusted_ca_file;
} EtcdServerConfig;

/* What systemd is to run, in the terms of a transient service. */
typedef struct EtcdServerUnit {
        char *unit, *description;
        char *working_directory;        /* the socket directory */
        char **exec_start_pre;          /* removes sockets a killed etcd left behind */
        char **exec_start;
        const char *restart;            /* "always" */
        uint64_t restart_usec;
        bool no_start_limit;
        int umask;
        char *endpoint;                 /* "unix://<runtime_dir>/etcd/etcd.sock:0" */
        char *runtime_dir;
        uint64_t timeout_usec;
} EtcdServerUnit;

/* "unix://<runtime_dir>/etcd/etcd.sock:0" */
int etcd_server_endpoint(const char *runtime_dir, char **ret);

/* Makes runtime_dir, data_dir and the socket directory (0700, ours). */
int etcd_server_unit_new(const EtcdServerConfig *config, EtcdServerUnit **ret);
EtcdServerUnit *etcd_server_unit_free(EtcdServerUnit *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(EtcdServerUnit *, etcd_server_unit_free);

/* An adopted unit started by an older tankd has its sockets straight in
 * runtime_dir, where we neither look nor want them: -EADDRNOTAVAIL and why. */
int etcd_server_unit_check_adopted(const EtcdServerUnit *u, const char **ret_reason);

typedef struct EtcdServer EtcdServer;

/* endpoint is valid during the call only; called from the event loop, never
 * from within etcd_server_wait() */
typedef void (*EtcdServerReady)(EtcdServer *e, int r, const char *endpoint, const char *error,
                                void *userdata);

int etcd_server_wait(sd_event *event, const EtcdServerUnit *u, EtcdServerReady cb, void *userdata,
                     EtcdServer **ret);
/* Stops waiting; never stops the unit (the store outlives tankd). */
EtcdServer *etcd_server_free(EtcdServer *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(EtcdServer *, etcd_server_free);
