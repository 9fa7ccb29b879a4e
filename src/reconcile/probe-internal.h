/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the probe runners share (probe-run.c): the run, its result, the
 * deferred report. Each kind keeps its own state and frees it in its
 * stop() (called on cancel and after the report). */

#include "reconcile/probe-run.h"

struct ProbeRun {
        sd_event *event;
        probe_run_done_t cb;
        void *userdata;
        ProbeResult result;
        sd_event_source *report;        /* armed once the result is in */
        void *kind;
        void (*stop)(void *kind);       /* free the kind's state; kill what still runs */
};

int probe_run_new(sd_event *e, probe_run_done_t cb, void *userdata, ProbeRun **ret);
/* Frees the run without a callback (a start that failed, a cancel). */
ProbeRun *probe_run_free(ProbeRun *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(ProbeRun *, probe_run_free);
/* The result is complete: report it from the loop. */
void probe_run_finish(ProbeRun *r);

void probe_result_reason(ProbeResult *res, const char *fmt, ...) _printf_(2, 3);
void probe_result_timeout(ProbeResult *res, uint64_t timeout_usec);
/* Keeps what still fits in the first PROBE_OUTPUT_MAX bytes. */
int probe_result_append(ProbeResult *res, const void *data, size_t n);
