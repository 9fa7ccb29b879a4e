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
        _cleanup_(json_gen_freep) JsonGen *g = NULL;
        int r;

        if (e->status < 0 || e->status > 255 || e->signal < 0 || e->code < -1 || e->code > 255)
                return -EINVAL;
        g = json_gen_new(JSON_GEN_BEAUTIFY | JSON_GEN_VALIDATE_UTF8);
        if (!g)
                return -ENOMEM;

        json_gen_map_open(g);
        json_gen_kv_integer(g, "status", e->status);
        json_gen_kv_integer(g, "code", e->code);
        json_gen_kv_integer(g, "signal", e->signal);
        json_gen_kv_bool(g, "oom", e->oom);
        json_gen_kv_integer(g, "started_at", (long long) e->started_at);
        json_gen_kv_integer(g, "exited_at", (long long) e->exited_at);
        if (e->error)
                json_gen_kv_string(g, "error", e->error);
        json_gen_map_close(g);

        r = json_gen_finish(g, ret_json, NULL, NULL);
        return r == -ENOMEM ? r : r < 0 ? -EINVAL : 0;   /* invalid UTF-8 in the error */
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

int shim_exit_write(const ShimExit *e, const char *path) {
        _cleanup_free_ char *json = NULL;
        int r;

        r = shim_exit_serialize(e, &json);
        if (r < 0)
                return r;
        return write_file_atomic(path, json, strlen(json), 0644);
}

int shim_exit_load(const char *path, ShimExit *ret) {
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r;

        r = read_file_regular(path, SHIM_EXIT_RECORD_MAX, &data, &len);
        if (r < 0)
                return r == -EFBIG ? -EBADMSG : r;
        return shim_exit_parse(data, len, ret);
}
