/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "exit-record.h"
#include "fs-util.h"
#include "json-util.h"

void shim_exit_done(ShimExit *e) {
        free(e->error);
        e->error = NULL;
}

int shim_exit_serialize(const ShimExit *e, char **ret_json) {
        _cleanup_(json_gen_freep) yajl_gen g = json_gen_new();
        int r = 0;

        if (!g)
                return -ENOMEM;
        if (e->status < 0 || e->status > 255 || e->signal < 0 || e->code < -1 || e->code > 255)
                return -EINVAL;

        r |= yajl_gen_map_open(g);
        r |= json_gen_string(g, "status");
        r |= yajl_gen_integer(g, e->status);
        r |= json_gen_string(g, "code");
        r |= yajl_gen_integer(g, e->code);
        r |= json_gen_string(g, "signal");
        r |= yajl_gen_integer(g, e->signal);
        r |= json_gen_string(g, "oom");
        r |= yajl_gen_bool(g, e->oom);
        r |= json_gen_string(g, "started_at");
        r |= yajl_gen_integer(g, (long long) e->started_at);
        r |= json_gen_string(g, "exited_at");
        r |= yajl_gen_integer(g, (long long) e->exited_at);
        if (e->error)
                r |= json_gen_kv_string(g, "error", e->error);
        r |= yajl_gen_map_close(g);
        if (r != yajl_gen_status_ok)
                return -EINVAL;
        return json_gen_finish(g, ret_json);
}

int shim_exit_parse(const char *json, size_t len, ShimExit *ret) {
        static const char *const fields[] = {
                "status", "code", "signal", "oom", "started_at", "exited_at", "error", NULL };
        _cleanup_(json_ctx_done) JsonCtx j = {};
        _cleanup_free_ char *error = NULL;
        ShimExit e = {};
        unsigned seen = 0;
        yajl_val root;
        int r;

        if (len > SHIM_EXIT_RECORD_MAX)
                return -EBADMSG;
        r = json_ctx_parse(&j, json, len, &root);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        if (!YAJL_IS_OBJECT(root) || json_check_fields(&j, root, "exit", fields) < 0)
                return -EBADMSG;

        for (size_t i = 0; i < root->u.object.len; i++) {
                const char *k = root->u.object.keys[i];
                yajl_val x = root->u.object.values[i];
                long long n = 0;

                if (streq(k, "status")) {
                        r = json_get_int(&j, x, k, 0, 255, &n);
                        e.status = (int) n;
                        seen |= 1;
                } else if (streq(k, "code")) {
                        r = json_get_int(&j, x, k, -1, 255, &n);
                        e.code = (int) n;
                        seen |= 2;
                } else if (streq(k, "signal")) {
                        r = json_get_int(&j, x, k, 0, 127, &n);
                        e.signal = (int) n;
                        seen |= 4;
                } else if (streq(k, "oom")) {
                        r = json_get_bool(&j, x, k, &e.oom);
                        seen |= 8;
                } else if (streq(k, "started_at")) {
                        r = json_get_int(&j, x, k, 0, LLONG_MAX, &n);
                        e.started_at = (uint64_t) n;
                        seen |= 16;
                } else if (streq(k, "exited_at")) {
                        r = json_get_int(&j, x, k, 0, LLONG_MAX, &n);
                        e.exited_at = (uint64_t) n;
                        seen |= 32;
                } else
                        r = json_get_string(&j, x, k, &error);
                if (r < 0)
                        return r == -ENOMEM ? r : -EBADMSG;
        }
        if (seen != 63)
                return -EBADMSG;

        e.error = TAKE_PTR(error);
        *ret = e;
        return 0;
}

int shim_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode) {
        _cleanup_free_ char *tmp = NULL, *dir = NULL;
        _cleanup_close_ int fd = -EBADF, dfd = -EBADF;
        const char *slash;
        int r;

        slash = strrchr(path, '/');
        if (!slash || !slash[1])
                return -EINVAL;
        dir = strndup(path, slash == path ? 1 : (size_t) (slash - path));
        if (!dir)
                return -ENOMEM;
        if (asprintf(&tmp, "%s/.#%s.XXXXXX", dir, slash + 1) < 0)
                return -ENOMEM;

        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fchmod(fd, mode) < 0) {
                r = -errno;
                goto fail;
        }
        for (size_t done = 0; done < len; ) {
                ssize_t n = write(fd, data + done, len - done);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto fail;
                }
                done += (size_t) n;
        }
        if (fsync(fd) < 0 || rename(tmp, path) < 0) {
                r = -errno;
                goto fail;
        }
        /* Best effort: the rename is durable once the directory is synced. */
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
                (void) fsync(dfd);
        return 0;

fail:
        (void) unlink(tmp);
        return r;
}

int shim_read_file(const char *path, size_t max, char **ret, size_t *ret_len) {
        /* O_NONBLOCK: a FIFO planted at the path must not hang us. */
        return read_file_capped(AT_FDCWD, path, max, O_NONBLOCK, READ_FILE_REGULAR, ret, ret_len);
}

int shim_exit_write(const ShimExit *e, const char *path) {
        _cleanup_free_ char *json = NULL;
        int r;

        r = shim_exit_serialize(e, &json);
        if (r < 0)
                return r;
        return shim_write_file_atomic(path, json, strlen(json), 0644);
}

int shim_exit_load(const char *path, ShimExit *ret) {
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r;

        r = shim_read_file(path, SHIM_EXIT_RECORD_MAX, &data, &len);
        if (r < 0)
                return r == -EFBIG ? -EBADMSG : r;
        return shim_exit_parse(data, len, ret);
}
