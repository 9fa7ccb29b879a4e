/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"
#include "net/netns.h"
#include "reconcile/launch.h"
#include "reconcile/probe-run.h"
#include "reconcile/probes.h"
#include "reconcile/reconciler-internal.h"
#include "reconcile/records.h"
#include "reconcile/steps.h"
#include "shim/exec-protocol.h"
#include "time-util.h"

/* Timers may fire this much late: a probe period is seconds, and coalesced
 * wake-ups are cheaper than exact ones. */
#define PROBE_TIMER_ACCURACY_USEC (10 * 1000)

static const PodProbe *spec_probe(const PodContainer *spec, ProbeType t) {
        switch (t) {
        case PROBE_TYPE_STARTUP:
                return &spec->probes.startup;
        case PROBE_TYPE_LIVENESS:
                return &spec->probes.liveness;
        case PROBE_TYPE_READINESS:
                return &spec->probes.readiness;
        default:
                return NULL;
        }
}

static HealthParams health_params_from_spec(const PodContainer *spec) {
        HealthParams hp = {};

        if (!spec)
                return hp;
        for (ProbeType t = 0; t < _PROBE_TYPE_MAX; t++) {
                const PodProbe *p = spec_probe(spec, t);

                if (p->kind == PROBE_NONE)
                        continue;
                hp.probe[t] = (HealthProbeParams) {
                        .set = true,
                        .initial_delay_usec = p->initial_delay_sec * USEC_PER_SEC,
                        .period_usec = p->period_sec * USEC_PER_SEC,
                        .timeout_usec = p->timeout_sec * USEC_PER_SEC,
                        .success_threshold = p->success_threshold,
                        .failure_threshold = p->failure_threshold,
                };
        }
        hp.notify = spec->notify;
        hp.watchdog_usec = spec->notify ? spec->watchdog_sec * USEC_PER_SEC : 0;
        return hp;
}

static const PodContainer *container_spec(const ContainerState *c) {
        return c->pod->desired ? pod_find_container(c->pod->desired, c->name) : NULL;
}

static void probe_record_set(ProbeRecord *rec, ProbeType t, bool success, const char *reason, const char *output) {
        free(rec->output);
        *rec = (ProbeRecord) {
                .valid = true,
                .probe = t,
                .success = success,
                .at_usec = now_realtime_usec(),
                .output = output && output[0] ? strndup(output, PROBE_OUTPUT_MAX) : NULL,
        };
        snprintf(rec->reason, sizeof rec->reason, "%s", strempty(reason));
}

static void probe_record_done(ProbeRecord *rec) {
        rec->output = mfree(rec->output);
        rec->valid = false;
}

/* A transition, in the container's own journal: journald attaches the unit of
 * OBJECT_PID for a privileged sender, and `journalctl -u <scope>` matches it. */
static void health_journal(Reconciler *rc, const ContainerState *c, Health h, const char *reason) {
        const char *hs = health_to_string(h);
        _cleanup_free_ char *msg = NULL, *prio = NULL, *pod = NULL, *ctr = NULL, *health = NULL, *pid = NULL;
        struct iovec iov[7];
        size_t n = 0;

        if (asprintf(&msg, "MESSAGE=Container %s/%s is %s%s%s", c->pod->name, c->name,
                     isempty(hs) ? "not probed" : hs, isempty(reason) ? "" : ": ", strempty(reason)) < 0 ||
            asprintf(&prio, "PRIORITY=%i", h == HEALTH_UNHEALTHY ? LOG_WARNING : LOG_INFO) < 0 ||
            asprintf(&pod, "TANK_POD=%s", c->pod->name) < 0 ||
            asprintf(&ctr, "TANK_CONTAINER=%s", c->name) < 0 ||
            asprintf(&health, "TANK_HEALTH=%s", strempty(hs)) < 0 ||
            asprintf(&pid, "OBJECT_PID=%d", (int) c->pid) < 0)
                return (void) log_oom();
        iov[n++] = (struct iovec) { msg, strlen(msg) };
        iov[n++] = (struct iovec) { prio, strlen(prio) };
        iov[n++] = (struct iovec) { (char *) "SYSLOG_IDENTIFIER=tankd", strlen("SYSLOG_IDENTIFIER=tankd") };
        iov[n++] = (struct iovec) { pod, strlen(pod) };
        iov[n++] = (struct iovec) { ctr, strlen(ctr) };
        iov[n++] = (struct iovec) { health, strlen(health) };
        /* A pid not yet known (0) is ignored by journald: the line stays tankd's. */
        iov[n++] = (struct iovec) { pid, strlen(pid) };
        (void) journal_sender_send(rc->journal, iov, n);
}

static void health_feed(Reconciler *rc, ContainerState *c, HealthEvent ev);

static int on_probe_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        ContainerProbe *slot = userdata;
        ContainerState *c = slot->container;

        slot->timer = sd_event_source_disable_unref(slot->timer);
        health_feed(c->pod->reconciler, c, (HealthEvent) { .type = HEALTH_EV_PROBE_DUE, .probe = slot->type });
        return 0;
}

static int on_watchdog_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        ContainerState *c = userdata;

        c->watchdog = sd_event_source_disable_unref(c->watchdog);
        health_feed(c->pod->reconciler, c, (HealthEvent) { .type = HEALTH_EV_WATCHDOG_DUE });
        return 0;
}

static void on_probe_done(const ProbeResult *res, void *userdata) {
        ContainerProbe *slot = userdata;
        ContainerState *c = slot->container;

        /* probe-run.h frees it once we return. */
        slot->run = NULL;
        probe_record_set(&c->last_probe, slot->type, res->success, res->reason, res->output);
        if (!res->success)
                probe_record_set(&c->last_failure, slot->type, false, res->reason, res->output);
        health_feed(c->pod->reconciler, c, (HealthEvent) {
                .type = HEALTH_EV_PROBE_RESULT,
                .probe = slot->type,
                .success = res->success,
                .timed_out = res->timed_out,
                .text = res->reason,
        });
}

/* A run that could not even start is a failed run, reported from the loop so
 * that the machine never hears of it in the middle of its own actions. */
static int on_probe_failed(sd_event_source *s, uint64_t usec, void *userdata) {
        ContainerProbe *slot = userdata;
        ProbeResult res = {};

        slot->failed = sd_event_source_disable_unref(slot->failed);
        snprintf(res.reason, sizeof res.reason, "%s", slot->failed_reason);
        on_probe_done(&res, slot);
        return 0;
}

static int probe_start_run(Reconciler *rc, ContainerState *c, ContainerProbe *slot, const PodProbe *p,
                           uint64_t timeout_usec) {
        _cleanup_free_ char *netns = NULL, *dir = NULL, *config = NULL, *socket = NULL;
        int r;

        if (p->kind == PROBE_EXEC) {
                if (c->pid <= 0)
                        (void) container_pid_load(rc, c);
                if (c->pid <= 0)
                        return -ESRCH;
                r = container_run_dir(rc, c->pod->name, c->name, &dir);
                if (r < 0)
                        return r;
                if (asprintf(&config, "%s/config.json", dir) < 0 ||
                    asprintf(&socket, "%s/" EXEC_SOCKET_NAME, dir) < 0)
                        return -ENOMEM;
                return probe_run_exec(rc->event,
                                      &(ProbeExecTarget) { .exe = rc->exec_exe, .config_path = config,
                                                           .workload_pid = c->pid, .unit = c->unit,
                                                           .shim_socket = socket, .shim_pid = c->shim_pid },
                                      p->exec, timeout_usec, on_probe_done, slot, &slot->run);
        }
        /* "host" pods share tankd's namespace; the others probe in their own. */
        if (c->pod->desired && c->pod->desired->network.mode != NETWORK_HOST) {
                r = netns_path(rc->runtime_dir, c->pod->name, &netns);
                if (r < 0)
                        return r;
        }
        if (p->kind == PROBE_TCP)
                return probe_run_tcp(rc->event, netns, p->port, timeout_usec, on_probe_done, slot, &slot->run);
        return probe_run_http(rc->event, netns, p->scheme == PROBE_SCHEME_HTTPS ? "https" : "http", p->host,
                              p->port, p->path, p->headers, timeout_usec, on_probe_done, slot, &slot->run);
}

/* The runner gets the probe's own timeout, not what is left until the
 * machine's deadline: that is the same span, and a run reports it as the user
 * wrote it ("timeout after 1s"), not minus the microseconds since PROBE_DUE. */
static void probe_run(Reconciler *rc, ContainerState *c, ProbeType t) {
        ContainerProbe *slot = c->probes + t;
        const PodContainer *spec = container_spec(c);
        const PodProbe *p = spec ? spec_probe(spec, t) : NULL;
        int r;

        slot->run = probe_run_cancel(slot->run);
        r = p && p->kind != PROBE_NONE ? probe_start_run(rc, c, slot, p, c->health_params.probe[t].timeout_usec)
                                       : -ENOENT;
        if (r >= 0)
                return;
        snprintf(slot->failed_reason, sizeof slot->failed_reason, "cannot run: %s", strerror(-r));
        log_warning_errno(r, "Container %s/%s: cannot run the %s probe: %m", c->pod->name, c->name,
                          probe_type_to_string(t));
        slot->failed = sd_event_source_disable_unref(slot->failed);
        r = sd_event_add_time(rc->event, &slot->failed, CLOCK_MONOTONIC, 0, 0, on_probe_failed, slot);
        if (r < 0)
                log_error_errno(r, "Container %s/%s: cannot report a failed probe: %m", c->pod->name, c->name);
}

static void timer_arm(Reconciler *rc, ContainerState *c, sd_event_source **s, uint64_t at_usec,
                      sd_event_time_handler_t cb, void *userdata) {
        int r;

        *s = sd_event_source_disable_unref(*s);
        r = sd_event_add_time(rc->event, s, CLOCK_MONOTONIC, at_usec, PROBE_TIMER_ACCURACY_USEC, cb, userdata);
        if (r < 0)
                log_error_errno(r, "Container %s/%s: cannot arm a health timer: %m", c->pod->name, c->name);
}

static void health_perform(Reconciler *rc, ContainerState *c, const HealthActions *a) {
        const char *kill = NULL;
        bool changed = false;

        for (size_t i = 0; i < a->n; i++) {
                const HealthAction *x = a->action + i;

                switch (x->type) {
                case HEALTH_RUN_PROBE:
                        probe_run(rc, c, x->probe);
                        break;
                case HEALTH_CANCEL_PROBE:
                        c->probes[x->probe].run = probe_run_cancel(c->probes[x->probe].run);
                        c->probes[x->probe].failed = sd_event_source_disable_unref(c->probes[x->probe].failed);
                        break;
                case HEALTH_ARM_PROBE_TIMER:
                        timer_arm(rc, c, &c->probes[x->probe].timer, x->at_usec, on_probe_timer, c->probes + x->probe);
                        break;
                case HEALTH_DISARM_PROBE_TIMER:
                        c->probes[x->probe].timer = sd_event_source_disable_unref(c->probes[x->probe].timer);
                        break;
                case HEALTH_ARM_WATCHDOG:
                        timer_arm(rc, c, &c->watchdog, x->at_usec, on_watchdog_timer, c);
                        break;
                case HEALTH_DISARM_WATCHDOG:
                        c->watchdog = sd_event_source_disable_unref(c->watchdog);
                        break;
                case HEALTH_LOG:
                        log_info("Container %s/%s: %s", c->pod->name, c->name, x->text);
                        break;
                case HEALTH_READY_CHANGED:
                        changed = true;
                        break;
                case HEALTH_HEALTH_CHANGED:
                        changed = true;
                        health_journal(rc, c, x->health, x->text);
                        reconciler_container_health_changed(rc, c->pod, c);
                        break;
                case HEALTH_KILL:
                        kill = x->text;
                        break;
                default:
                        break;
                }
        }
        if (changed && !kill)
                pod_changed(rc, c->pod);
        /* Last: the lifecycle stops the scope, and that ends this run's health. */
        if (kill) {
                log_warning("Container %s/%s is unhealthy (%s): stopping it.", c->pod->name, c->name, kill);
                container_feed(rc, c, (LifecycleEvent) { .type = LIFECYCLE_EV_UNHEALTHY, .reason = kill });
        }
}

static void health_feed(Reconciler *rc, ContainerState *c, HealthEvent ev) {
        bool started_up = c->health.started_up, notified = c->health.notify_ready;
        HealthActions a;
        int r;

        if (!ev.now_usec)
                ev.now_usec = now_monotonic_usec();
        r = health_step(&c->health_params, &c->health, &ev, &a);
        if (r < 0)
                return (void) log_error_errno(r, "Container %s/%s: health event %s failed: %m", c->pod->name,
                                              c->name, strna(health_event_to_string(ev.type)));
        if (r == HEALTH_IGNORED)
                return;
        /* What an adopting tankd must know: saved before anything acts on it. */
        if (c->health.running && (started_up != c->health.started_up || notified != c->health.notify_ready))
                (void) container_state_save(rc, c);
        health_perform(rc, c, &a);
}

static void health_release(ContainerState *c) {
        for (ProbeType t = 0; t < _PROBE_TYPE_MAX; t++) {
                ContainerProbe *slot = c->probes + t;

                slot->run = probe_run_cancel(slot->run);
                slot->timer = sd_event_source_disable_unref(slot->timer);
                slot->failed = sd_event_source_disable_unref(slot->failed);
        }
        c->watchdog = sd_event_source_disable_unref(c->watchdog);
}

void container_health_start(Reconciler *rc, ContainerState *c, bool adopted) {
        if (c->health.running)
                container_health_stop(rc, c);
        c->health_params = health_params_from_spec(container_spec(c));
        for (ProbeType t = 0; t < _PROBE_TYPE_MAX; t++)
                c->probes[t] = (ContainerProbe) { .container = c, .type = t };
        probe_record_done(&c->last_probe);
        health_feed(rc, c, (HealthEvent) {
                .type = adopted ? HEALTH_EV_CONTAINER_ADOPTED : HEALTH_EV_CONTAINER_STARTED,
                .started_up = adopted && c->adopt_started_up,
                .ready_notified = adopted ? c->adopt_ready_notified : c->early_ready_notified,
        });
        c->adopt_started_up = c->adopt_ready_notified = c->early_ready_notified = false;
        if (!adopted && c->early_status)
                container_health_notify(rc, c, HEALTH_EV_NOTIFY_STATUS, c->early_status);
        c->early_status = mfree(c->early_status);
}

void container_health_stop(Reconciler *rc, ContainerState *c) {
        health_feed(rc, c, (HealthEvent) { .type = HEALTH_EV_CONTAINER_STOPPED });
        /* The machine cancelled what it knew of; nothing else may outlive the run. */
        health_release(c);
        c->health = (HealthState) {};
}

void container_health_notify(Reconciler *rc, ContainerState *c, HealthEventType type, const char *text) {
        if (!c->health.running && c->launch) {
                /* Before "running" was read: kept for the start (podstate.h).
                 * A WATCHDOG=1 now is covered: the watchdog is armed at the
                 * start. */
                if (type == HEALTH_EV_NOTIFY_READY)
                        c->early_ready_notified = true;
                else if (type == HEALTH_EV_NOTIFY_STATUS && free_and_strdup(&c->early_status, text) < 0)
                        log_oom();
                return;
        }
        if (!c->health.running || !c->health_params.notify)
                return;
        if (type != HEALTH_EV_NOTIFY_READY && type != HEALTH_EV_NOTIFY_STATUS && type != HEALTH_EV_NOTIFY_WATCHDOG)
                return;
        health_feed(rc, c, (HealthEvent) { .type = type, .text = text });
}

void container_health_free(ContainerState *c) {
        health_release(c);
        probe_record_done(&c->last_probe);
        probe_record_done(&c->last_failure);
}

bool container_is_ready(const ContainerState *c) {
        return c->lifecycle.phase == CONTAINER_RUNNING && c->health.running && c->health.ready;
}

static void gen_record(JsonGen *g, const char *key, const ProbeRecord *rec) {
        json_gen_string(g, key);
        if (!rec->valid) {
                json_gen_null(g);
                return;
        }
        json_gen_map_open(g);
        json_gen_kv_string(g, "probe", probe_type_to_string(rec->probe));
        json_gen_kv_bool(g, "success", rec->success);
        json_gen_kv_integer(g, "at_usec", (long long) rec->at_usec);
        json_gen_kv_string(g, "reason", rec->reason);
        json_gen_kv_string(g, "output", rec->output);
        json_gen_map_close(g);
}

void container_health_status_json(JsonGen *g, const ContainerState *c) {
        json_gen_kv_string(g, "health", health_to_string(c->health.health));
        json_gen_kv_bool(g, "ready", container_is_ready(c));
        json_gen_kv_string(g, "health_reason", c->health.health_reason);
        json_gen_kv_string(g, "notify_status", c->health.status);
        json_gen_string(g, "probe_failures");
        json_gen_map_open(g);
        for (ProbeType t = 0; t < _PROBE_TYPE_MAX; t++)
                if (c->health_params.probe[t].set)
                        json_gen_kv_integer(g, probe_type_to_string(t), c->health.probe[t].failures);
        json_gen_map_close(g);
        gen_record(g, "last_probe", &c->last_probe);
        gen_record(g, "last_failure", &c->last_failure);
}
