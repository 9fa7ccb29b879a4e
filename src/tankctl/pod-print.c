/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "json-guard.h"
#include "tankctl.h"
#include "time-util.h"

/* The text form of `tankctl get`: print_pod() writes one pod's spec and
 * status as the human-readable summary (phase, per-container image, state,
 * exit codes and signals, restart counts and times, and the health and
 * probe lines), from the spec and status tankd sent, already passed through
 * json_escape_strings(); it only formats and prints, and never talks to
 * tankd. */

#define HEALTH_LINE_MAX 320

static void format_exit(char *buf, size_t n, yajl_val e) {
        long long code = 0, sig = 0;
        yajl_val oom = json_guard_get(e, "oom");

        if (!YAJL_IS_OBJECT(e)) {
                snprintf(buf, n, "-");
                return;
        }
        (void) json_int(e, "code", &code);
        (void) json_int(e, "signal", &sig);
        if (YAJL_IS_TRUE(json_guard_get(e, "unhealthy"))) {
                char rest[32];

                /* tankd stopped it: SIGTERM, or SIGKILL after the grace period */
                if (sig > 0 || code < 0)
                        snprintf(rest, sizeof rest, "killed");
                else
                        snprintf(rest, sizeof rest, "exit %lld", code);
                snprintf(buf, n, "unhealthy (%s), %s", strna(json_string(e, "unhealthy_reason")), rest);
        } else if (YAJL_IS_TRUE(oom))
                snprintf(buf, n, "out of memory (killed)");
        else if (sig > 0)
                snprintf(buf, n, "signal %lld%s%s%s", sig, sigabbrev_np((int) sig) ? " (SIG" : "",
                         strempty(sigabbrev_np((int) sig)), sigabbrev_np((int) sig) ? ")" : "");
        else
                snprintf(buf, n, "exit %lld", code);
}

/* " (5m ago)" or " (in 4s)" for a realtime usec stamp; "" if 0. */
static void format_when(char *buf, size_t n, long long usec) {
        uint64_t now = now_realtime();
        char age[AGE_MAX];

        if (usec <= 0) {
                buf[0] = 0;
                return;
        }
        if ((uint64_t) usec <= now) {
                format_age(age, sizeof age, now - (uint64_t) usec);
                snprintf(buf, n, "%s ago", age);
        } else {
                format_age(age, sizeof age, (uint64_t) usec - now);
                snprintf(buf, n, "in %s", age);
        }
}

static const char *container_image(yajl_val spec, const char *name) {
        yajl_val cs = json_guard_get(spec, "containers");

        if (!YAJL_IS_ARRAY(cs))
                return NULL;
        for (size_t i = 0; i < cs->u.array.len; i++) {
                yajl_val c = cs->u.array.values[i], img;

                if (!streq_ptr(json_string(c, "name"), name))
                        continue;
                img = json_guard_get(c, "image");
                if (YAJL_IS_STRING(img))
                        return img->u.string;
                return json_string(img, "rootfs");
        }
        return NULL;
}

size_t spec_n_containers(yajl_val spec) {
        yajl_val cs = json_guard_get(spec, "containers");

        return YAJL_IS_ARRAY(cs) ? cs->u.array.len : 0;
}

/* One probe result: "readiness failed: exit 1 (3s ago)". */
static void print_probe_record(const char *label, yajl_val rec) {
        long long at = 0;
        char when[64];

        if (!YAJL_IS_OBJECT(rec))
                return;
        (void) json_int(rec, "at_usec", &at);
        format_when(when, sizeof when, at);
        printf("    %-15s%s %s%s%s%s%s%s\n", label, strna(json_string(rec, "probe")),
               YAJL_IS_TRUE(json_guard_get(rec, "success")) ? "passed" : "failed",
               isempty(json_string(rec, "reason")) ? "" : ": ", strempty(json_string(rec, "reason")),
               at > 0 ? " (" : "", at > 0 ? when : "", at > 0 ? ")" : "");
        if (!isempty(json_string(rec, "output")))
                printf("      Output:      %s\n", json_string(rec, "output"));
}

/* Probes and notify (tank-pod(5) PROBES); nothing for a container without. */
static void print_health(yajl_val c) {
        const char *health = json_string(c, "health"), *reason = json_string(c, "health_reason");
        yajl_val failures = json_guard_get(c, "probe_failures");

        if (isempty(health))
                return;
        printf("    Health:        %s%s%s%s\n", health, isempty(reason) ? "" : " (", strempty(reason),
               isempty(reason) ? "" : ")");
        printf("    Ready:         %s\n", YAJL_IS_TRUE(json_guard_get(c, "ready")) ? "yes" : "no");
        if (YAJL_IS_OBJECT(failures) && failures->u.object.len > 0) {
                printf("    Failures:      ");
                for (size_t i = 0; i < failures->u.object.len; i++) {
                        long long n = 0;

                        (void) json_int(failures, failures->u.object.keys[i], &n);
                        printf("%s%s %lld", i > 0 ? ", " : "", failures->u.object.keys[i], n);
                }
                putchar('\n');
        }
        print_probe_record("Last probe:", json_guard_get(c, "last_probe"));
        /* A failure that the last probe is not already: its output is what explains it. */
        if (YAJL_IS_TRUE(json_guard_get(json_guard_get(c, "last_probe"), "success")) ||
            !YAJL_IS_OBJECT(json_guard_get(c, "last_probe")))
                print_probe_record("Last failure:", json_guard_get(c, "last_failure"));
        if (!isempty(json_string(c, "notify_status")))
                printf("    Status:        %s\n", json_string(c, "notify_status"));
}

void print_pod(const char *name, yajl_val spec, yajl_val status) {
        yajl_val cs = json_guard_get(status, "containers");
        long long restarts = 0, ready = 0, created = 0, revision = 0;
        char when[64];

        (void) json_int(status, "revision", &revision);
        (void) json_int(status, "restarts", &restarts);
        (void) json_int(status, "ready", &ready);
        (void) json_int(status, "created_usec", &created);
        format_when(when, sizeof when, created);

        printf("Name:        %s\n", name);
        printf("Phase:       %s\n", strna(json_string(status, "phase")));
        if (json_string(status, "message"))
                printf("Message:     %s\n", json_string(status, "message"));
        printf("Ready:       %lld/%zu\n", ready, spec_n_containers(spec));
        printf("Restarts:    %lld\n", restarts);
        printf("Restart:     %s\n", strna(json_string(spec, "restart")));
        if (revision > 0)
                printf("Revision:    %lld\n", revision);
        print_rollout(status);
        if (created > 0)
                printf("Created:     %s\n", when);
        if (json_string(status, "slice"))
                printf("Slice:       %s\n", json_string(status, "slice"));
        if (json_string(status, "node"))
                printf("Node:        %s\n", isempty(json_string(status, "node")) ? "<none>" : json_string(status, "node"));
        if (!isempty(json_string(status, "unschedulable")))
                printf("Unschedulable: %s\n", json_string(status, "unschedulable"));
        printf("Containers:\n");

        if (!YAJL_IS_ARRAY(cs))
                return;
        for (size_t i = 0; i < cs->u.array.len; i++) {
                yajl_val c = cs->u.array.values[i];
                const char *cname = json_string(c, "name"), *img;
                long long pid = 0, cr = 0, next = 0, started = 0;
                char exitbuf[HEALTH_LINE_MAX];

                (void) json_int(c, "pid", &pid);
                (void) json_int(c, "restarts", &cr);
                (void) json_int(c, "next_restart_usec", &next);
                (void) json_int(c, "started_usec", &started);

                printf("  %s:\n", strna(cname));
                img = container_image(spec, cname);
                if (img)
                        printf("    Image:         %s\n", img);
                if (json_string(c, "image_digest"))
                        printf("    Digest:        %s\n", json_string(c, "image_digest"));
                printf("    State:         %s", strna(json_string(c, "state")));
                if (pid > 0)
                        printf(" (pid %lld)", pid);
                putchar('\n');
                if (started > 0 && streq_ptr(json_string(c, "state"), "running")) {
                        format_when(when, sizeof when, started);
                        printf("    Started:       %s\n", when);
                }
                if (json_string(c, "message"))
                        printf("    Message:       %s\n", json_string(c, "message"));
                if (json_string(c, "unit"))
                        printf("    Unit:          %s\n", json_string(c, "unit"));
                print_health(c);
                printf("    Restarts:      %lld\n", cr);
                format_exit(exitbuf, sizeof exitbuf, json_guard_get(c, "last_exit"));
                if (YAJL_IS_OBJECT(json_guard_get(c, "last_exit"))) {
                        long long at = 0;

                        (void) json_int(json_guard_get(c, "last_exit"), "at_usec", &at);
                        format_when(when, sizeof when, at);
                        printf("    Last exit:     %s%s%s%s\n", exitbuf,
                               at > 0 ? " (" : "", when, at > 0 ? ")" : "");
                } else
                        printf("    Last exit:     -\n");
                if (next > 0) {
                        format_when(when, sizeof when, next);
                        printf("    Next restart:  %s\n", when);
                }
        }
}
