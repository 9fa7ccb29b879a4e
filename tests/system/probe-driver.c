/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test driver for the probe runners (reconcile/probe-run.h), which tankd
 * only reaches through a pod's health checks:
 *   probe-driver [OPTIONS] tcp PORT TIMEOUT_MS
 *   probe-driver [OPTIONS] http PORT TIMEOUT_MS
 *   probe-driver [OPTIONS] exec TIMEOUT_MS ARGV...
 * OPTIONS: --netns PATH (tcp, http), --scheme S --host H --path P
 * --header "Name: value"... (http), --exe PATH --config PATH --pid PID
 * --unit UNIT (exec: tank-exec, the container's config.json, its workload
 * and scope), --cancel-after-ms N (cancel the run then; exit 3 if no
 * callback came).
 * Prints "success=0|1 timed_out=0|1 elapsed_ms=N reason=..." and, if there
 * was output, "output_len=N" and the output after an "output:" line. Exits
 * 0 on success, 1 on a failed probe, 2 on a usage or start error. */

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-event.h>

#include "log.h"
#include "reconcile/probe-run.h"
#include "strv.h"
#include "time-util.h"

typedef struct Driver {
        sd_event *event;
        bool starting;
        bool done;
        bool success;
        uint64_t started;
        ProbeRun *run;
} Driver;

static int on_quit(sd_event_source *s, uint64_t usec, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static void on_done(const ProbeResult *res, void *userdata) {
        Driver *d = userdata;

        if (d->starting) {
                fprintf(stderr, "callback from within the start\n");
                exit(2);
        }
        if (d->done) {
                fprintf(stderr, "second callback\n");
                exit(2);
        }
        d->done = true;
        d->success = res->success;
        d->run = NULL;
        printf("success=%d timed_out=%d elapsed_ms=%llu reason=%s\n", res->success, res->timed_out,
               (unsigned long long) ((now_monotonic_usec() - d->started) / 1000U), res->reason);
        if (res->output) {
                if (res->output_len > PROBE_OUTPUT_MAX || res->output[res->output_len] != 0) {
                        fprintf(stderr, "output not capped or not terminated\n");
                        exit(2);
                }
                printf("output_len=%zu\noutput:\n", res->output_len);
                fwrite(res->output, 1, res->output_len, stdout);
        }
        fflush(stdout);
        /* A moment for the loop to reap tank-exec, which ends after its report. */
        if (sd_event_add_time_relative(d->event, NULL, CLOCK_MONOTONIC, 200 * 1000U, 0, on_quit, NULL) < 0)
                (void) sd_event_exit(d->event, 0);
}

static int on_cancel(sd_event_source *s, uint64_t usec, void *userdata) {
        Driver *d = userdata;
        uint64_t t = now_monotonic_usec();

        d->run = probe_run_cancel(d->run);
        printf("cancelled cancel_ms=%llu\n", (unsigned long long) ((now_monotonic_usec() - t) / 1000U));
        fflush(stdout);
        /* Long enough for a stray callback to show. */
        if (sd_event_add_time_relative(d->event, NULL, CLOCK_MONOTONIC, 300 * 1000U, 0, on_quit, NULL) < 0)
                return sd_event_exit(d->event, 0);
        return 0;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "netns", required_argument, NULL, 'n' },  { "scheme", required_argument, NULL, 's' },
                { "host", required_argument, NULL, 'H' },   { "path", required_argument, NULL, 'p' },
                { "header", required_argument, NULL, 'h' }, { "exe", required_argument, NULL, 'e' },
                { "config", required_argument, NULL, 'c' }, { "pid", required_argument, NULL, 'P' },
                { "unit", required_argument, NULL, 'u' },   { "cancel-after-ms", required_argument, NULL, 'C' },
                {}
        };
        _cleanup_strv_free_ char **headers = NULL;
        const char *netns = NULL, *scheme = NULL, *host = NULL, *path = NULL, *kind;
        SealedExe exe = SEALED_EXE_NULL;
        ProbeExecTarget target = {};
        Driver d = {};
        long cancel_ms = -1;
        sigset_t mask;
        int opt, r;

        log_parse_environment();
        while ((opt = getopt_long(argc, argv, "+", options, NULL)) >= 0)
                switch (opt) {
                case 'n': netns = optarg; break;
                case 's': scheme = optarg; break;
                case 'H': host = optarg; break;
                case 'p': path = optarg; break;
                case 'h':
                        if (strv_extend(&headers, optarg) < 0)
                                return 2;
                        break;
                case 'e':
                        if (sealed_exe_init(&exe, optarg) < 0)
                                return 2;
                        target.exe = &exe;
                        break;
                case 'c': target.config_path = optarg; break;
                case 'P': target.workload_pid = atoi(optarg); break;
                case 'u': target.unit = optarg; break;
                case 'C': cancel_ms = atol(optarg); break;
                default: return 2;
                }
        if (argc - optind < 2) {
                fprintf(stderr, "usage: see the comment at the top of probe-driver.c\n");
                return 2;
        }
        kind = argv[optind++];

        /* sd_event_add_child() wants SIGCHLD blocked in every thread: before any starts. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        if (sd_event_default(&d.event) < 0)
                return 2;

        d.started = now_monotonic_usec();
        d.starting = true;
        if (streq(kind, "tcp") && argc - optind == 2)
                r = probe_run_tcp(d.event, netns, (uint16_t) atoi(argv[optind]), 1000U * atol(argv[optind + 1]),
                                  on_done, &d, &d.run);
        else if (streq(kind, "http") && argc - optind == 2)
                r = probe_run_http(d.event, netns, scheme, host, (uint16_t) atoi(argv[optind]), path, headers,
                                   1000U * atol(argv[optind + 1]), on_done, &d, &d.run);
        else if (streq(kind, "exec") && argc - optind >= 2)
                r = probe_run_exec(d.event, &target, argv + optind + 1, 1000U * atol(argv[optind]), on_done, &d,
                                   &d.run);
        else {
                fprintf(stderr, "bad arguments for %s\n", kind);
                return 2;
        }
        d.starting = false;
        if (r < 0) {
                fprintf(stderr, "cannot start the probe: %s\n", strerror(-r));
                return 2;
        }
        if (cancel_ms >= 0 &&
            sd_event_add_time_relative(d.event, NULL, CLOCK_MONOTONIC, 1000U * cancel_ms, 0, on_cancel, &d) < 0)
                return 2;
        /* A hang is a failure of the runners too: no run may outlive its timeout by far. */
        if (sd_event_add_time_relative(d.event, NULL, CLOCK_MONOTONIC, 60 * 1000000U, 0, on_quit, NULL) < 0)
                return 2;
        r = sd_event_loop(d.event);
        probe_run_cancel(d.run);
        sd_event_unref(d.event);
        sealed_exe_done(&exe);
        if (r < 0)
                return 2;
        if (!d.done)
                return 3;
        return d.success ? 0 : 1;
}
