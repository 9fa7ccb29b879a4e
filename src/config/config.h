/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Tank's configuration (DESIGN.md "Configuration", man tank.conf(5)).
 *
 * config_load() reads <dir>/tank.conf and then every file ending in ".conf" in
 * <dir>/tank.conf.d, in strcmp() order; a missing file or directory is not an error. Scalar keys: the
 * last assignment wins (main file < drop-ins in order). List keys (Endpoints=,
 * DNS=, Insecure=, Mirror=) work like systemd's: every assignment appends, an
 * empty assignment clears what was set before. Finally $TANK_DATA_DIR, when set
 * and non-empty, replaces [Tank] DataDirectory=.
 *
 * Whatever config_load() returns is valid and complete: defaults are filled, all
 * paths are absolute, and the store mode is decided:
 *   - standalone (no Endpoints=): store_data_dir is [Store] DataDirectory= or,
 *     by default, <data_dir>/store;
 *   - external (Endpoints= given): store_data_dir is NULL. Endpoints= together
 *     with an explicit [Store] DataDirectory= is refused, because Tank never
 *     starts an etcd of its own in that mode and a data directory would silently
 *     mean nothing.
 *   - fleet member (Peers= given): tankd boots this node's member of the
 *     cluster Peers= lists; store_data_dir is DataDirectory= or, by default,
 *     <data_dir>/store-member (not the standalone store's: a member's data
 *     belongs to its cluster). Peers= must name this node ([Node] Name=) and
 *     excludes Endpoints=.
 *
 * Refusals are -EINVAL with *ret_error = "FILE:LINE: reason" (or "FILE: reason"
 * for whole-file problems; "TANK_DATA_DIR: reason" for the environment).
 * Unknown sections and keys are not errors: each one becomes a string
 * "FILE:LINE: unknown key X in section [Y]" in *ret_warnings, for the caller to
 * print. The library itself never prints. */

#include <stdint.h>

#include "macro.h"

/* Fixed by DESIGN.md, independent of --prefix: tank is a system service. */
#define TANK_CONFIG_DIR_DEFAULT "/etc/tank"
#define TANK_DATA_DIR_DEFAULT "/var/lib/tank"
#define TANK_AUTH_FILE_DEFAULT "/etc/tank/auth.json"
#define TANK_CONFIG_FILE_MAX (1024 * 1024)   /* larger files are refused */

#ifndef USEC_PER_SEC
#define USEC_PER_SEC UINT64_C(1000000)
#endif
#ifndef USEC_PER_MSEC
#define USEC_PER_MSEC UINT64_C(1000)
#endif

typedef enum HostAdapter {
        HOST_ADAPTER_AUTO,    /* uplink and DNS from the default route / resolved or resolv.conf */
        HOST_ADAPTER_STATIC,  /* default (DESIGN.md): Uplink= and DNS= as configured */
        _HOST_ADAPTER_MAX,
        _HOST_ADAPTER_INVALID = -EINVAL,
} HostAdapter;

typedef struct RegistryMirror {
        char *registry;       /* e.g. "docker.io" or "127.0.0.1:5000" */
        char *url;            /* http:// or https:// URL */
} RegistryMirror;

typedef struct TankConfig TankConfig;
/* Peers='s URL of the member `name`, NULL if it has none. */
const char *config_peer_url(const TankConfig *c, const char *name);

struct TankConfig {
        /* [Tank] */
        char *data_dir;

        /* [Store] */
        char *store_data_dir;           /* NULL in external (bring-your-own) mode */
        char **store_endpoints;         /* NULL: standalone */
        /* "name=URL" of every member of the fleet's cluster, this node's
         * among them: each node boots and owns its own member. NULL: none. */
        char **store_peers;
        char *store_peer_cert_file;     /* peer TLS, all NULL when unset */
        char *store_peer_key_file;
        char *store_peer_trusted_ca_file;
        char *store_cert_file;          /* NULL when unset */
        char *store_key_file;
        char *store_trusted_ca_file;

        /* [Host] */
        HostAdapter host_adapter;
        char *host_uplink;              /* NULL when unset (refused with an explicit Adapter=static) */
        char **host_dns;                /* IP address strings; NULL: none */

        /* [Registry] */
        RegistryMirror *mirrors;
        size_t n_mirrors;
        char **insecure_registries;     /* host[:port] entries; NULL: none */
        char *auth_file;

        /* [Restart], in microseconds */
        uint64_t backoff_base_usec;     /* default 1 s */
        uint64_t backoff_cap_usec;      /* default 300 s, >= base */
        uint64_t stable_usec;           /* default 60 s */
        uint64_t stop_timeout_usec;     /* default 10 s: SIGTERM .. SIGKILL grace */

        /* [Limits] */
        uint64_t default_pids;          /* TasksMax of a container without limits.pids;
                                         * default 2048 (as Podman), 0: none ("infinity") */

        /* [Images], bytes; UINT64_MAX: infinity (no limit). Defaults and why: tank.conf(5). */
        uint64_t images_max_layer_size;          /* compressed, as declared and as received */
        uint64_t images_max_unpacked_layer_size;
        uint64_t images_max_image_size;          /* sum of layers, compressed and unpacked */
        uint64_t images_min_free_space;          /* 0: none */
        unsigned images_min_free_percent;        /* MinFreeSpace=N%: replaces the bytes */
        /* [Security] */
        bool userns_auto;               /* UserNamespace=auto: pods that do not say get a
                                         * private uid/gid range; default host */
        /* [Rollout] */
        unsigned rollout_history_limit; /* revisions kept per pod, 1..TANK_HISTORY_LIMIT_MAX; default 10 */

        /* [Node]: this host as a member of the fleet (config-node.c) */
        char *node_name;                /* a node name (config_node_name_is_valid()); default: the host
                                         * name, its first label lowercased */
        char **node_labels;             /* "key=value", keys unique, in the order first set; NULL: none */
        uint64_t node_lease_usec;       /* the node key's lease TTL, whole seconds; default 15 s */
        uint64_t node_fence_usec;       /* default: 2/3 of LeaseSec (two keepalive periods) */
        uint64_t node_reschedule_delay_usec; /* default 30 s */
        uint64_t update_check_usec;     /* UpdateCheckSec=: image_update's period, >= 1s; default 3600s */
};

/* [Node]. The fence inequality config_load() enforces (tank.conf(5)):
 *   LeaseSec / 3 < FenceSec < LeaseSec, and
 *   FenceSec + [Restart] StopTimeoutSec + TANK_FENCE_MARGIN <= LeaseSec + RescheduleDelaySec
 * so a node cut off from the store has stopped its reschedulable pods before
 * any other node may start them. */
#define TANK_NODE_LEASE_SEC_DEFAULT 15U
#define TANK_NODE_LEASE_SEC_MIN 3U
#define TANK_NODE_LEASE_SEC_MAX 3600U
#define TANK_NODE_RESCHEDULE_DELAY_SEC_DEFAULT 30U
#define TANK_FENCE_MARGIN_USEC (2 * USEC_PER_SEC)
#define TANK_NODE_NAME_MAX 63U
#define TANK_NODE_LABELS_MAX 64U

#define TANK_DEFAULT_PIDS_DEFAULT UINT64_C(2048)
#define TANK_HISTORY_LIMIT_DEFAULT 10U
#define TANK_HISTORY_LIMIT_MAX 1000U
#define TANK_UPDATE_CHECK_SEC_DEFAULT 3600U
#define TANK_MAX_LAYER_SIZE_DEFAULT (UINT64_C(8) << 30)
#define TANK_MAX_UNPACKED_LAYER_SIZE_DEFAULT (UINT64_C(32) << 30)
#define TANK_MAX_IMAGE_SIZE_DEFAULT (UINT64_C(64) << 30)
#define TANK_MIN_FREE_SPACE_DEFAULT (UINT64_C(1) << 30)

TankConfig *config_free(TankConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(TankConfig *, config_free);
#define _cleanup_config_free_ _cleanup_(config_freep)

/* A config with every default filled, as if no file existed (TANK_DATA_DIR is
 * not consulted). */
int config_new_default(TankConfig **ret);

/* Load the main file, the drop-ins and $TANK_DATA_DIR (see above).
 * ret_warnings may be NULL (warnings are then dropped by the caller's choice);
 * on success *ret_warnings is set (NULL when there were none). On -EINVAL,
 * *ret_error (if non-NULL) is the malloc'd message; other errors are -errno
 * (-ENOMEM, -EACCES on an unreadable file, ...) and also set *ret_error. */
int config_load(const char *dir, TankConfig **ret, char ***ret_warnings, char **ret_error);

const char *host_adapter_to_string(HostAdapter a);
HostAdapter host_adapter_from_string(const char *s);

/* "512", "64M", "1.5G", "1G 512M": a size in bytes as systemd parses one, base
 * 1024 (B, K, M, G, T, P, E; uppercase, as systemd). "infinity" is the caller's
 * business. Overflow (and the sentinels UINT64_MAX, UINT64_MAX-1) is -ERANGE,
 * anything else malformed -EINVAL. */
int config_parse_size(const char *s, uint64_t *ret_bytes);
