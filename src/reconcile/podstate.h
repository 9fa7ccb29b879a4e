/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What tankd knows about each pod: the desired spec (from the store) beside the
 * actual state of its containers (scopes, shims, exits, backoff). The reconciler
 * owns these objects; the bus layer only reads them. */

#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus/scope.h"
#include "reconcile/backoff.h"
#include "reconcile/health.h"
#include "spec/pod.h"

struct PullRequest;
struct UnpackJob;
struct Launch;
struct ProbeRun;
struct ContainerState;

typedef struct Reconciler Reconciler;

typedef enum ContainerPhase {
        CONTAINER_WAITING,      /* nothing running, nothing in progress */
        CONTAINER_PULLING,      /* image pull in progress */
        CONTAINER_STARTING,     /* shim spawned, scope job queued */
        CONTAINER_RUNNING,
        CONTAINER_STOPPING,     /* StopUnit queued */
        CONTAINER_BACKOFF,      /* exited; restart timer armed */
        CONTAINER_EXITED,       /* exited; policy says no restart */
        CONTAINER_FAILED,       /* could not be started (reason in message); retried with backoff */
        _CONTAINER_PHASE_MAX,
} ContainerPhase;

typedef enum PodPhase {
        POD_PENDING,            /* being brought up (pull, start) */
        POD_RUNNING,            /* every container running */
        POD_BACKOFF,            /* some container waits for its restart */
        POD_SUCCEEDED,          /* all exited with 0 and will not restart */
        POD_FAILED,             /* a container failed and will not restart, or cannot start */
        POD_TERMINATING,        /* deleted, tearing down */
        _POD_PHASE_MAX,
} PodPhase;

typedef struct ExitInfo {
        bool valid;
        int code;               /* exit code, or -1 when killed */
        int signal;             /* terminating signal, or 0 */
        bool oom;
        uint64_t at_usec;       /* CLOCK_REALTIME */
        bool unhealthy;         /* tankd killed it: a liveness, startup or watchdog failure */
        char unhealthy_reason[256]; /* then: "liveness: http 503" */
} ExitInfo;

/* The lifecycle machine's state of one container (lifecycle.h steps it),
 * plain data, embedded in ContainerState. */
typedef struct LifecycleState {
        ContainerPhase phase;
        Backoff backoff;
        unsigned restarts;              /* exits that were restarted (failed starts do not count) */
        ExitInfo last_exit;
        uint64_t next_restart_usec;     /* CLOCK_REALTIME of the armed restart, 0 if none */
        bool exit_seen;                 /* exit.json appeared; waiting for the scope to go */
        /* Non-empty while STOPPING because of UNHEALTHY: the exit that follows is
         * a failure (restart policy and backoff), recorded with this reason. */
        char kill_reason[256];
} LifecycleState;

typedef struct PodState PodState;

/* A probe's result, for display (probes.c). */
typedef struct ProbeRecord {
        bool valid;
        ProbeType probe;
        bool success;
        uint64_t at_usec;               /* CLOCK_REALTIME */
        char reason[HEALTH_TEXT_MAX];
        char *output;                   /* the first PROBE_OUTPUT_MAX bytes, NULL if none */
} ProbeRecord;

/* One probe type of a running container: its timer and its run in flight. */
typedef struct ContainerProbe {
        struct ContainerState *container;
        ProbeType type;
        sd_event_source *timer;         /* PROBE_DUE, one-shot on CLOCK_MONOTONIC */
        sd_event_source *failed;        /* a run that could not start reports from here */
        char failed_reason[HEALTH_TEXT_MAX];
        struct ProbeRun *run;
} ContainerProbe;

typedef struct ContainerState {
        PodState *pod;
        char *name;
        char *unit;                     /* tank-<pod>-<c>.scope */
        char hash[SPEC_HASH_LEN + 1];   /* container_hash of what runs (or ran) */
        char pod_hash[SPEC_HASH_LEN + 1];/* pod_level_hash it was started under */
        LifecycleState lifecycle;       /* phase, restarts, last exit, backoff: stepped by lifecycle.h */
        char *message;                  /* why it is failed/waiting, for humans */
        char *image_digest;
        pid_t shim_pid;
        pid_t pid;                      /* workload, as seen from the host */
        uint64_t started_usec;          /* CLOCK_MONOTONIC */
        uint64_t started_realtime_usec;
        sd_event_source *timer;         /* restart backoff or stable-run timer */
        sd_event_source *exit_watch;    /* inotify on the run dir for the exit record */
        BusJob *job;                    /* in-flight StopUnit */
        sd_event_source *stop_retry;    /* a StopUnit that failed, sent again */
        unsigned stop_failures;
        sd_bus_slot *unit_query;        /* in-flight "is the scope still up?" */
        bool unit_query_after_stop;     /* asked once StopUnit finished: no answer counts as down */
        bool unit_query_removed;        /* asked after UnitRemoved: no answer counts as down */
        struct PullRequest *pull;       /* in-flight image pull */
        struct UnpackJob *unpack;       /* in-flight layer extraction */
        struct Launch *launch;          /* in-flight start (shim + scope) */
        bool userns_wait;               /* PULLING until the pod's user namespace range is known */
        /* Health (probes.c), while RUNNING; params fixed at the start of the run. */
        HealthParams health_params;
        HealthState health;
        ContainerProbe probes[_PROBE_TYPE_MAX];
        sd_event_source *watchdog;      /* WATCHDOG_DUE */
        ProbeRecord last_probe;         /* the newest result */
        ProbeRecord last_failure;       /* the newest failing result, with its output */
        bool adopt_started_up;          /* state.json's, for HEALTH_EV_CONTAINER_ADOPTED */
        bool adopt_ready_notified;
        /* What the workload notified before tankd saw it run: its READY=1 and
         * STATUS= may come at once after the exec, before the shim's
         * "running" is read. Taken by the health machine's start. */
        bool early_ready_notified;
        char *early_status;
        struct NotifyListener *notify;  /* "notify": its NOTIFY_SOCKET, from before the start to the end */
} ContainerState;

struct PodState {
        Reconciler *reconciler;
        char *name;
        Pod *desired;                   /* NULL once deleted in the store */
        int64_t mod_revision;           /* of desired; 0 once deleted */
        int64_t seen_revision;          /* newest store revision applied here (put or delete) */
        uint64_t created_realtime_usec; /* first seen (for AGE) */
        char *slice;
        BusJob *slice_job;              /* in-flight StopUnit of the slice, once the last scope is gone */
        bool slice_stopped;             /* that stop is done: the pod may be forgotten */
        ContainerState **containers;    /* actual containers, also those no longer desired */
        size_t n_containers;
        PodPhase phase;
        bool reconcile_queued;
        /* user_namespace "auto": the range, once read from or written to the
         * store (userns_size 0 until then); userns_busy while that is in flight */
        uint32_t userns_uid, userns_gid, userns_size;
        bool userns_busy;
        struct RolloutRun *rollout;     /* its revisions judged (rollout-run.h); NULL before the first */
};

const char *container_phase_to_string(ContainerPhase p);
const char *pod_phase_to_string(PodPhase p);

int pod_state_new(Reconciler *rc, const char *name, PodState **ret);
PodState *pod_state_free(PodState *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(PodState *, pod_state_free);

ContainerState *pod_state_find_container(PodState *p, const char *name);
int pod_state_add_container(PodState *p, const char *name, ContainerState **ret);
void pod_state_remove_container(PodState *p, ContainerState *c);

/* Totals for List and the Pod object. */
unsigned pod_state_restarts(const PodState *p);
unsigned pod_state_ready(const PodState *p);
PodPhase pod_state_compute_phase(const PodState *p);
/* The pod's message: that of its first container that has one (a failed
 * start, whether of the container or of the pod's network or volumes, is
 * its container's); NULL if none. */
const char *pod_state_message(const PodState *p);
/* "exit 3", "signal 9 (KILL)", "oom", or "" */
int exit_info_to_string(const ExitInfo *e, char **ret);
/* The status JSON of Manager.Get (phase, message, restarts, containers[…]). */
/* What another node says of a pod bound to it, shown instead of this node's. */
typedef struct PodStatusOverride {
        const char *phase;
        unsigned ready, restarts;
} PodStatusOverride;
int pod_state_status_json(const PodState *p, const PodStatusOverride *o, char **ret);
