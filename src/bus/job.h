/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One systemd job, asynchronously: the part scope.c's and service.c's
 * operations share (internal to src/bus/). The promises of scope.h are kept
 * here: JobRemoved is matched before the call is sent, a JobRemoved for the
 * unit that overtakes the method reply is kept until the reply names its job,
 * the job result is mapped by job_result_to_errno() and the callback runs
 * once. A call the bus refuses for its limits is sent again after a short,
 * growing delay, for up to two minutes, rather than failed.
 *
 * All jobs of one connection go through one SystemdJobs: one JobRemoved
 * match for all of them (a match per job would be one of dbus-daemon's 512
 * match rules per connection each), and at most SYSTEMD_JOBS_MAX_IN_FLIGHT
 * jobs queued at systemd at once, the others waiting here in order. That
 * second limit is systemd's, not ours: for every job a client queues, systemd
 * tracks the client with a match rule of its own, and a systemd connection
 * over dbus-daemon's limit stops being able to watch its clients (seen at
 * 1,000 stops at once). At most SYSTEMD_JOBS_MAX_CALLING calls await their
 * reply, under dbus-daemon's 128 pending replies per connection, each for up
 * to SYSTEMD_JOBS_CALL_TIMEOUT_USEC.
 *
 * A kind of operation embeds BusJob as its first member and says in BusJobOps
 * how its call is built, what a UnitExists answer means to it (a leftover to
 * reset, or a running unit to adopt) and how its own fields are freed. */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "bus/scope.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

typedef struct BusJob BusJob;

typedef struct BusJobOps {
        /* The method call that queues the job; its reply is the job's path.
         * NULL: StartTransientUnit(name, "fail") with the job's description
         * and what append_properties() adds. */
        int (*build_call)(BusJob *j, sd_bus_message **ret);
        /* Appends (sv) properties to a transient unit's open array. */
        int (*append_properties)(BusJob *j, sd_bus_message *m);
        /* The call failed with UnitExists the first time: sends another call
         * (bus_job_reset_and_retry(), say), which sets j->retried, or fails.
         * NULL: the job fails with -EEXIST as with any other error. */
        int (*on_unit_exists)(BusJob *j);
        /* Frees the fields of the embedding struct (not the struct). NULL: none. */
        void (*free_fields)(BusJob *j);
} BusJobOps;

#define SYSTEMD_JOBS_MAX_IN_FLIGHT 256U
/* systemd answers one call after the other: a deeper pipeline does not
 * make it faster, only makes the last call wait longer (on the TCG test VM,
 * 64 at once had calls pass sd-bus's 25 s default timeout). */
#define SYSTEMD_JOBS_MAX_CALLING 16U
/* A call queued behind others at a busy systemd is slow, not lost. */
#define SYSTEMD_JOBS_CALL_TIMEOUT_USEC (120U * 1000U * 1000U)

typedef enum BusJobState {
        BUS_JOB_NEW,
        BUS_JOB_WAITING,        /* in queue->waiting: not sent yet */
        BUS_JOB_IN_FLIGHT,      /* in queue->in_flight: sent, not finished */
        BUS_JOB_DONE,           /* finished (or its queue is gone); the owner frees it */
} BusJobState;

struct BusJob {
        const BusJobOps *ops;
        SystemdJobs *queue;     /* NULL once the queue is freed */
        sd_bus *bus;            /* the queue's */
        BusJobState state;
        BusJob *prev, *next;    /* in the list of its state */
        /* No owner: freed once finished. Set without ret_job, and when the
         * owner cancels a job that systemd already has (it stays counted in
         * flight until systemd is done with it, but calls no one). */
        bool floating;
        bool orphan;            /* canceled while in flight */
        int pending_error;      /* < 0: to be finished with it by the JobRemoved handler */
        sd_bus_slot *call_slot; /* the call awaiting its reply */
        bool retried;
        char *name;
        char *description; /* of a transient unit; NULL: none */
        char *job_path;
        /* A JobRemoved for our unit that arrived before the method reply. */
        char *early_path, *early_result;
        /* The bus refused the call (LimitsExceeded: dbus-daemon allows 128
         * calls awaiting a reply per connection): it is sent again from
         * this timer, refused counts the refusals. */
        sd_event_source *resend;
        unsigned refused;
        bus_job_handler_t cb;
        void *userdata;
};

/* Allocates `size` bytes (the embedding struct) zeroed, with the BusJob part set. */
int bus_job_new(size_t size, const BusJobOps *ops, SystemdJobs *queue, const char *name, bus_job_handler_t cb,
                void *userdata, BusJob **ret);

/* For a job not yet started; accepts NULL. */
void bus_job_free(BusJob *j);

/* Sends the call now when the queue has room, else queues it. Takes
 * ownership of j in success or not. -errno (and no callback) only when the
 * call could not be sent right away. With ret_job the caller owns the job
 * (bus_job_cancel()); without, it frees itself once finished. */
int bus_job_start(BusJob *j, BusJob **ret_job);

/* (Re)sends the call, forgetting an earlier job. */
int bus_job_send(BusJob *j);

/* ResetFailedUnit, then the call once more (j->retried is set). */
int bus_job_reset_and_retry(BusJob *j);

/* Runs the callback once. Afterwards j may be gone: the caller's callback may
 * cancel it, and a floating job drops itself here. */
void bus_job_finish(BusJob *j, int r, const char *result);
