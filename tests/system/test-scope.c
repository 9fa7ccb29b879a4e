/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Driver for tests/system/test-scope.sh: exercises src/bus/scope.h against the
 * real systemd on the system bus. Each verb prints what it did and exits 0 when
 * the outcome is the expected one.
 *
 *   test-scope start SLICE SCOPE      slice + scope holding a forked sleep,
 *                                     MemoryMax=64M TasksMax=10 CPU 50%
 *   test-scope limits SCOPE BYTES     MemoryMax changed live
 *   test-scope kill SCOPE             KillUnit all SIGKILL
 *   test-scope stop UNIT              StopUnit, job must be "done"
 *   test-scope stop-missing UNIT      StopUnit of an unknown unit: -ENOENT
 *   test-scope stale SLICE SCOPE      SCOPE is failed: start it again
 *                                     (ResetFailedUnit + retry path)
 *   test-scope cancel SLICE SCOPE     unref'ing the slot: no callback
 *   test-scope active UNIT 0|1        unit_is_active_async() answers as expected
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <systemd/sd-event.h>

#include "bus/job.h"
#include "bus/scope.h"
#include "log.h"

#define TIMEOUT_USEC (60ULL * 1000000ULL)

typedef struct Op {
        sd_event *event;
        BusJob *job; /* when the op is owned */
        bool done;
        int r;
        char result[64];
} Op;

static void op_done(int r, const char *job_result, void *userdata) {
        Op *op = userdata;

        op->done = true;
        op->r = r;
        snprintf(op->result, sizeof(op->result), "%s", job_result ?: "(none)");
        /* Allowed from inside the callback. */
        op->job = bus_job_cancel(op->job);
}

/* Runs the loop until the op is done or the timeout (usec) passes. */
static int wait_op_timeout(Op *op, uint64_t timeout) {
        uint64_t start, now;
        int r;

        r = sd_event_now(op->event, CLOCK_MONOTONIC, &start);
        if (r < 0)
                return r;
        for (;;) {
                if (op->done)
                        return 0;
                r = sd_event_now(op->event, CLOCK_MONOTONIC, &now);
                if (r < 0)
                        return r;
                if (now - start >= timeout)
                        return -ETIMEDOUT;
                r = sd_event_run(op->event, timeout - (now - start));
                if (r < 0)
                        return r;
        }
}

static int wait_op(Op *op) {
        return wait_op_timeout(op, TIMEOUT_USEC);
}

static pid_t fork_sleeper(void) {
        pid_t pid = fork();

        if (pid == 0) {
                /* Not holding our stdout: the caller reads it to EOF. */
                int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

                if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
                        _exit(126);
                execlp("sleep", "sleep", "1000", (char *) NULL);
                _exit(127);
        }
        return pid;
}

static int start_slice(SystemdJobs *q, sd_event *e, const char *slice) {
        Op op = { .event = e };
        int r;

        r = slice_start_async(q, slice, "Tank test pod", op_done, &op, &op.job);
        if (r < 0)
                return log_error_errno(r, "slice_start_async(%s): %m", slice);
        r = wait_op(&op);
        if (r < 0)
                return log_error_errno(r, "waiting for %s: %m", slice);
        printf("slice %s: r=%d result=%s\n", slice, op.r, op.result);
        /* A slice that is already active is fine for a second scope. */
        return op.r == -EEXIST ? 0 : op.r;
}

static int start_scope(SystemdJobs *q, sd_event *e, const char *slice, const char *scope, pid_t pid,
                       const char *collect_mode, Op *op) {
        ScopeRequest req = {
                .name = scope,
                .slice = slice,
                .description = "Tank test scope",
                .pids = &pid,
                .n_pids = 1,
                .limits = {
                        .memory_max = 64ULL * 1024 * 1024,
                        .tasks_max = 10,
                        .cpu_quota_us = 50000,
                        .cpu_period_us = 100000,
                },
                .memory_accounting = true,
                .tasks_accounting = true,
                .cpu_accounting = true,
                .collect_mode = collect_mode,
                .oom_policy = "continue",
        };
        int r;

        *op = (Op) { .event = e };
        /* Floating: no handle, the operation frees itself. */
        r = scope_start_async(q, &req, op_done, op, NULL);
        if (r < 0)
                return log_error_errno(r, "scope_start_async(%s): %m", scope);
        r = wait_op(op);
        if (r < 0)
                return log_error_errno(r, "waiting for %s: %m", scope);
        printf("scope %s pid %d: r=%d result=%s\n", scope, (int) pid, op->r, op->result);
        return 0;
}

static int unit_active_state(sd_bus *bus, const char *name, char **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        int r;

        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "GetUnit", &error, &reply, "s", name);
        if (r < 0)
                return bus_error_to_errno(&error);
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Unit",
                                       "ActiveState", &error, ret);
        return r < 0 ? bus_error_to_errno(&error) : 0;
}

static int verb_start(SystemdJobs *q, sd_event *e, const char *slice, const char *scope) {
        ScopeRequest bad = { .name = "not-a-scope.service", .pids = (pid_t[]) { 1 }, .n_pids = 1 };
        Op op;
        pid_t pid;
        int r;

        /* Refused before anything goes on the bus. */
        r = scope_start_async(q, &bad, op_done, NULL, NULL);
        if (r != -EINVAL)
                return log_error_errno(EINVAL, "a .service name was not refused: %d", r);

        r = start_slice(q, e, slice);
        if (r < 0)
                return log_error_errno(r, "slice %s failed: %m", slice);
        pid = fork_sleeper();
        if (pid < 0)
                return log_error_errno(errno, "fork: %m");
        r = start_scope(q, e, slice, scope, pid, NULL, &op);
        if (r < 0)
                return r;
        if (op.r < 0 || !streq(op.result, "done"))
                return log_error_errno(op.r ?: EIO, "scope %s: %s: %m", scope, op.result);
        printf("pid %d\n", (int) pid);
        return 0;
}

static int verb_stop(SystemdJobs *q, sd_event *e, const char *unit, int expect) {
        Op op = { .event = e };
        int r;

        r = unit_stop_async(q, unit, op_done, &op, &op.job);
        if (r < 0)
                return log_error_errno(r, "unit_stop_async(%s): %m", unit);
        r = wait_op(&op);
        if (r < 0)
                return log_error_errno(r, "waiting for stop of %s: %m", unit);
        printf("stop %s: r=%d result=%s\n", unit, op.r, op.result);
        if (op.r != expect)
                return log_error_errno(EIO, "stop %s: expected r=%d, got %d", unit, expect, op.r);
        return 0;
}

/* SCOPE must be loaded and failed already (test-scope.sh leaves one behind with
 * systemd-run and RuntimeMaxSec): starting it again must go through
 * ResetFailedUnit and the retry. */
static int verb_stale(SystemdJobs *q, sd_event *e, const char *slice, const char *scope) {
        _cleanup_free_ char *state = NULL;
        Op op;
        pid_t pid;
        int r;

        r = unit_active_state(systemd_jobs_bus(q), scope, &state);
        printf("before: %s\n", r < 0 ? "not loaded" : state);
        if (r < 0 || !streq(state, "failed"))
                return log_error_errno(EINVAL, "%s is not a failed unit (%d, %s)", scope, r, strna(state));

        pid = fork_sleeper();
        if (pid < 0)
                return log_error_errno(errno, "fork: %m");
        r = start_scope(q, e, slice, scope, pid, NULL, &op);
        if (r < 0)
                return r;
        if (op.r < 0)
                return log_error_errno(op.r, "start over a failed unit: %m");
        printf("pid %d\n", (int) pid);
        return 0;
}

static int verb_cancel(SystemdJobs *q, sd_event *e, const char *slice, const char *scope) {
        Op op = { .event = e };
        pid_t pid;
        int r;

        pid = fork_sleeper();
        if (pid < 0)
                return log_error_errno(errno, "fork: %m");
        r = scope_start_async(q,
                              &(ScopeRequest) { .name = scope, .slice = slice, .pids = &pid, .n_pids = 1 },
                              op_done, &op, &op.job);
        if (r < 0)
                return log_error_errno(r, "scope_start_async: %m");
        op.job = bus_job_cancel(op.job);
        /* Let the reply and JobRemoved arrive: nothing must call back. */
        r = wait_op_timeout(&op, 2 * 1000000ULL);
        if (r != -ETIMEDOUT && r < 0)
                return log_error_errno(r, "event loop: %m");
        printf("cancel: callback %s\n", op.done ? "ran" : "did not run");
        (void) kill(pid, SIGKILL);
        (void) waitpid(pid, NULL, 0);
        return op.done ? -EIO : 0;
}

/* N scopes started at once, then stopped at once: every job must finish
 * "done", never more than SYSTEMD_JOBS_MAX_IN_FLIGHT at systemd together, and
 * systemd must still answer on the bus afterwards (with a JobRemoved match,
 * and a client match on systemd's side, per job, 1,000 at once took systemd
 * off dbus-daemon's 512 match rules per connection). */
typedef struct ManyOps {
        unsigned done, failed;
} ManyOps;

static void many_done(int r, const char *job_result, void *userdata) {
        ManyOps *m = userdata;

        m->done++;
        if (r < 0) {
                m->failed++;
                log_error_errno(r, "job: %s: %m", strna(job_result));
        }
}

static int many_wait(SystemdJobs *q, sd_event *e, ManyOps *m, unsigned n, unsigned *max_in_flight) {
        for (unsigned i = 0; i < 30000 && m->done < n; i++) {
                int r = sd_event_run(e, 10 * 1000);

                if (r < 0)
                        return r;
                *max_in_flight = MAX(*max_in_flight, systemd_jobs_in_flight(q));
        }
        return m->done == n ? 0 : -ETIMEDOUT;
}

static int verb_many(SystemdJobs *q, sd_event *e, const char *slice, unsigned n) {
        _cleanup_free_ pid_t *pids = calloc(n, sizeof(pid_t));
        ManyOps start = {}, stop = {};
        unsigned max_start = 0, max_stop = 0, waiting;
        char name[64];
        int r;

        if (!pids)
                return log_oom();
        r = start_slice(q, e, slice);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < n; i++) {
                pids[i] = fork_sleeper();
                if (pids[i] < 0)
                        return log_error_errno(errno, "fork: %m");
                snprintf(name, sizeof name, "tank-x-many%u.scope", i);
                r = scope_start_async(q, &(ScopeRequest) { .name = name, .slice = slice, .pids = &pids[i], .n_pids = 1 },
                                      many_done, &start, NULL);
                if (r < 0)
                        return log_error_errno(r, "scope_start_async(%s): %m", name);
        }
        waiting = systemd_jobs_waiting(q);
        r = many_wait(q, e, &start, n, &max_start);
        if (r < 0)
                return log_error_errno(r, "%u of %u starts finished: %m", start.done, n);
        for (unsigned i = 0; i < n; i++) {
                snprintf(name, sizeof name, "tank-x-many%u.scope", i);
                r = unit_stop_async(q, name, many_done, &stop, NULL);
                if (r < 0)
                        return log_error_errno(r, "unit_stop_async(%s): %m", name);
        }
        r = many_wait(q, e, &stop, n, &max_stop);
        if (r < 0)
                return log_error_errno(r, "%u of %u stops finished: %m", stop.done, n);
        for (unsigned i = 0; i < n; i++)
                (void) waitpid(pids[i], NULL, 0);
        printf("many: %u started (%u failed, %u waited at first, at most %u in flight), %u stopped (%u failed, at most %u in flight)\n",
               n, start.failed, waiting, max_start, n, stop.failed, max_stop);
        if (start.failed || stop.failed)
                return -EIO;
        if (max_start > SYSTEMD_JOBS_MAX_IN_FLIGHT || max_stop > SYSTEMD_JOBS_MAX_IN_FLIGHT)
                return log_error_errno(E2BIG, "more than %u jobs in flight", SYSTEMD_JOBS_MAX_IN_FLIGHT);
        /* The first calls go out at once, as many as may await a reply. */
        if (n > SYSTEMD_JOBS_MAX_CALLING && waiting != n - SYSTEMD_JOBS_MAX_CALLING)
                return log_error_errno(EBADE, "%u jobs waited, expected %u", waiting, n - SYSTEMD_JOBS_MAX_CALLING);
        return 0;
}

typedef struct ActiveOp {
        bool done;
        int r;
        sd_bus_slot *slot;
} ActiveOp;

static void active_done(int r, void *userdata) {
        ActiveOp *op = userdata;

        op->done = true;
        op->r = r;
        op->slot = sd_bus_slot_unref(op->slot);
}

static int verb_active(sd_bus *bus, sd_event *e, const char *unit, int expect) {
        ActiveOp op = {};
        int r;

        r = unit_is_active_async(bus, unit, active_done, &op, &op.slot);
        if (r < 0)
                return log_error_errno(r, "unit_is_active_async(%s): %m", unit);
        /* The call returned at once: the answer comes from the loop. */
        if (op.done)
                return log_error_errno(EBADE, "the callback ran from within the call");
        for (int i = 0; i < 600 && !op.done; i++) {
                r = sd_event_run(e, 100 * 1000);
                if (r < 0)
                        return r;
        }
        if (!op.done)
                return log_error_errno(ETIMEDOUT, "no answer about %s", unit);
        printf("unit %s: active=%d\n", unit, op.r);
        return op.r == expect ? 0 : -EBADE;
}

int main(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(systemd_jobs_freep) SystemdJobs *q = NULL;
        const char *verb = argc > 1 ? argv[1] : "";
        int r;

        log_set_prefix("test-scope");
        log_parse_environment();
        setvbuf(stdout, NULL, _IOLBF, 0);

        r = sd_event_new(&e);
        if (r < 0)
                return log_error_errno(r, "sd_event_new: %m"), 1;
        r = sd_bus_open_system(&bus);
        if (r < 0)
                return log_error_errno(r, "system bus: %m"), 1;
        r = sd_bus_attach_event(bus, e, 0);
        if (r < 0)
                return log_error_errno(r, "attach: %m"), 1;
        r = systemd_jobs_new(bus, &q);
        if (r < 0)
                return log_error_errno(r, "systemd_jobs_new: %m"), 1;

        if (streq(verb, "start") && argc == 4)
                r = verb_start(q, e, argv[2], argv[3]);
        else if (streq(verb, "limits") && argc == 4)
                r = unit_set_limits(bus, argv[2],
                                    &(UnitLimits) { .memory_max = strtoull(argv[3], NULL, 10) });
        else if (streq(verb, "kill") && argc == 3)
                r = unit_kill(bus, argv[2], "all", SIGKILL);
        else if (streq(verb, "stop") && argc == 3)
                r = verb_stop(q, e, argv[2], 0);
        else if (streq(verb, "stop-missing") && argc == 3)
                r = verb_stop(q, e, argv[2], -ENOENT);
        else if (streq(verb, "stale") && argc == 4)
                r = verb_stale(q, e, argv[2], argv[3]);
        else if (streq(verb, "cancel") && argc == 4)
                r = verb_cancel(q, e, argv[2], argv[3]);
        else if (streq(verb, "many") && argc == 4)
                r = verb_many(q, e, argv[2], (unsigned) strtoul(argv[3], NULL, 10));
        else if (streq(verb, "active") && argc == 4)
                r = verb_active(bus, e, argv[2], atoi(argv[3]));
        else {
                fprintf(stderr, "usage: test-scope start|stale|cancel SLICE SCOPE | limits SCOPE BYTES |"
                                " kill SCOPE | stop UNIT | stop-missing UNIT | active UNIT 0|1 | many SLICE N\n");
                return 2;
        }
        if (r < 0) {
                log_error_errno(r, "%s failed: %m", verb);
                return 1;
        }
        return 0;
}
