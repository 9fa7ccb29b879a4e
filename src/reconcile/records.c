/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "json-guard.h"
#include "log.h"
#include "reconcile/launch.h"
#include "reconcile/reconciler-internal.h"
#include "reconcile/records.h"
#include "shim/exit-record.h"
#include "spec/pod.h"
#include "time-util.h"

#define STATE_FILE_MAX (64 * 1024)

/* ---- state.json ---- */

/* state.json and final.json are tankd's own, but /run and the data directory
 * can be written by anyone with root, and a crash may truncate: parsed like any
 * input, a flat object with one nested map at the most. */
#define RECORD_DEPTH_MAX 4U

int container_state_save(Reconciler *rc, ContainerState *c) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *json = NULL;
        _cleanup_(json_gen_freep) JsonGen *g = json_gen_new(0);
        size_t len;
        int r;

        if (!g)
                return -ENOMEM;
        json_gen_map_open(g);
        json_gen_kv_string(g, "unit", c->unit);
        json_gen_kv_string(g, "hash", c->hash);
        json_gen_kv_string(g, "pod_hash", c->pod_hash);
        json_gen_kv_string(g, "image_digest", strempty(c->image_digest));
        json_gen_kv_integer(g, "shim_pid", c->shim_pid);
        json_gen_kv_integer(g, "pid", c->pid);
        json_gen_kv_integer(g, "restarts", c->lifecycle.restarts);
        json_gen_kv_integer(g, "failures", c->lifecycle.backoff.failures);
        json_gen_kv_integer(g, "started_realtime_usec", (long long) c->started_realtime_usec);
        /* What the workload will not tell an adopting tankd again (health.h, ADOPTED). */
        json_gen_kv_bool(g, "started_up", c->health.running && c->health.started_up);
        json_gen_kv_bool(g, "ready_notified", c->health.running && c->health.notify_ready);
        json_gen_map_close(g);
        r = json_gen_finish(g, &json, &len, NULL);
        if (r < 0)
                return r;
        r = container_run_dir(rc, c->pod->name, c->name, &dir);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/state.json", dir) < 0)
                return -ENOMEM;
        return write_file_atomic(path, json, len, 0600);
}

static int get_int(yajl_val root, const char *key, long long min, long long max, long long *ret) {
        return json_guard_int(json_guard_get(root, key), min, max, ret);
}

int container_state_load(Reconciler *rc, const char *pod, const char *container, ContainerState *c) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *data = NULL;
        long long shim_pid, pid, restarts, failures, started;
        const char *hash, *pod_hash, *digest;
        _cleanup_yajl_ yajl_val root = NULL;
        size_t len;
        int r;

        r = container_run_dir(rc, pod, container, &dir);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/state.json", dir) < 0)
                return -ENOMEM;
        r = read_file_regular(path, STATE_FILE_MAX, &data, &len);
        if (r < 0)
                return r;
        r = json_guard_parse(data, len, STATE_FILE_MAX, RECORD_DEPTH_MAX, &root, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        hash = json_guard_string(json_guard_get(root, "hash"));
        pod_hash = json_guard_string(json_guard_get(root, "pod_hash"));
        digest = json_guard_string(json_guard_get(root, "image_digest"));
        if (!hash || strlen(hash) != SPEC_HASH_LEN || !pod_hash || strlen(pod_hash) != SPEC_HASH_LEN ||
            get_int(root, "shim_pid", 0, INT32_MAX, &shim_pid) < 0 ||
            get_int(root, "pid", 0, INT32_MAX, &pid) < 0 ||
            get_int(root, "restarts", 0, UINT32_MAX, &restarts) < 0 ||
            get_int(root, "failures", 0, UINT32_MAX, &failures) < 0 ||
            get_int(root, "started_realtime_usec", 0, INT64_MAX, &started) < 0)
                return -EBADMSG;
        memcpy(c->hash, hash, SPEC_HASH_LEN + 1);
        memcpy(c->pod_hash, pod_hash, SPEC_HASH_LEN + 1);
        r = free_and_strdup(&c->image_digest, isempty(digest) ? NULL : digest);
        c->shim_pid = (pid_t) shim_pid;
        c->pid = (pid_t) pid;
        c->lifecycle.restarts = (unsigned) restarts;
        c->lifecycle.backoff.failures = (unsigned) failures;
        c->started_realtime_usec = (uint64_t) started;
        /* Absent in records of a tankd before probes: nothing passed yet. */
        c->adopt_started_up = YAJL_IS_TRUE(json_guard_get(root, "started_up"));
        c->adopt_ready_notified = YAJL_IS_TRUE(json_guard_get(root, "ready_notified"));
        return r;
}

int container_pid_load(Reconciler *rc, ContainerState *c) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *data = NULL;
        size_t len;
        int pid, n = 0, r;

        r = container_run_dir(rc, c->pod->name, c->name, &dir);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/pid", dir) < 0)
                return -ENOMEM;
        r = read_file_regular(path, 64, &data, &len);
        if (r < 0)
                return r;
        if (sscanf(data, "%d\n%n", &pid, &n) != 1 || (size_t) n != len || pid <= 1)
                return -EBADMSG;
        c->pid = pid;
        return 0;
}

/* ---- final.json ---- */

#define FINAL_FILE_MAX (64 * 1024)

static int container_final_path(Reconciler *rc, const char *pod, const char *container, char **ret_dir,
                                char **ret_path) {
        _cleanup_free_ char *dir = NULL;
        char *path;
        int r;

        r = container_scratch_dir(rc, pod, container, &dir);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/final.json", dir) < 0)
                return -ENOMEM;
        *ret_path = path;
        if (ret_dir)
                *ret_dir = TAKE_PTR(dir);
        return 0;
}

void container_final_done(ContainerFinal *f) {
        f->image_digest = mfree(f->image_digest);
        f->message = mfree(f->message);
}

int container_final_save(Reconciler *rc, const ContainerState *c) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *pod_dir = NULL, *json = NULL;
        _cleanup_(json_gen_freep) JsonGen *g = json_gen_new(0);
        size_t len;
        int r;

        if (!g)
                return -ENOMEM;
        json_gen_map_open(g);
        json_gen_kv_string(g, "hash", c->hash);
        json_gen_kv_string(g, "pod_hash", c->pod_hash);
        if (c->image_digest)
                json_gen_kv_string(g, "image_digest", c->image_digest);
        json_gen_kv_integer(g, "restarts", c->lifecycle.restarts);
        json_gen_kv_integer(g, "started_realtime_usec", (long long) c->started_realtime_usec);
        json_gen_string(g, "exit");
        json_gen_map_open(g);
        json_gen_kv_integer(g, "code", c->lifecycle.last_exit.code);
        json_gen_kv_integer(g, "signal", c->lifecycle.last_exit.signal);
        json_gen_kv_bool(g, "oom", c->lifecycle.last_exit.oom);
        json_gen_kv_integer(g, "at_usec", (long long) c->lifecycle.last_exit.at_usec);
        if (c->lifecycle.last_exit.unhealthy)
                json_gen_kv_string(g, "unhealthy", c->lifecycle.last_exit.unhealthy_reason);
        json_gen_map_close(g);
        if (c->message)
                json_gen_kv_string(g, "message", c->message);
        json_gen_map_close(g);
        r = json_gen_finish(g, &json, &len, NULL);
        if (r < 0)
                return r;

        r = container_final_path(rc, c->pod->name, c->name, &dir, &path);
        if (r >= 0)
                r = mkdir_p(dir, 0700);
        if (r >= 0)
                r = write_file_atomic(path, json, len, 0600);
        if (r < 0)
                return r;
        /* write_file_atomic() syncs the directory only as a best effort;
         * here the rename must be on disk before the phase is announced. The
         * pod's and the container's directories may be young as well. */
        r = fsync_directory(dir);
        if (r < 0)
                return r;
        if (asprintf(&pod_dir, "%s/pods/%s", rc->config->data_dir, c->pod->name) < 0)
                return -ENOMEM;
        r = fsync_directory(pod_dir);
        if (r < 0)
                return r;
        *strrchr(pod_dir, '/') = 0;
        return fsync_directory(pod_dir);
}

static bool hash_is_valid(const char *s) {
        return s && strlen(s) == SPEC_HASH_LEN && strspn(s, "0123456789abcdef") == SPEC_HASH_LEN;
}

int container_final_load(Reconciler *rc, const char *pod, const char *container, ContainerFinal *ret) {
        _cleanup_free_ char *path = NULL, *data = NULL, *digest_copy = NULL, *message_copy = NULL;
        _cleanup_yajl_ yajl_val root = NULL;
        long long code, sig, at, restarts, started;
        const char *hash, *pod_hash, *digest, *message;
        yajl_val v_exit, v_digest, v_message, v_oom, v_unhealthy;
        size_t len;
        int r;

        r = container_final_path(rc, pod, container, NULL, &path);
        if (r < 0)
                return r;
        /* The directory is tankd's alone (0700); a symlink, a FIFO or anything
         * else that is not a regular file was not put there by tankd. Refused
         * by the open itself and fstat(), not by a check before it. */
        r = read_file_capped(AT_FDCWD, path, FINAL_FILE_MAX, O_NOFOLLOW | O_NONBLOCK, READ_FILE_REGULAR,
                             &data, &len);
        if (r < 0)
                return r;
        r = json_guard_parse(data, len, FINAL_FILE_MAX, RECORD_DEPTH_MAX, &root, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        if (!YAJL_IS_OBJECT(root))
                return -EBADMSG;
        hash = json_guard_string(json_guard_get(root, "hash"));
        pod_hash = json_guard_string(json_guard_get(root, "pod_hash"));
        v_exit = json_guard_get(root, "exit");
        v_digest = json_guard_get(root, "image_digest");
        v_message = json_guard_get(root, "message");
        v_oom = json_guard_get(v_exit, "oom");
        v_unhealthy = json_guard_get(v_exit, "unhealthy");
        if ((v_unhealthy && !YAJL_IS_STRING(v_unhealthy)) || !hash_is_valid(hash) || !hash_is_valid(pod_hash) ||
            (v_digest && (!YAJL_IS_STRING(v_digest) || !digest_is_valid(YAJL_GET_STRING(v_digest)))) ||
            (v_message && !YAJL_IS_STRING(v_message)) ||
            !v_oom || !(YAJL_IS_TRUE(v_oom) || YAJL_IS_FALSE(v_oom)) ||
            get_int(v_exit, "code", -1, 255, &code) < 0 ||
            get_int(v_exit, "signal", 0, 64, &sig) < 0 ||
            get_int(v_exit, "at_usec", 0, INT64_MAX, &at) < 0 ||
            get_int(root, "restarts", 0, UINT32_MAX, &restarts) < 0 ||
            get_int(root, "started_realtime_usec", 0, INT64_MAX, &started) < 0)
                return -EBADMSG;
        if ((digest = json_guard_string(v_digest)) && !(digest_copy = strdup(digest)))
                return -ENOMEM;
        if ((message = json_guard_string(v_message)) && !(message_copy = strdup(message)))
                return -ENOMEM;
        memcpy(ret->hash, hash, SPEC_HASH_LEN + 1);
        memcpy(ret->pod_hash, pod_hash, SPEC_HASH_LEN + 1);
        ret->last_exit = (ExitInfo) {
                .valid = true,
                .code = (int) code,
                .signal = (int) sig,
                .oom = YAJL_IS_TRUE(v_oom),
                .at_usec = (uint64_t) at,
                .unhealthy = v_unhealthy,
        };
        if (v_unhealthy)
                snprintf(ret->last_exit.unhealthy_reason, sizeof ret->last_exit.unhealthy_reason, "%s",
                         YAJL_GET_STRING(v_unhealthy));
        ret->image_digest = TAKE_PTR(digest_copy);
        ret->message = TAKE_PTR(message_copy);
        ret->restarts = (unsigned) restarts;
        ret->started_realtime_usec = (uint64_t) started;
        return 0;
}

int container_final_remove(Reconciler *rc, const char *pod, const char *container) {
        _cleanup_free_ char *dir = NULL, *path = NULL;
        int r;

        r = container_final_path(rc, pod, container, &dir, &path);
        if (r < 0)
                return r;
        if (unlink(path) < 0)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        /* Gone for good: a power cut must not bring back a record of a
         * container that has started again since. */
        return fsync_directory(dir);
}
