/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Adoption at start: the containers an earlier tankd left running (runtime
 * state in /run), the completed ones a reboot would otherwise run again
 * (final records in the data directory), and the scratch of pods the store
 * no longer holds. What it finds is fed to the lifecycle machine
 * (lifecycle.h) as ADOPTED_* events, through the steps of steps.h. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "log.h"
#include "reconcile/launch.h"
#include "reconcile/notify-setup.h"
#include "reconcile/steps.h"
#include "reconcile/reconcile.h"
#include "time-util.h"

/* ---- adoption ---- */

/* Whether the shim lives in the unit's cgroup: the last component of one of
 * its cgroup paths ("0::/tank.slice/…/tank-web-app.scope") is the unit. That
 * is also proof that systemd has the scope up, without asking it: systemd
 * removes a scope only once its cgroup is empty, and only the scope's own
 * processes can fork into it. So adoption makes no bus call, and a tankd
 * starting with many containers waits on nobody. */
static bool shim_alive_in_scope(pid_t pid, const char *unit) {
        _cleanup_free_ char *path = NULL, *data = NULL;
        size_t len, n = strlen(unit);

        if (pid <= 1 || asprintf(&path, "/proc/%d/cgroup", (int) pid) < 0)
                return false;
        if (read_file_regular(path, 64 * 1024, &data, &len) < 0)
                return false;
        for (char *line = data, *end; *line; line = end) {
                size_t l;

                end = line + strcspn(line, "\n");
                l = (size_t) (end - line);
                if (*end)
                        end++;
                if (l > n && line[l - n - 1] == '/' && strneq(line + l - n, unit, n))
                        return true;
        }
        return false;
}

static void adopt_container(Reconciler *rc, const char *pod, const char *container) {
        PodState *p = reconciler_get_pod(rc, pod);
        ContainerState *c;
        int r;

        if (!p) {
                /* Not desired any more: adopt it anyway, so that it is torn down. */
                if (reconciler_add_pod(rc, pod, &p) < 0)
                        return (void) log_oom();
        }
        if (pod_state_find_container(p, container))
                return;
        r = pod_state_add_container(p, container, &c);
        if (r < 0)
                return (void) log_oom();
        r = container_state_load(rc, pod, container, c);
        if (r < 0) {
                /* No state: it never got as far as a scope (a failed start). */
                if (r != -ENOENT)
                        log_warning_errno(r, "Ignoring unreadable state of %s/%s: %m", pod, container);
                pod_state_remove_container(p, c);
                return;
        }
        /* Carry the run time over into our monotonic clock, for StableSec. */
        if (c->started_realtime_usec > 0)
                c->started_usec = now_monotonic_usec() -
                        MIN(now_realtime_usec() - MIN(c->started_realtime_usec, now_realtime_usec()),
                            now_monotonic_usec());
        if (shim_alive_in_scope(c->shim_pid, c->unit)) {
                /* Killed before "running" arrived: the shim's pid file knows
                 * (or will, and the exit watch sees it appear). */
                if (c->pid <= 0 && container_pid_load(rc, c) >= 0)
                        (void) container_state_save(rc, c);
                log_info("Adopted %s/%s (%s, pid %d).", pod, container, c->unit, (int) c->pid);
                /* The workload's next sd_notify() must reach this tankd. */
                r = container_notify_reopen(rc, c, &c->notify);
                if (r < 0)
                        log_warning_errno(r, "Failed to listen for %s/%s's notifications again; it cannot "
                                          "become ready or keep its watchdog: %m", pod, container);
                container_feed(rc, c, (LifecycleEvent) { .type = LIFECYCLE_EV_ADOPTED_RUNNING });
        } else
                container_gone(rc, c, LIFECYCLE_EV_ADOPTED_VANISHED);
        reconciler_queue(p);
}

/* ---- completed containers (final.json, see launch.h) ---- */

/* A desired container that nothing in /run knows about, but that completed
 * under the very spec that is desired now (the machine rebooted): it is
 * exited, with its last exit, and stays so. */
static void restore_completed(Reconciler *rc, PodState *p, const PodContainer *spec, const char *pod_hash) {
        _cleanup_(container_final_done) ContainerFinal f = {};
        LifecyclePolicy policy = { .restart = p->desired->restart, .backoff = rc->backoff, .desired = true };
        LifecycleState s = {};
        LifecycleActions a;
        char hash[SPEC_HASH_LEN + 1];
        _cleanup_free_ char *e = NULL;
        ContainerState *c;
        int r;

        r = container_final_load(rc, p->name, spec->name, &f);
        if (r == -ENOENT)
                return;
        if (r < 0) {
                /* It starts as if it never ran; container_start() removes the file. */
                log_warning_errno(r, "Ignoring the final record of %s/%s, which is unreadable: %m",
                                  p->name, spec->name);
                return;
        }
        s.restarts = f.restarts;
        if (container_hash(spec, hash) < 0)
                return (void) log_oom();
        r = lifecycle_step(&policy, &s, &(LifecycleEvent) {
                                   .type = LIFECYCLE_EV_ADOPTED_EXITED,
                                   .now_usec = now_realtime_usec(),
                                   .exit = f.last_exit,
                                   .spec_matches = streq(hash, f.hash) && streq(pod_hash, f.pod_hash),
                           }, &a);
        if (r != 0)
                return (void) log_error_errno(r < 0 ? r : -EINVAL, "Container %s/%s: final record not handled: %m",
                                              p->name, spec->name);
        if (a.mask & LIFECYCLE_FORGET) {
                log_info("Container %s/%s completed under another spec; it starts again.", p->name, spec->name);
                if (a.mask & LIFECYCLE_REMOVE_FINAL) {
                        r = container_final_remove(rc, p->name, spec->name);
                        if (r < 0)
                                log_warning_errno(r, "Failed to remove the final record of %s/%s: %m",
                                                  p->name, spec->name);
                }
                return;
        }
        r = pod_state_add_container(p, spec->name, &c);
        if (r < 0)
                return (void) log_oom();
        memcpy(c->hash, f.hash, sizeof c->hash);
        memcpy(c->pod_hash, f.pod_hash, sizeof c->pod_hash);
        c->image_digest = TAKE_PTR(f.image_digest);
        c->message = TAKE_PTR(f.message);
        c->started_realtime_usec = f.started_realtime_usec;
        c->lifecycle = s;
        (void) exit_info_to_string(&c->lifecycle.last_exit, &e);
        log_info("Container %s/%s completed before (%s); not starting it again.", p->name, c->name, strempty(e));
}

/* <data>/pods after the first full list from the store: the scratch (and
 * final records) of pods deleted while tankd was away, with /run gone too,
 * has nobody else to remove it; records of containers dropped from a spec
 * are history. listed: every pod name the list held, its value parsed or not.
 * A pod whose value did not parse (a spec from a newer tankd, after a
 * downgrade) has no PodState but is not deleted: its scratch stays. */
/* Trees hidden for removal (rm-rf-async.h) that a crash or a stop left
 * behind in the directories that hold one tree per pod. (Those inside a
 * desired pod's scratch are swept with it, below.) */
static void sweep_trash(Reconciler *rc) {
        const char *dirs[] = { rc->runtime_dir, rc->config->data_dir };
        const char *subs[] = { "pods", "volumes" };

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                for (size_t k = 0; k < ELEMENTSOF(subs); k++) {
                        _cleanup_free_ char *path = NULL;
                        _cleanup_close_ int fd = -EBADF;
                        int r;

                        /* data_dir/pods is swept by its walk below */
                        if (i == 1 && k == 0)
                                continue;
                        if (asprintf(&path, "%s/%s", dirs[i], subs[k]) < 0)
                                return (void) log_oom();
                        fd = open(path, O_DIRECTORY | O_CLOEXEC | O_RDONLY);
                        if (fd < 0)
                                continue;
                        r = rm_rf_queue_sweep(rc->trash, fd);
                        if (r > 0)
                                log_info("Removing %d tree(s) left for removal in %s.", r, path);
                }
}

static void remove_undesired_data(Reconciler *rc, const Hashmap *listed) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int fd = -EBADF, dup_fd = -EBADF;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        bool removed = false;

        if (asprintf(&dir, "%s/pods", rc->config->data_dir) < 0)
                return (void) log_oom();
        fd = open(dir, O_DIRECTORY | O_CLOEXEC | O_RDONLY);
        if (fd < 0)
                return;
        (void) rm_rf_queue_sweep(rc->trash, fd);
        dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (dup_fd < 0)
                return;
        d = fdopendir(dup_fd);
        if (!d)
                return;
        TAKE_FD(dup_fd);
        while ((de = readdir(d))) {
                PodState *p;

                if (!pod_name_is_valid(de->d_name))
                        continue;
                p = reconciler_get_pod(rc, de->d_name);
                if (!p && hashmap_get(listed, de->d_name)) {
                        log_warning("Keeping the scratch of pod %s: the store holds it, but its value does not parse.",
                                    de->d_name);
                        continue;
                }
                if (!p) {
                        log_info("Removing the scratch of pod %s, which is no longer desired.", de->d_name);
                        (void) rm_rf_queue_add(rc->trash, fd, de->d_name);
                        removed = true;
                        continue;
                }
                if (p->desired) {
                        _cleanup_free_ char *sub = NULL;
                        _cleanup_closedir_ DIR *cd = NULL;
                        struct dirent *ce;

                        if (asprintf(&sub, "%s/%s", dir, de->d_name) < 0)
                                return (void) log_oom();
                        cd = opendir(sub);
                        if (!cd)
                                continue;
                        (void) rm_rf_queue_sweep(rc->trash, dirfd(cd));
                        while ((ce = readdir(cd)))
                                if (pod_name_is_valid(ce->d_name) && !pod_find_container(p->desired, ce->d_name))
                                        (void) container_final_remove(rc, p->name, ce->d_name);
                }
                /* (Not desired but adopted from /run: pod_cleanup() follows.) */
        }
        if (removed)
                (void) fsync(fd);
}

static void restore_completed_all(Reconciler *rc, const Hashmap *listed) {
        PodState *p;

        sweep_trash(rc);
        remove_undesired_data(rc, listed);
        HASHMAP_FOREACH(p, rc->pods) {
                char pod_hash[SPEC_HASH_LEN + 1];
                size_t n = p->n_containers;

                if (!p->desired)
                        continue;
                if (pod_level_hash(p->desired, pod_hash) < 0)
                        return (void) log_oom();
                for (size_t i = 0; i < p->desired->n_containers; i++)
                        /* What /run knew wins: the path a tankd restart takes. */
                        if (!pod_state_find_container(p, p->desired->containers[i].name))
                                restore_completed(rc, p, &p->desired->containers[i], pod_hash);
                if (p->n_containers != n) {
                        reconciler_queue(p);
                        pod_changed(rc, p);
                }
        }
}

void reconciler_adopt_all(Reconciler *rc, const Hashmap *listed) {
        _cleanup_free_ char *dir = NULL;
        DIR *d;
        struct dirent *de;

        rc->adopted = true;
        if (asprintf(&dir, "%s/pods", rc->runtime_dir) < 0)
                return (void) log_oom();
        d = opendir(dir);
        if (d) {
                while ((de = readdir(d))) {
                        _cleanup_free_ char *sub = NULL;
                        DIR *cd;
                        struct dirent *ce;

                        if (!pod_name_is_valid(de->d_name) || asprintf(&sub, "%s/%s", dir, de->d_name) < 0)
                                continue;
                        cd = opendir(sub);
                        if (!cd)
                                continue;
                        while ((ce = readdir(cd)))
                                if (pod_name_is_valid(ce->d_name))
                                        adopt_container(rc, de->d_name, ce->d_name);
                        closedir(cd);
                }
                closedir(d);
        }
        /* Then what /run forgot (a reboot): containers that had completed. */
        restore_completed_all(rc, listed);
}
