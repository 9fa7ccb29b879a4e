/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile/probe-internal.h"

static int on_report(sd_event_source *s, void *userdata) {
        ProbeRun *r = userdata;

        /* The kind's state goes first, so that nothing of it outlives the report. */
        if (r->stop)
                r->stop(r->kind);
        r->stop = NULL;
        r->kind = NULL;
        r->cb(&r->result, r->userdata);
        probe_run_free(r);
        return 0;
}

int probe_run_new(sd_event *e, probe_run_done_t cb, void *userdata, ProbeRun **ret) {
        _cleanup_(probe_run_freep) ProbeRun *r = NULL;
        int k;

        if (!e || !cb || !ret)
                return -EINVAL;
        r = calloc(1, sizeof(ProbeRun));
        if (!r)
                return -ENOMEM;
        r->event = sd_event_ref(e);
        r->cb = cb;
        r->userdata = userdata;
        /* Armed now and switched on by probe_run_finish(), which so cannot
         * fail: the callback is due exactly once, and a deferred source keeps
         * it out of the call that finished the run. */
        k = sd_event_add_defer(e, &r->report, on_report, r);
        if (k < 0)
                return k;
        k = sd_event_source_set_enabled(r->report, SD_EVENT_OFF);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(r);
        return 0;
}

ProbeRun *probe_run_free(ProbeRun *r) {
        if (!r)
                return NULL;
        if (r->stop)
                r->stop(r->kind);
        sd_event_source_disable_unref(r->report);
        free(r->result.output);
        sd_event_unref(r->event);
        free(r);
        return NULL;
}

ProbeRun *probe_run_cancel(ProbeRun *r) {
        return probe_run_free(r);
}

void probe_run_finish(ProbeRun *r) {
        (void) sd_event_source_set_enabled(r->report, SD_EVENT_ONESHOT);
}

void probe_result_reason(ProbeResult *res, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(res->reason, sizeof res->reason, fmt, ap);
        va_end(ap);
}

void probe_result_timeout(ProbeResult *res, uint64_t timeout_usec) {
        res->success = false;
        res->timed_out = true;
        if (timeout_usec % 1000000U == 0)
                probe_result_reason(res, "timeout after %llus", (unsigned long long) (timeout_usec / 1000000U));
        else
                probe_result_reason(res, "timeout after %llums", (unsigned long long) (timeout_usec / 1000U));
}

int probe_result_append(ProbeResult *res, const void *data, size_t n) {
        size_t k;

        if (res->output_len >= PROBE_OUTPUT_MAX || n == 0)
                return 0;
        if (!res->output) {
                res->output = malloc(PROBE_OUTPUT_MAX + 1);
                if (!res->output)
                        return -ENOMEM;
        }
        k = MIN(n, PROBE_OUTPUT_MAX - res->output_len);
        memcpy(res->output + res->output_len, data, k);
        res->output_len += k;
        res->output[res->output_len] = 0;
        return 0;
}
