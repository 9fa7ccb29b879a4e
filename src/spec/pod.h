/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The pod spec (DESIGN.md "The pod spec", man tank-pod(5)).
 *
 * pod_parse() is the only way a Pod comes to exist from outside input: it parses
 * JSON, validates strictly and fills defaults. Whatever it returns is valid, so
 * nothing downstream (reconciler, shim, network) checks again. A refusal comes
 * back as -EINVAL with *ret_error set to "<json path>: <reason>", e.g.
 * `containers[1].mounts[0].volume: no volume "dta" in this pod`.
 *
 * Error paths: `$` is the whole document (not JSON, truncated, too big or too
 * deep, NUL bytes, not an object, and unknown/duplicate/missing fields of the
 * top-level object: `$: unknown field "foo"`). Fields are named bare at the top
 * (`name: ...`) and dotted below (`network.nics[0].ip: ...`); array elements are
 * `[i]`; env keys are `.KEY`, or `["odd key"]` when not an identifier. Unknown,
 * duplicate and missing fields are reported at the object that holds them
 * (`containers[0]: missing field "image"`). Untrusted text inside a reason is
 * double-quoted with '"' and '\' escaped, non-printable bytes as \xNN, and cut
 * after 64 bytes with "...". Only the first fault is reported; fields are
 * checked in canonical order, whatever order the document has.
 *
 * Defaults filled: restart "always", network "none", NIC parent "auto", tty
 * false, mount read_only false, a probe's timing fields (PodProbe) and an http
 * probe's path "/", host "127.0.0.1" and scheme "http"; image references are normalized
 * (nginx -> docker.io/library/nginx:latest); memory sizes become bytes; dns
 * addresses are written in canonical form.
 *
 * pod_serialize() writes canonical JSON: fixed field order, defaults filled,
 * env keys sorted. pod_parse(pod_serialize(p)) serializes to the same bytes. */

#include <netinet/in.h>
#include <stdint.h>

#include "macro.h"

#define POD_NAME_MAX 63
#define POD_JSON_MAX (1024 * 1024)       /* larger documents are refused */
#define POD_JSON_DEPTH_MAX 32            /* deeper nesting is refused */
/* Counts beyond any real pod, refused so that hostile input stays cheap. */
#define POD_CONTAINERS_MAX 128
#define POD_VOLUMES_MAX 256
#define POD_MOUNTS_MAX 256               /* per container */
#define POD_NICS_MAX 16
#define POD_DNS_MAX 8
#define POD_MANY_MAX 1024                /* pods in one pod_parse_many() array */
/* Probes (man tank-pod(5), "PROBES"). Kubernetes sets no upper bounds; these
 * keep every deadline the runtime computes within a day and far from overflow. */
#define PROBE_SECONDS_MAX 86400          /* initial_delay, period, timeout, watchdog_sec */
#define PROBE_THRESHOLD_MAX 10000        /* success_threshold, failure_threshold */
#define PROBE_EXEC_ARGS_MAX 256          /* exec argv entries */
#define PROBE_HEADERS_MAX 32             /* http headers */
#define PROBE_HEADER_NAME_MAX 256
#define PROBE_HEADER_VALUE_MAX 4096
#define PROBE_PATH_MAX 2048              /* http path, query included */
#define PROBE_HOSTNAME_MAX 253

typedef enum RestartPolicy {
        RESTART_ALWAYS,
        RESTART_ON_FAILURE,
        RESTART_NEVER,
        _RESTART_MAX,
        _RESTART_INVALID = -EINVAL,
} RestartPolicy;

/* "user_namespace": absent means the host's [Security] UserNamespace= default,
 * which the spec cannot know; so absent stays absent (and out of the canonical
 * JSON and the hashes) rather than being filled in. */
typedef enum UserNamespaceMode {
        USER_NAMESPACE_DEFAULT,
        USER_NAMESPACE_AUTO,      /* a private range of 65536 host uids/gids */
        USER_NAMESPACE_HOST,      /* the host's ids: container root is host root */
        _USER_NAMESPACE_MAX,
        _USER_NAMESPACE_INVALID = -EINVAL,
} UserNamespaceMode;

typedef enum NetworkMode {
        NETWORK_NONE,     /* default: own netns, loopback only */
        NETWORK_HOST,
        NETWORK_MACVLAN,  /* an object with "nics" (and "dns") */
        _NETWORK_MAX,
        _NETWORK_INVALID = -EINVAL,
} NetworkMode;

typedef struct PodNic {
        char *name;                 /* interface name inside the pod */
        char *parent;               /* host interface, or "auto" (default) */
        struct in_addr address;
        unsigned prefixlen;         /* 0..32 */
        bool has_gateway;
        struct in_addr gateway;
} PodNic;

typedef struct PodNetwork {
        NetworkMode mode;
        PodNic *nics;
        size_t n_nics;
        char **dns;                 /* NULL: inherit the host adapter's; else IP strings */
} PodNetwork;

typedef struct PodVolume {
        char *name;
        char *host_path;            /* NULL for a managed or an empty volume */
        bool empty;                 /* "source": {"empty": {}}: made empty for the pod, removed with it */
} PodVolume;

typedef struct PodMount {
        char *volume;
        char *path;                 /* absolute, normalized */
        bool read_only;
} PodMount;

#define LIMIT_UNSET UINT64_MAX
typedef struct PodLimits {
        uint64_t memory;            /* bytes, LIMIT_UNSET if absent */
        uint64_t pids;              /* LIMIT_UNSET if absent */
        uint64_t cpu_quota_us;      /* 0 if absent */
        uint64_t cpu_period_us;     /* 0 if absent */
} PodLimits;

typedef enum ProbeKind { PROBE_NONE, PROBE_EXEC, PROBE_HTTP, PROBE_TCP, _PROBE_KIND_MAX } ProbeKind;
typedef enum ProbeScheme { PROBE_SCHEME_HTTP, PROBE_SCHEME_HTTPS, _PROBE_SCHEME_MAX } ProbeScheme;

/* Kubernetes' probe, its names and defaults. pod_parse() fills the defaults
 * of a present probe; an absent one is all zero (PROBE_NONE). */
typedef struct PodProbe {
        ProbeKind kind;                 /* PROBE_NONE: this probe is absent */
        char **exec;                    /* PROBE_EXEC: argv, non-empty */
        uint16_t port;                  /* PROBE_HTTP, PROBE_TCP: 1..65535 */
        char *path;                     /* PROBE_HTTP: default "/" */
        char *host;                     /* PROBE_HTTP: default "127.0.0.1" */
        ProbeScheme scheme;             /* PROBE_HTTP */
        char **headers;                 /* PROBE_HTTP: "Name: value" strings, in the object's key order; NULL: none */
        unsigned initial_delay_sec;     /* 0 */
        unsigned period_sec;            /* 10, >= 1 */
        unsigned timeout_sec;           /* 1, >= 1 */
        unsigned success_threshold;     /* 1; must be 1 for liveness and startup */
        unsigned failure_threshold;     /* 3, >= 1 */
} PodProbe;

typedef struct PodProbes { PodProbe startup, liveness, readiness; } PodProbes;

/* "image_update" (man tank-pod(5)): "registry" lets tankd follow the image's
 * tag (daemon/image-update.h). Only for an image reference with a tag; the
 * digest an update pins is written into the reference ("name:tag@sha256:..."),
 * so the tag stays what the user asked for and the digest what runs. */
typedef enum ImageUpdateMode {
        IMAGE_UPDATE_OFF,
        IMAGE_UPDATE_REGISTRY,
        _IMAGE_UPDATE_MAX,
        _IMAGE_UPDATE_INVALID = -EINVAL,
} ImageUpdateMode;

const char *image_update_mode_to_string(ImageUpdateMode m);     /* "off", "registry" */
ImageUpdateMode image_update_mode_from_string(const char *s);

/* A new field: its member here and its line in container-fields.c (docs/ARCHITECTURE.md,
 * "Adding a spec field"). */
typedef struct PodContainer {
        char *name;
        char *image;                /* normalized reference; NULL when rootfs is set */
        char *rootfs;               /* absolute host path; NULL when image is set */
        char **command;             /* NULL: absent (not the same as empty) */
        char **args;                /* NULL: absent */
        char **env;                 /* KEY=VALUE, sorted by key; NULL: none */
        char *working_dir;          /* NULL: absent */
        PodMount *mounts;
        size_t n_mounts;
        PodLimits limits;
        bool tty;
        PodProbes probes;
        bool notify;                /* the main process gets a NOTIFY_SOCKET */
        unsigned watchdog_sec;      /* 0: none; requires notify */
        ImageUpdateMode image_update;   /* IMAGE_UPDATE_OFF: absent */
} PodContainer;

/* "rollout" (man tank-pod(5), "ROLLOUT"): how a change is judged. Absent
 * stays absent (set false: the defaults below apply) and out of the canonical
 * JSON, so pods that never said keep their hashes; present, it is written
 * with every default. Never part of pod_level_hash(): changing how a change
 * is judged restarts nothing. */
#define ROLLOUT_MIN_HEALTHY_SEC_DEFAULT 10U
#define ROLLOUT_DEADLINE_SEC_DEFAULT 300U
#define ROLLOUT_SECONDS_MAX 86400U
typedef struct PodRollout {
        bool set;
        unsigned min_healthy_sec;       /* 10, 0..86400 */
        unsigned deadline_sec;          /* 300, > min_healthy_sec, ..86400 */
        bool auto_revert;               /* true */
} PodRollout;

/* "placement" (man tank-pod(5), "PLACEMENT"): which nodes may run the pod.
 * Absent (set false): any node. node and labels are exclusive. Like "rollout",
 * absent stays out of the canonical JSON, and neither it nor "reschedule" is
 * part of pod_level_hash(): where a pod may run is the scheduler's business,
 * a change restarts nothing by itself. */
typedef struct PodPlacement {
        bool set;
        char *node;                     /* pinned to this node; NULL: not pinned */
        char **labels;                  /* "key=value", sorted by key; the node must have them all */
} PodPlacement;

void pod_placement_done(PodPlacement *pl);

typedef struct Pod {
        char *name;
        RestartPolicy restart;
        PodNetwork network;
        PodVolume *volumes;
        size_t n_volumes;
        PodContainer *containers;
        size_t n_containers;
        UserNamespaceMode user_namespace;
        PodRollout rollout;
        PodPlacement placement;
        bool reschedule;                /* may move to another node when its node is lost */
} Pod;

Pod *pod_free(Pod *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Pod *, pod_free);
#define _cleanup_pod_free_ _cleanup_(pod_freep)

/* Parse and validate one pod object. On -EINVAL, *ret_error (if ret_error is
 * non-NULL) is the malloc'd "<path>: <reason>" message; -ENOMEM otherwise. */
int pod_parse(const char *json, size_t len, Pod **ret, char **ret_error);

/* Accept a single pod object or a JSON array of them (tankctl apply). Paths in
 * errors for an array are prefixed "[i].". */
int pod_parse_many(const char *json, size_t len, Pod ***ret, size_t *ret_n, char **ret_error);
void pod_array_free(Pod **pods, size_t n);

/* One container object outside its pod (tank-shim reads its container's spec
 * so, docs/ARCHITECTURE.md "Adding a spec field"): validated as pod_parse()
 * validates it, except that the volumes its mounts name are not looked up
 * (the pod that defines them is not there; it was checked when it was
 * applied). path is where the object sits, for the error paths ("$": a
 * document of its own, errors name its fields bare). */
int pod_container_parse(const char *json, size_t len, const char *path, PodContainer **ret, char **ret_error);
PodContainer *pod_container_free(PodContainer *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(PodContainer *, pod_container_free);

int pod_serialize(const Pod *p, char **ret_json);          /* canonical, compact */
int pod_serialize_pretty(const Pod *p, char **ret_json);   /* canonical, indented */
/* One container's canonical compact JSON, what container_hash() hashes. */
int pod_container_serialize(const PodContainer *c, char **ret_json);
/* The canonical form with every env value replaced by POD_ENV_REDACTED (keys
 * kept): what callers who may not see secrets get. Not for hashing or storing. */
#define POD_ENV_REDACTED "<redacted>"
int pod_serialize_redacted(const Pod *p, char **ret_json);

/* Content hashes (lowercase hex SHA-256 of canonical JSON), for the reconciler:
 * container_hash covers one container's own fields; pod_level_hash covers
 * everything that is not a container (restart, network, volumes, user_namespace): a change there
 * restarts the whole pod. */
#define SPEC_HASH_LEN 64
int pod_hash(const Pod *p, char ret[static SPEC_HASH_LEN + 1]);
int pod_level_hash(const Pod *p, char ret[static SPEC_HASH_LEN + 1]);
int container_hash(const PodContainer *c, char ret[static SPEC_HASH_LEN + 1]);

const PodContainer *pod_find_container(const Pod *p, const char *name);
const PodVolume *pod_find_volume(const Pod *p, const char *name);

const char *restart_policy_to_string(RestartPolicy r);
/* "auto", "host"; USER_NAMESPACE_DEFAULT has no string (NULL). */
const char *user_namespace_mode_to_string(UserNamespaceMode m);
UserNamespaceMode user_namespace_mode_from_string(const char *s);
RestartPolicy restart_policy_from_string(const char *s);
const char *probe_kind_to_string(ProbeKind k);        /* "exec", "http", "tcp"; PROBE_NONE: NULL */
const char *probe_scheme_to_string(ProbeScheme s);    /* "http", "https" */
int probe_scheme_from_string(const char *s);          /* a ProbeScheme, or -EINVAL */
bool pod_probe_is_set(const PodProbe *p);
bool pod_probes_are_set(const PodProbes *p);

bool pod_name_is_valid(const char *s);
/* The pod's rollout with the defaults filled when it has none. */
PodRollout pod_rollout(const Pod *p);    /* lowercase DNS label, 1..63 */
