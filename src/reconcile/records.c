/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "fs-util.h"
#include "log.h"
#include "reconcile/launch.h"
#include "reconcile/reconciler-internal.h"
#include "reconcile/records.h"
#include "shim/exit-record.h"
#include "spec/pod.h"
#include "time-util.h"

#define STATE_FILE_MAX (64 * 1024)

/* ---- state.json ---- */

#define GEN_STR(g, s) yajl_gen_string((g), (const unsigned char *) (s), strlen(s))

int container_state_save(Reconciler *rc, ContainerState *c) {
        _cleanup_free_ char *dir = NULL, *path = NULL;
        yajl_gen g = yajl_gen_alloc(NULL);
        const unsigned char *buf;
        size_t len;
        int r;

        if (!g)
                return -ENOMEM;
        yajl_gen_map_open(g);
        GEN_STR(g, "unit");
        GEN_STR(g, c->unit);
        GEN_STR(g, "hash");
        GEN_STR(g, c->hash);
        GEN_STR(g, "pod_hash");
        GEN_STR(g, c->pod_hash);
        GEN_STR(g, "image_digest");
        GEN_STR(g, strempty(c->image_digest));
        GEN_STR(g, "shim_pid");
        yajl_gen_integer(g, c->shim_pid);
        GEN_STR(g, "pid");
        yajl_gen_integer(g, c->pid);
        GEN_STR(g, "restarts");
        yajl_gen_integer(g, c->restarts);
        GEN_STR(g, "failures");
        yajl_gen_integer(g, c->backoff.failures);
        GEN_STR(g, "started_realtime_usec");
        yajl_gen_integer(g, (long long) c->started_realtime_usec);
        yajl_gen_map_close(g);
        if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
                yajl_gen_free(g);
                return -ENOMEM;
        }
        r = container_run_dir(rc, c->pod->name, c->name, &dir);
        if (r >= 0 && asprintf(&path, "%s/state.json", dir) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = write_file_atomic(path, (const char *) buf, len, 0600);
        yajl_gen_free(g);
        return r;
}

/* path: yajl_tree_get()'s, e.g. (const char *[]) { "exit", "code", NULL }. */
static int get_int(yajl_val root, const char **path, long long min, long long max, long long *ret) {
        yajl_val v = yajl_tree_get(root, path, yajl_t_number);

        if (!v || !YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < min || YAJL_GET_INTEGER(v) > max)
                return -EBADMSG;
        *ret = YAJL_GET_INTEGER(v);
        return 0;
}

static const char *get_str(yajl_val root, const char *key) {
        const char *path[] = { key, NULL };
        yajl_val v = yajl_tree_get(root, path, yajl_t_string);
        return v ? YAJL_GET_STRING(v) : NULL;
}

int container_state_load(Reconciler *rc, const char *pod, const char *container, ContainerState *c) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *data = NULL;
        long long shim_pid, pid, restarts, failures, started;
        const char *hash, *pod_hash, *digest;
        yajl_val root;
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
        root = yajl_tree_parse(data, NULL, 0);
        if (!root)
                return -EBADMSG;
        hash = get_str(root, "hash");
        pod_hash = get_str(root, "pod_hash");
        digest = get_str(root, "image_digest");
        if (!hash || strlen(hash) != SPEC_HASH_LEN || !pod_hash || strlen(pod_hash) != SPEC_HASH_LEN ||
            get_int(root, (const char *[]) { "shim_pid", NULL }, 0, INT32_MAX, &shim_pid) < 0 ||
            get_int(root, (const char *[]) { "pid", NULL }, 0, INT32_MAX, &pid) < 0 ||
            get_int(root, (const char *[]) { "restarts", NULL }, 0, UINT32_MAX, &restarts) < 0 ||
            get_int(root, (const char *[]) { "failures", NULL }, 0, UINT32_MAX, &failures) < 0 ||
            get_int(root, (const char *[]) { "started_realtime_usec", NULL }, 0, INT64_MAX, &started) < 0) {
                yajl_tree_free(root);
                return -EBADMSG;
        }
        memcpy(c->hash, hash, SPEC_HASH_LEN + 1);
        memcpy(c->pod_hash, pod_hash, SPEC_HASH_LEN + 1);
        r = free_and_strdup(&c->image_digest, isempty(digest) ? NULL : digest);
        c->shim_pid = (pid_t) shim_pid;
        c->pid = (pid_t) pid;
        c->restarts = (unsigned) restarts;
        c->backoff.failures = (unsigned) failures;
        c->started_realtime_usec = (uint64_t) started;
        yajl_tree_free(root);
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
        _cleanup_free_ char *dir = NULL, *path = NULL, *pod_dir = NULL;
        yajl_gen g = yajl_gen_alloc(NULL);
        const unsigned char *buf;
        size_t len;
        int r;

        if (!g)
                return -ENOMEM;
        yajl_gen_map_open(g);
        GEN_STR(g, "hash");
        GEN_STR(g, c->hash);
        GEN_STR(g, "pod_hash");
        GEN_STR(g, c->pod_hash);
        if (c->image_digest) {
                GEN_STR(g, "image_digest");
                GEN_STR(g, c->image_digest);
        }
        GEN_STR(g, "restarts");
        yajl_gen_integer(g, c->restarts);
        GEN_STR(g, "started_realtime_usec");
        yajl_gen_integer(g, (long long) c->started_realtime_usec);
        GEN_STR(g, "exit");
        yajl_gen_map_open(g);
        GEN_STR(g, "code");
        yajl_gen_integer(g, c->last_exit.code);
        GEN_STR(g, "signal");
        yajl_gen_integer(g, c->last_exit.signal);
        GEN_STR(g, "oom");
        yajl_gen_bool(g, c->last_exit.oom);
        GEN_STR(g, "at_usec");
        yajl_gen_integer(g, (long long) c->last_exit.at_usec);
        yajl_gen_map_close(g);
        if (c->message) {
                GEN_STR(g, "message");
                GEN_STR(g, c->message);
        }
        yajl_gen_map_close(g);
        if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
                yajl_gen_free(g);
                return -ENOMEM;
        }

        r = container_final_path(rc, c->pod->name, c->name, &dir, &path);
        if (r >= 0)
                r = mkdir_p(dir, 0700);
        if (r >= 0)
                r = write_file_atomic(path, (const char *) buf, len, 0600);
        yajl_gen_free(g);
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
        const char *k_code[] = { "exit", "code", NULL }, *k_signal[] = { "exit", "signal", NULL },
                   *k_oom[] = { "exit", "oom", NULL }, *k_at[] = { "exit", "at_usec", NULL },
                   *k_restarts[] = { "restarts", NULL }, *k_started[] = { "started_realtime_usec", NULL },
                   *k_digest[] = { "image_digest", NULL }, *k_message[] = { "message", NULL };
        long long code, sig, at, restarts, started;
        const char *hash, *pod_hash, *digest, *message;
        yajl_val root, v_digest, v_message, v_oom;
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
        if (strlen(data) != len)
                return -EBADMSG;
        root = yajl_tree_parse(data, NULL, 0);
        if (!root || !YAJL_IS_OBJECT(root)) {
                yajl_tree_free(root);
                return -EBADMSG;
        }
        hash = get_str(root, "hash");
        pod_hash = get_str(root, "pod_hash");
        v_digest = yajl_tree_get(root, k_digest, yajl_t_any);
        v_message = yajl_tree_get(root, k_message, yajl_t_any);
        v_oom = yajl_tree_get(root, k_oom, yajl_t_any);
        if (!hash_is_valid(hash) || !hash_is_valid(pod_hash) ||
            (v_digest && (!YAJL_IS_STRING(v_digest) || !digest_is_valid(YAJL_GET_STRING(v_digest)))) ||
            (v_message && !YAJL_IS_STRING(v_message)) ||
            !v_oom || !(YAJL_IS_TRUE(v_oom) || YAJL_IS_FALSE(v_oom)) ||
            get_int(root, k_code, -1, 255, &code) < 0 ||
            get_int(root, k_signal, 0, 64, &sig) < 0 ||
            get_int(root, k_at, 0, INT64_MAX, &at) < 0 ||
            get_int(root, k_restarts, 0, UINT32_MAX, &restarts) < 0 ||
            get_int(root, k_started, 0, INT64_MAX, &started) < 0) {
                yajl_tree_free(root);
                return -EBADMSG;
        }
        if ((digest = v_digest ? YAJL_GET_STRING(v_digest) : NULL) && !(digest_copy = strdup(digest))) {
                yajl_tree_free(root);
                return -ENOMEM;
        }
        if ((message = v_message ? YAJL_GET_STRING(v_message) : NULL) && !(message_copy = strdup(message))) {
                yajl_tree_free(root);
                return -ENOMEM;
        }
        memcpy(ret->hash, hash, SPEC_HASH_LEN + 1);
        memcpy(ret->pod_hash, pod_hash, SPEC_HASH_LEN + 1);
        ret->last_exit = (ExitInfo) {
                .valid = true,
                .code = (int) code,
                .signal = (int) sig,
                .oom = YAJL_IS_TRUE(v_oom),
                .at_usec = (uint64_t) at,
        };
        yajl_tree_free(root);
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
