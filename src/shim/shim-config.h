/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The contract between tankd and tank-shim (one shim per running container).
 *
 * 1. tankd writes a container config (JSON, below) with shim_config_write(),
 *    e.g. to /run/tank/pods/<pod>/<container>/config.json (mode 0600).
 * 2. tankd creates socketpair(AF_UNIX, SOCK_SEQPACKET|SOCK_CLOEXEC), keeps one
 *    end and runs, with the other end as fd N (not CLOEXEC in the child):
 *        PKGLIBEXECDIR/tank-shim --config PATH --sync-fd N
 *    tankd must NOT be a child subreaper (PR_SET_CHILD_SUBREAPER): the shim
 *    double-forks and must be reparented away from tankd.
 * 3. The first process validates the config (invalid: sends "error ..." and
 *    exits SHIM_EXIT_CONFIG), forks the monitor and exits 0 at once; tankd
 *    reaps it. The monitor calls setsid() and sends    "pid <monitor pid>".
 * 4. tankd calls StartTransientUnit(tank-<pod>-<ctr>.scope, PIDs=[pid]) and,
 *    once the job is done, sends "go". EOF (or anything else) instead of "go"
 *    makes the monitor exit without creating anything (no exit record).
 * 5. The monitor, now in the scope, opens the journal streams and creates the
 *    container. When the workload has been execve()d it sends
 *        "running <workload pid, as seen from the host>"
 *    or, if anything failed, "error <message>" (and writes the exit record with
 *    status 125/126/127 and the message). Then it closes the sync fd: tankd's
 *    further knowledge comes from the scope (UnitRemoved) and the exit record.
 *    Every message is one SOCK_SEQPACKET packet, ASCII, no trailing NUL or
 *    newline, at most SHIM_SYNC_MSG_MAX bytes.
 * 6. To stop a container, tankd sends SIGTERM to the monitor (or lets systemd
 *    do it when stopping the scope): the monitor sends the config's
 *    stop_signal to the workload and SIGKILLs it after stop_timeout_sec. After
 *    the workload is reaped the monitor drains output, writes the exit record
 *    atomically (exit-record.h) and exits 0.
 *    Note: a PID-1 workload without a handler for the stop signal ignores it
 *    (pid_namespaces(7)); the SIGKILL after the timeout then ends it, as with
 *    docker stop.
 *
 * Exit status of the first process (the one tankd forked): SHIM_EXIT_*.
 * The monitor's own exit status is not seen by tankd (it's reparented).
 *
 * The config file (every path absolute; unknown fields and wrong types are
 * refused with the JSON path of the fault; size capped at SHIM_CONFIG_MAX):
 * {
 *   "pod": "web", "container": "app",          // DNS labels; hostname = pod
 *   "rootfs": {"directory": "/abs/dir"}         // test/plain mode: bound onto
 *                                               //   itself, used read-write
 *          |  {"lower": ["/l0", "/l1"],         // layer dirs, LOWEST first
 *              "upper": "/u", "work": "/w",     // per-container scratch
 *              "target": "/run/.../rootfs"},    // empty dir the overlay is
 *                                               //   mounted on (shim's ns only)
 *   "argv": ["/bin/sh", "-c", "..."],           // non-empty; argv[0] without
 *                                               //   '/' is searched in PATH of env
 *   "env": ["PATH=/usr/bin:/bin", "K=V"],       // KEY=VALUE, already merged
 *   "cwd": "/srv",                              // created if missing, verified
 *                                               //   to resolve inside the root
 *   "user": "1000:1000" | "nobody" | "app:grp"  // optional, default root. Names
 *                                               //   resolve in the ROOTFS's
 *                                               //   /etc/passwd and /etc/group
 *                                               //   (the shim does it after
 *                                               //   mounting); supplementary
 *                                               //   groups from /etc/group
 *   "additional_gids": [10, 20],                // optional, added to the above
 *   "mounts": [{"source": "/host/dir", "destination": "/in/ctr",
 *               "read_only": true}],            // binds; a missing source is an
 *                                               //   error; the destination is
 *                                               //   created inside the root
 *                                               //   without following symlinks
 *   "network": "host" | "private"               // host netns | a fresh one
 *            | "/run/tank/netns/web",           //   (lo up) | join by path
 *   "spec": {"name": "app", "image": ...,       // the container's spec, canonical
 *            "tty": false, ...},                //   (pod_container_serialize()), read
 *                                               //   by src/spec's own parser and
 *                                               //   validator (pod_container_parse());
 *                                               //   "name" is "container". The shim
 *                                               //   acts on "tty"; argv, env, cwd,
 *                                               //   user and mounts above are tankd's
 *                                               //   resolution of the spec with what
 *                                               //   it is not: the image's config and
 *                                               //   the volumes' host paths.
 *   "exit_file": "/run/tank/pods/web/app/exit.json",
 *   "attach_socket": "/run/tank/pods/web/app/attach",   // optional, tty only
 *   "exec_socket": "/run/tank/pods/web/app/exec",       // optional: tank-exec
 *                                               //   spawned by the shim
 *                                               //   (exec-protocol.h)
 *   "seccomp_filter": "/run/tank/seccomp.bpf",  // optional: the default policy
 *                                               //   as tankd compiled it at start
 *                                               //   (security.h); without it, or
 *                                               //   if refused, the shim and
 *                                               //   tank-exec build it themselves
 *   "pid_file": "/run/tank/pods/web/app/pid",   // optional: the workload's pid,
 *                                               //   written once it runs
 *   "resolv_conf": "/path", "hosts": "/path",   // optional, bound read-only
 *   "hostname_file": "/path",                   //   over /etc/{resolv.conf,
 *                                               //   hosts,hostname}
 *   "notify_dir": "/run/tank/pods/web/app/notify", // optional: bound read-only
 *                                               //   (nosuid,nodev,noexec) onto
 *                                               //   SHIM_NOTIFY_CONTAINER_DIR;
 *                                               //   the main process (not tank-
 *                                               //   exec's) gets NOTIFY_SOCKET=
 *                                               //   SHIM_NOTIFY_SOCKET, over any
 *                                               //   the env has. tankd listens
 *                                               //   there (src/reconcile/notify.h)
 *   "log": "journal" | "inherit",               // default journal; inherit =
 *                                               //   the shim's stdout/stderr
 *   "log_identifier": "app",                    // SYSLOG_IDENTIFIER=, default <container>
 *   "restart_count": 3,                         // optional: TANK_RESTART= of the output
 *   "image": "docker.io/library/nginx:1.27",    // optional: TANK_IMAGE= (the spec's reference)
 *   "image_digest": "sha256:...",               // optional: TANK_IMAGE_DIGEST=
 *   "stop_signal": 15, "stop_timeout_sec": 10,  // optional, these defaults
 *   "user_namespace": {"uid": 524288,           // optional: the workload runs in
 *                      "gid": 524288,           //   a user namespace mapping ids
 *                      "size": 65536}           //   0..size-1 to uid.. and gid..;
 *                                               //   layers and host volumes are
 *                                               //   idmapped, managed volumes
 *                                               //   handed to uid:gid while empty
 * }
 * A config without "spec" was written by a tankd from before it was passed
 * (with "tty": bool at the top instead); tank-exec still reads it, for the
 * containers such a tankd started, which outlive its upgrade. The shim
 * itself never gets one: tankd runs the shim of its own build (a sealed
 * copy taken at its start) with the config it has just written, and adopting
 * a running container reads state.json, never config.json.
 */

#include <stdint.h>
#include <sys/types.h>

#include "macro.h"
#include "spec/pod.h"

#define SHIM_CONFIG_MAX (1024 * 1024)
#define SHIM_SYNC_MSG_MAX 4096
#define SHIM_ARGV_MAX 4096
#define SHIM_MOUNTS_MAX 256
#define SHIM_GIDS_MAX 64

/* Where "notify_dir" shows inside the container (systemd-nspawn's place), and
 * the socket in it that tankd binds (NOTIFY_SOCKET_NAME of notify.h). */
#define SHIM_NOTIFY_CONTAINER_DIR "/run/host/notify"
#define SHIM_NOTIFY_SOCKET SHIM_NOTIFY_CONTAINER_DIR "/notify"

/* Exit status of the process tankd forks. */
enum {
        SHIM_EXIT_OK      = 0,   /* monitor forked (further news on the sync fd) */
        SHIM_EXIT_FAILURE = 1,   /* internal error before the fork (OOM, fork failed) */
        SHIM_EXIT_USAGE   = 2,   /* bad command line */
        SHIM_EXIT_CONFIG  = 3,   /* config missing/malformed/invalid */
};

/* Workload exit statuses used when there was no workload to speak of, as
 * docker/podman do: the exit record carries "error" with the reason. */
enum {
        SHIM_STATUS_SETUP_FAILED   = 125, /* namespaces, mounts, user, seccomp ... */
        SHIM_STATUS_NOT_EXECUTABLE = 126, /* execve EACCES/ENOEXEC/... */
        SHIM_STATUS_NOT_FOUND      = 127, /* argv[0] not found */
};

typedef enum ShimNetworkMode {
        SHIM_NETWORK_HOST,
        SHIM_NETWORK_PRIVATE,
        SHIM_NETWORK_PATH,
        _SHIM_NETWORK_MAX,
        _SHIM_NETWORK_INVALID = -EINVAL,
} ShimNetworkMode;

typedef enum ShimLogMode {
        SHIM_LOG_JOURNAL,
        SHIM_LOG_INHERIT,
        _SHIM_LOG_MAX,
        _SHIM_LOG_INVALID = -EINVAL,
} ShimLogMode;

typedef struct ShimMount {
        char *source;          /* host path, must exist */
        char *destination;     /* absolute path inside the container, normalized */
        bool read_only;
        bool give_to_user;     /* a managed volume: hand it, while still empty and
                                * root's, to the workload's user ("give_to_user") */
} ShimMount;

typedef struct ShimConfig {
        char *pod;
        char *container;

        /* Exactly one of rootfs_directory or (lower, upper, work, target). */
        char *rootfs_directory;
        char **rootfs_lower;   /* lowest first */
        char *rootfs_upper;
        char *rootfs_work;
        char *rootfs_target;

        char **argv;
        char **env;
        char *cwd;             /* default "/" */
        char *user;            /* NULL: root */
        gid_t *additional_gids;
        size_t n_additional_gids;

        ShimMount *mounts;
        size_t n_mounts;

        ShimNetworkMode network;
        char *netns_path;      /* for SHIM_NETWORK_PATH */

        /* The container's spec; NULL only in an older tankd's config (above),
         * which tank-exec reads and the shim refuses. */
        PodContainer *spec;
        char *exit_file;
        char *attach_socket;   /* NULL: none */
        char *exec_socket;     /* NULL: none */
        char *seccomp_filter;  /* NULL: none, the shim builds the policy itself */
        char *pid_file;        /* NULL: none */
        char *resolv_conf;
        char *hosts;
        char *hostname_file;
        char *notify_dir;      /* NULL: no NOTIFY_SOCKET */

        ShimLogMode log;
        char *log_identifier;  /* default "<container>" */
        /* Journal fields of the output (log-relay.h): launch facts, not acted upon. */
        unsigned restart_count;
        char *image;           /* NULL: none (a rootfs container) */
        char *image_digest;
        /* userns_size 0: the host's ids. Otherwise ids 0..size-1 inside are
         * userns_uid.. and userns_gid.. outside; never host root. */
        uid_t userns_uid;
        gid_t userns_gid;
        uint32_t userns_size;

        int stop_signal;       /* default SIGTERM */
        unsigned stop_timeout_sec; /* default 10 */
} ShimConfig;

ShimConfig *shim_config_new(void);       /* defaults filled; NULL on OOM */
ShimConfig *shim_config_free(ShimConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(ShimConfig *, shim_config_free);

/* Validates what shim_config_parse() validates, for a config built in code. On
 * -EINVAL, *ret_error (if given) says which field and why. */
int shim_config_verify(const ShimConfig *c, char **ret_error);

/* Parse and validate. -EINVAL/-EBADMSG with *ret_error = "<json path>: <reason>"
 * (ret_error may be NULL), -ENOMEM. */
int shim_config_parse(const char *json, size_t len, ShimConfig **ret, char **ret_error);
int shim_config_serialize(const ShimConfig *c, char **ret_json);

/* c->spec becomes a copy of spec, read back from its canonical form as the
 * shim will read it. */
int shim_config_set_spec(ShimConfig *c, const PodContainer *spec);

/* Read from a path (regular file, <= SHIM_CONFIG_MAX, O_NOFOLLOW not required:
 * tankd owns the directory). Write atomically: temp file + fsync + rename. */
int shim_config_load(const char *path, ShimConfig **ret, char **ret_error);
int shim_config_write(const ShimConfig *c, const char *path);

const char *shim_network_mode_to_string(ShimNetworkMode m);
const char *shim_log_mode_to_string(ShimLogMode m);
