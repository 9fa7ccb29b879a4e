/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* tankd's lifecycle events (issue 19): each is written as one structured
 * journal entry (MESSAGE= for humans, SYSLOG_IDENTIFIER=tankd, TANK_EVENT=
 * its name, TANK_EVENT_ID= a random id, TANK_POD=, TANK_CONTAINER=,
 * TANK_RESTART=, TANK_IMAGE=, TANK_IMAGE_DIGEST= and the event's own fields)
 * and then handed to the ReconcilerObserver's event callback (the daemon
 * emits it as the Manager's Event signal). The entry goes first: a client
 * that saw the signal finds the entry by its id when it reads the journal,
 * which is how `tankctl events --since` joins the past to the live stream
 * without a gap or a duplicate. The names are tankd(8)'s and fixed. */

#include <stdint.h>

#include "reconcile/lifecycle.h"
#include "reconcile/podstate.h"

typedef enum TankEventType {
        TANK_EVENT_APPLIED,     /* a new desired spec (revision) */
        TANK_EVENT_PULLED,      /* an image was pulled for a container */
        TANK_EVENT_STARTED,     /* a container's workload runs */
        TANK_EVENT_OOM,         /* its workload was OOM-killed (an "exited" follows) */
        TANK_EVENT_EXITED,      /* its workload ended, with its status */
        TANK_EVENT_RESTARTED,   /* the restart policy restarts it after the backoff */
        TANK_EVENT_FAILED,      /* it could not be started; retried after the backoff */
        TANK_EVENT_HEALTH,      /* its health changed */
        TANK_EVENT_ADOPTED,     /* a tankd that started found it running and took it over */
        TANK_EVENT_DELETED,     /* the pod was deleted from the store */
        TANK_EVENT_ROLLOUT,     /* a revision's rollout ended (succeeded, failed, reverted, superseded) */
        _TANK_EVENT_MAX,
        _TANK_EVENT_INVALID = -EINVAL,
} TankEventType;

#define TANK_EVENT_ID_MAX 33    /* 32 hex digits and NUL */

typedef struct TankEvent {
        TankEventType type;
        char id[TANK_EVENT_ID_MAX];
        uint64_t at_usec;       /* CLOCK_REALTIME */
        const char *pod;
        const char *container;  /* "" for an event of the pod */
        const char *message;
        char **fields;          /* "TANK_X=value", TANK_POD= and TANK_CONTAINER= included */
} TankEvent;

const char *tank_event_to_string(TankEventType t);
TankEventType tank_event_from_string(const char *s);

/* Events of a step of the container's machine (from container_feed()):
 * before is its state before the step, a what the step asked for. */
void events_container_step(Reconciler *rc, ContainerState *c, LifecycleEventType ev, const LifecycleState *before,
                           const LifecycleActions *a);
/* An image was pulled for c (not one found in the store). */
void events_container_pulled(Reconciler *rc, ContainerState *c, const char *digest);
/* c's health changed (c->health). */
void events_container_health(Reconciler *rc, ContainerState *c);
/* The rollout of p's revision ended with result and reason ("" if none). */
void events_pod_rollout(Reconciler *rc, PodState *p, int64_t revision, const char *result, const char *reason);
/* The pod's desired spec changed (p->desired; NULL: deleted). */
void events_pod_desired(Reconciler *rc, PodState *p, bool was_desired);
