/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One systemd job, asynchronously: the part scope.c's and service.c's
 * operations share (internal to src/bus/). The promises of scope.h are kept
 * here: JobRemoved is matched before the call is sent, a JobRemoved for the
 * unit that overtakes the method reply is kept until the reply names its job,
 * the job result is mapped by job_result_to_errno(), the callback runs once,
 * and the operation lives as long as its match slot (the caller's, or its own
 * when floating). A call the bus refuses for its limits (hundreds of starts
 * or stops at once) is sent again after a short, growing delay, for up to
 * two minutes, rather than failed.
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

struct BusJob {
        const BusJobOps *ops;
        sd_bus *bus; /* borrowed: the match slot keeps the bus referenced */
        /* The operation lives as long as this slot: its destroy callback frees
         * it. Owned by the caller (ret_slot) or, when floating, by us. */
        sd_bus_slot *match_slot;
        bool floating;
        sd_bus_slot *call_slot;
        bool done;
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
int bus_job_new(size_t size, const BusJobOps *ops, sd_bus *bus, const char *name, bus_job_handler_t cb,
                void *userdata, BusJob **ret);

/* For a job not yet started; accepts NULL. */
void bus_job_free(BusJob *j);

/* Installs the JobRemoved match (which takes ownership of j, in success or
 * not), then sends the call. */
int bus_job_start(BusJob *j, sd_bus_slot **ret_slot);

/* (Re)sends the call, forgetting an earlier job. */
int bus_job_send(BusJob *j);

/* ResetFailedUnit, then the call once more (j->retried is set). */
int bus_job_reset_and_retry(BusJob *j);

/* Runs the callback once. Afterwards j may be gone: the caller's callback may
 * unref its slot, and a floating job drops itself here. */
void bus_job_finish(BusJob *j, int r, const char *result);
