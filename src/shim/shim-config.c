/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <yajl/yajl_tree.h>

#include "fs-util.h"
#include "json-util.h"
#include "log.h"
#include "shim-config.h"
#include "strv.h"

static const char *const network_mode_table[_SHIM_NETWORK_MAX] = {
        [SHIM_NETWORK_HOST] = "host",
        [SHIM_NETWORK_PRIVATE] = "private",
        [SHIM_NETWORK_PATH] = "path",
};

static const char *const log_mode_table[_SHIM_LOG_MAX] = {
        [SHIM_LOG_JOURNAL] = "journal",
        [SHIM_LOG_INHERIT] = "inherit",
};

const char *shim_network_mode_to_string(ShimNetworkMode m) {
        return m >= 0 && m < _SHIM_NETWORK_MAX ? network_mode_table[m] : NULL;
}

const char *shim_log_mode_to_string(ShimLogMode m) {
        return m >= 0 && m < _SHIM_LOG_MAX ? log_mode_table[m] : NULL;
}

ShimConfig *shim_config_new(void) {
        ShimConfig *c = calloc(1, sizeof *c);
        if (!c)
                return NULL;
        c->network = SHIM_NETWORK_PRIVATE;
        c->log = SHIM_LOG_JOURNAL;
        c->stop_signal = SIGTERM;
        c->stop_timeout_sec = 10;
        return c;
}

ShimConfig *shim_config_free(ShimConfig *c) {
        if (!c)
                return NULL;
        free(c->pod);
        free(c->container);
        free(c->rootfs_directory);
        strv_free(c->rootfs_lower);
        free(c->rootfs_upper);
        free(c->rootfs_work);
        free(c->rootfs_target);
        strv_free(c->argv);
        strv_free(c->env);
        free(c->cwd);
        free(c->user);
        free(c->additional_gids);
        FOREACH_ARRAY(m, c->mounts, c->n_mounts) {
                free(m->source);
                free(m->destination);
        }
        free(c->mounts);
        free(c->netns_path);
        pod_container_free(c->spec);
        free(c->exit_file);
        free(c->attach_socket);
        free(c->exec_socket);
        free(c->seccomp_filter);
        free(c->pid_file);
        free(c->resolv_conf);
        free(c->hosts);
        free(c->hostname_file);
        free(c->notify_dir);
        free(c->log_identifier);
        free(c->image);
        free(c->image_digest);
        free(c);
        return NULL;
}

/* ---- validation, shared by the parser and shim_config_verify() ---- */

static bool name_valid(const char *s) {
        size_t n = strlen(s);

        if (n < 1 || n > 63 || s[0] == '-' || s[n - 1] == '-')
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
                        return false;
        return true;
}

/* Absolute, no "." or ".." components, no empty components except a trailing
 * slash: paths tankd writes are canonical, anything else is a bug or an attack. */
static bool path_valid(const char *s) {
        if (!s || s[0] != '/' || strlen(s) >= PATH_MAX)
                return false;
        for (const char *p = s; *p; ) {
                const char *e;
                size_t n;

                while (*p == '/')
                        p++;
                e = strchrnul(p, '/');
                n = e - p;
                if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                p = e;
        }
        return !strstr(s, "//");
}

static bool user_valid(const char *s) {
        size_t n = strlen(s), colons = 0;

        if (n < 1 || n > 256 || s[0] == ':' || s[n - 1] == ':')
                return false;
        for (const char *p = s; *p; p++) {
                if (*p == ':')
                        colons++;
                else if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                           (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
                        return false;
        }
        return colons <= 1;
}

static bool env_valid(const char *s) {
        const char *eq = strchr(s, '=');
        return eq && eq != s;
}

_printf_(2, 3)
static int fail(char **ret_error, const char *fmt, ...) {
        va_list ap;

        if (ret_error) {
                char *m = NULL;
                va_start(ap, fmt);
                if (vasprintf(&m, fmt, ap) < 0)
                        m = NULL;
                va_end(ap);
                free(*ret_error);
                *ret_error = m;
        }
        return -EINVAL;
}

int shim_config_verify(const ShimConfig *c, char **ret_error) {
        if (!c->pod || !name_valid(c->pod))
                return fail(ret_error, "pod: not a DNS label");
        if (!c->container || !name_valid(c->container))
                return fail(ret_error, "container: not a DNS label");

        if (c->rootfs_directory) {
                if (c->rootfs_lower || c->rootfs_upper || c->rootfs_work || c->rootfs_target)
                        return fail(ret_error, "rootfs: \"directory\" excludes the overlay fields");
                if (!path_valid(c->rootfs_directory))
                        return fail(ret_error, "rootfs.directory: not a canonical absolute path");
        } else {
                if (strv_length(c->rootfs_lower) == 0)
                        return fail(ret_error, "rootfs: needs \"directory\" or a non-empty \"lower\"");
                STRV_FOREACH(l, c->rootfs_lower)
                        if (!path_valid(*l) || strchr(*l, ':') || strchr(*l, ','))
                                return fail(ret_error, "rootfs.lower[%zu]: not a canonical absolute path without ':' or ','",
                                            (size_t) (l - c->rootfs_lower));
                if (!!c->rootfs_upper != !!c->rootfs_work)
                        return fail(ret_error, "rootfs: \"upper\" and \"work\" go together");
                if (c->rootfs_upper && (!path_valid(c->rootfs_upper) || strpbrk(c->rootfs_upper, ":,")))
                        return fail(ret_error, "rootfs.upper: not a canonical absolute path without ':' or ','");
                if (c->rootfs_work && (!path_valid(c->rootfs_work) || strpbrk(c->rootfs_work, ":,")))
                        return fail(ret_error, "rootfs.work: not a canonical absolute path without ':' or ','");
                if (!c->rootfs_target || !path_valid(c->rootfs_target))
                        return fail(ret_error, "rootfs.target: not a canonical absolute path");
        }

        if (strv_length(c->argv) == 0 || isempty(c->argv[0]))
                return fail(ret_error, "argv: must be non-empty");
        if (strv_length(c->argv) > SHIM_ARGV_MAX)
                return fail(ret_error, "argv: too many entries");
        if (strv_length(c->env) > SHIM_ARGV_MAX)
                return fail(ret_error, "env: too many entries");
        STRV_FOREACH(e, c->env)
                if (!env_valid(*e))
                        return fail(ret_error, "env[%zu]: not KEY=VALUE", (size_t) (e - c->env));
        if (c->cwd && !path_valid(c->cwd))
                return fail(ret_error, "cwd: not a canonical absolute path");
        if (c->user && !user_valid(c->user))
                return fail(ret_error, "user: not uid[:gid] or name[:group]");
        if (c->n_additional_gids > SHIM_GIDS_MAX)
                return fail(ret_error, "additional_gids: too many entries");
        for (size_t i = 0; i < c->n_additional_gids; i++)
                if (c->additional_gids[i] == (gid_t) -1)
                        return fail(ret_error, "additional_gids[%zu]: invalid gid", i);

        if (c->n_mounts > SHIM_MOUNTS_MAX)
                return fail(ret_error, "mounts: too many entries");
        for (size_t i = 0; i < c->n_mounts; i++) {
                if (!path_valid(c->mounts[i].source))
                        return fail(ret_error, "mounts[%zu].source: not a canonical absolute path", i);
                if (!path_valid(c->mounts[i].destination) || streq(c->mounts[i].destination, "/"))
                        return fail(ret_error, "mounts[%zu].destination: not a canonical absolute path below /", i);
        }

        if (c->network < 0 || c->network >= _SHIM_NETWORK_MAX)
                return fail(ret_error, "network: invalid mode");
        if ((c->network == SHIM_NETWORK_PATH) != !!c->netns_path)
                return fail(ret_error, "network: a path goes with path mode only");
        if (c->netns_path && !path_valid(c->netns_path))
                return fail(ret_error, "network: not a canonical absolute path");

        if (c->spec && !streq_ptr(c->spec->name, c->container))
                return fail(ret_error, "spec.name: not the container's name");

        if (!c->exit_file || !path_valid(c->exit_file))
                return fail(ret_error, "exit_file: not a canonical absolute path");
        if (c->attach_socket && !path_valid(c->attach_socket))
                return fail(ret_error, "attach_socket: not a canonical absolute path");
        if (c->exec_socket && !path_valid(c->exec_socket))
                return fail(ret_error, "exec_socket: not a canonical absolute path");
        if (c->seccomp_filter && !path_valid(c->seccomp_filter))
                return fail(ret_error, "seccomp_filter: not a canonical absolute path");
        if (c->pid_file && !path_valid(c->pid_file))
                return fail(ret_error, "pid_file: not a canonical absolute path");
        if (c->resolv_conf && !path_valid(c->resolv_conf))
                return fail(ret_error, "resolv_conf: not a canonical absolute path");
        if (c->hosts && !path_valid(c->hosts))
                return fail(ret_error, "hosts: not a canonical absolute path");
        if (c->hostname_file && !path_valid(c->hostname_file))
                return fail(ret_error, "hostname_file: not a canonical absolute path");
        if (c->notify_dir && !path_valid(c->notify_dir))
                return fail(ret_error, "notify_dir: not a canonical absolute path");

        if (c->log < 0 || c->log >= _SHIM_LOG_MAX)
                return fail(ret_error, "log: invalid mode");
        if (c->log_identifier && (isempty(c->log_identifier) || strlen(c->log_identifier) > 256))
                return fail(ret_error, "log_identifier: must be 1..256 characters");
        if (c->image && (isempty(c->image) || strlen(c->image) > 1024))
                return fail(ret_error, "image: must be 1..1024 characters");
        if (c->image_digest && (isempty(c->image_digest) || strlen(c->image_digest) > 256))
                return fail(ret_error, "image_digest: must be 1..256 characters");
        if (c->stop_signal < 1 || c->stop_signal >= _NSIG || c->stop_signal == SIGKILL ||
            c->stop_signal == SIGSTOP)
                return fail(ret_error, "stop_signal: not a catchable signal number");
        if (c->stop_timeout_sec > 24 * 3600)
                return fail(ret_error, "stop_timeout_sec: at most one day");
        if (c->userns_size > 0) {
                /* Host id 0 must stay outside, and the last id inside the uid_t range. */
                if (c->userns_uid == 0 || c->userns_gid == 0)
                        return fail(ret_error, "user_namespace: the range must not contain host id 0");
                if ((uint64_t) c->userns_uid + c->userns_size > UINT32_MAX ||
                    (uint64_t) c->userns_gid + c->userns_size > UINT32_MAX)
                        return fail(ret_error, "user_namespace: the range ends beyond the last valid id");
        }
        return 0;
}

static int parse_userns(JsonCtx *j, yajl_val v, ShimConfig *c) {
        static const char *const fields[] = { "uid", "gid", "size", NULL };
        long long n;
        int r;

        if (!YAJL_IS_OBJECT(v))
                return json_fail(j, "user_namespace: must be an object");
        r = json_check_fields(j, v, "user_namespace", fields);
        if (r < 0)
                return r;
        for (size_t i = 0; i < v->u.object.len; i++) {
                const char *k = v->u.object.keys[i];
                char field[32];

                (void) snprintf(field, sizeof field, "user_namespace.%s", k);
                r = json_get_int(j, v->u.object.values[i], field, 1, UINT32_MAX - 1, &n);
                if (r < 0)
                        return r;
                if (streq(k, "uid"))
                        c->userns_uid = (uid_t) n;
                else if (streq(k, "gid"))
                        c->userns_gid = (gid_t) n;
                else
                        c->userns_size = (uint32_t) n;
        }
        if (c->userns_uid == 0 || c->userns_gid == 0 || c->userns_size == 0)
                return json_fail(j, "user_namespace: needs uid, gid and size");
        return 0;
}

/* ---- parser ---- */

static int get_path(JsonCtx *j, yajl_val v, const char *field, char **ret) {
        int r = json_get_string(j, v, field, ret);
        if (r < 0)
                return r;
        if (!path_valid(*ret))
                return json_fail(j, "%s: not a canonical absolute path", field);
        return 0;
}

static int parse_rootfs(JsonCtx *j, yajl_val v, ShimConfig *c) {
        static const char *const fields[] = { "directory", "lower", "upper", "work", "target", NULL };
        int r;

        if (!YAJL_IS_OBJECT(v))
                return json_fail(j, "rootfs: must be an object");
        r = json_check_fields(j, v, "rootfs", fields);
        if (r < 0)
                return r;
        for (size_t i = 0; i < v->u.object.len; i++) {
                const char *k = v->u.object.keys[i];
                yajl_val x = v->u.object.values[i];

                if (streq(k, "directory"))
                        r = get_path(j, x, "rootfs.directory", &c->rootfs_directory);
                else if (streq(k, "lower"))
                        r = json_get_strv(j, x, "rootfs.lower", SHIM_MOUNTS_MAX, &c->rootfs_lower);
                else if (streq(k, "upper"))
                        r = get_path(j, x, "rootfs.upper", &c->rootfs_upper);
                else if (streq(k, "work"))
                        r = get_path(j, x, "rootfs.work", &c->rootfs_work);
                else
                        r = get_path(j, x, "rootfs.target", &c->rootfs_target);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_mounts(JsonCtx *j, yajl_val v, ShimConfig *c) {
        static const char *const fields[] = { "source", "destination", "read_only", "give_to_user", NULL };
        int r;

        if (!YAJL_IS_ARRAY(v))
                return json_fail(j, "mounts: must be an array");
        if (v->u.array.len > SHIM_MOUNTS_MAX)
                return json_fail(j, "mounts: too many entries");
        c->mounts = calloc(v->u.array.len ?: 1, sizeof *c->mounts);
        if (!c->mounts)
                return -ENOMEM;
        for (size_t i = 0; i < v->u.array.len; i++) {
                yajl_val m = v->u.array.values[i];
                ShimMount *sm = &c->mounts[c->n_mounts++];
                char where[64];

                snprintf(where, sizeof where, "mounts[%zu]", i);
                if (!YAJL_IS_OBJECT(m))
                        return json_fail(j, "%s: must be an object", where);
                r = json_check_fields(j, m, where, fields);
                if (r < 0)
                        return r;
                for (size_t k = 0; k < m->u.object.len; k++) {
                        const char *key = m->u.object.keys[k];
                        yajl_val x = m->u.object.values[k];
                        char field[96];

                        snprintf(field, sizeof field, "%s.%s", where, key);
                        if (streq(key, "source"))
                                r = get_path(j, x, field, &sm->source);
                        else if (streq(key, "destination"))
                                r = get_path(j, x, field, &sm->destination);
                        else if (streq(key, "give_to_user"))
                                r = json_get_bool(j, x, field, &sm->give_to_user);
                        else
                                r = json_get_bool(j, x, field, &sm->read_only);
                        if (r < 0)
                                return r;
                }
                if (!sm->source || !sm->destination)
                        return json_fail(j, "%s: \"source\" and \"destination\" are required", where);
        }
        return 0;
}

static int parse_gids(JsonCtx *j, yajl_val v, ShimConfig *c) {
        if (!YAJL_IS_ARRAY(v))
                return json_fail(j, "additional_gids: must be an array");
        if (v->u.array.len > SHIM_GIDS_MAX)
                return json_fail(j, "additional_gids: too many entries");
        c->additional_gids = calloc(v->u.array.len ?: 1, sizeof(gid_t));
        if (!c->additional_gids)
                return -ENOMEM;
        for (size_t i = 0; i < v->u.array.len; i++) {
                yajl_val x = v->u.array.values[i];
                if (!YAJL_IS_INTEGER(x) || YAJL_GET_INTEGER(x) < 0 ||
                    YAJL_GET_INTEGER(x) >= (long long) UINT32_MAX)
                        return json_fail(j, "additional_gids[%zu]: must be a gid", i);
                c->additional_gids[c->n_additional_gids++] = (gid_t) YAJL_GET_INTEGER(x);
        }
        return 0;
}

/* The config's tree is yajl's, and src/spec reads its own: the object is
 * written out again for pod_container_parse(). */
static int parse_spec(JsonCtx *j, yajl_val v, ShimConfig *c) {
        _cleanup_(json_gen_freep) JsonGen *g = NULL;
        _cleanup_free_ char *json = NULL, *error = NULL;
        size_t len;
        int r;

        if (!YAJL_IS_OBJECT(v))
                return json_fail(j, "spec: must be an object");
        g = json_gen_new(0);
        if (!g)
                return -ENOMEM;
        (void) json_gen_value(g, v);
        r = json_gen_finish(g, &json, &len, NULL);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return json_fail(j, "spec: cannot be read");
        r = pod_container_parse(json, len, "spec", &c->spec, &error);
        if (r == -EINVAL)
                return json_fail(j, "%s", strna(error));
        return r;
}

/* "tty" at the top: an older tankd's config (shim-config.h), read for
 * tank-exec, which needs none of it. */
static int parse_legacy_tty(JsonCtx *j, yajl_val x) {
        bool tty;
        return json_get_bool(j, x, "tty", &tty);
}

static int parse_one(JsonCtx *j, const char *k, yajl_val x, ShimConfig *c) {
        _cleanup_free_ char *s = NULL;
        long long n;
        int r;

        if (streq(k, "pod"))
                return json_get_string(j, x, k, &c->pod);
        if (streq(k, "container"))
                return json_get_string(j, x, k, &c->container);
        if (streq(k, "rootfs"))
                return parse_rootfs(j, x, c);
        if (streq(k, "argv"))
                return json_get_strv(j, x, k, SHIM_ARGV_MAX, &c->argv);
        if (streq(k, "env"))
                return json_get_strv(j, x, k, SHIM_ARGV_MAX, &c->env);
        if (streq(k, "cwd"))
                return get_path(j, x, k, &c->cwd);
        if (streq(k, "user"))
                return json_get_string(j, x, k, &c->user);
        if (streq(k, "additional_gids"))
                return parse_gids(j, x, c);
        if (streq(k, "mounts"))
                return parse_mounts(j, x, c);
        if (streq(k, "network")) {
                r = json_get_string(j, x, k, &s);
                if (r < 0)
                        return r;
                if (streq(s, "host"))
                        c->network = SHIM_NETWORK_HOST;
                else if (streq(s, "private"))
                        c->network = SHIM_NETWORK_PRIVATE;
                else if (path_valid(s)) {
                        c->network = SHIM_NETWORK_PATH;
                        c->netns_path = TAKE_PTR(s);
                } else
                        return json_fail(j, "network: must be \"host\", \"private\" or an absolute netns path");
                return 0;
        }
        if (streq(k, "spec"))
                return parse_spec(j, x, c);
        if (streq(k, "tty"))
                return parse_legacy_tty(j, x);
        if (streq(k, "exit_file"))
                return get_path(j, x, k, &c->exit_file);
        if (streq(k, "attach_socket"))
                return get_path(j, x, k, &c->attach_socket);
        if (streq(k, "exec_socket"))
                return get_path(j, x, k, &c->exec_socket);
        if (streq(k, "seccomp_filter"))
                return get_path(j, x, k, &c->seccomp_filter);
        if (streq(k, "pid_file"))
                return get_path(j, x, k, &c->pid_file);
        if (streq(k, "resolv_conf"))
                return get_path(j, x, k, &c->resolv_conf);
        if (streq(k, "hosts"))
                return get_path(j, x, k, &c->hosts);
        if (streq(k, "hostname_file"))
                return get_path(j, x, k, &c->hostname_file);
        if (streq(k, "notify_dir"))
                return get_path(j, x, k, &c->notify_dir);
        if (streq(k, "log")) {
                r = json_get_string(j, x, k, &s);
                if (r < 0)
                        return r;
                if (streq(s, "journal"))
                        c->log = SHIM_LOG_JOURNAL;
                else if (streq(s, "inherit"))
                        c->log = SHIM_LOG_INHERIT;
                else
                        return json_fail(j, "log: must be \"journal\" or \"inherit\"");
                return 0;
        }
        if (streq(k, "log_identifier"))
                return json_get_string(j, x, k, &c->log_identifier);
        if (streq(k, "restart_count")) {
                r = json_get_int(j, x, k, 0, UINT32_MAX, &n);
                if (r < 0)
                        return r;
                c->restart_count = (unsigned) n;
                return 0;
        }
        if (streq(k, "image"))
                return json_get_string(j, x, k, &c->image);
        if (streq(k, "image_digest"))
                return json_get_string(j, x, k, &c->image_digest);
        if (streq(k, "stop_signal")) {
                r = json_get_int(j, x, k, 1, _NSIG - 1, &n);
                if (r < 0)
                        return r;
                c->stop_signal = (int) n;
                return 0;
        }
        if (streq(k, "user_namespace"))
                return parse_userns(j, x, c);
        if (streq(k, "stop_timeout_sec")) {
                r = json_get_int(j, x, k, 0, 24 * 3600, &n);
                if (r < 0)
                        return r;
                c->stop_timeout_sec = (unsigned) n;
                return 0;
        }
        return json_fail(j, "%s: unknown field", k);
}

int shim_config_parse(const char *json, size_t len, ShimConfig **ret, char **ret_error) {
        static const char *const fields[] = {
                "pod", "container", "rootfs", "argv", "env", "cwd", "user", "additional_gids",
                "mounts", "network", "spec", "tty", "exit_file", "attach_socket", "exec_socket", "seccomp_filter", "pid_file", "resolv_conf",
                "hosts", "hostname_file", "notify_dir", "log", "log_identifier", "stop_signal",
                "stop_timeout_sec", "user_namespace", "restart_count", "image", "image_digest", NULL };
        _cleanup_(shim_config_freep) ShimConfig *c = NULL;
        _cleanup_(json_ctx_done) JsonCtx j = {};
        yajl_val root;
        int r;

        if (len > SHIM_CONFIG_MAX)
                return fail(ret_error, "config: larger than %d bytes", SHIM_CONFIG_MAX);

        r = json_ctx_parse(&j, json, len, &root);
        if (r < 0)
                goto refuse;
        if (!YAJL_IS_OBJECT(root)) {
                r = json_fail(&j, "config: must be an object");
                goto refuse;
        }
        r = json_check_fields(&j, root, "config", fields);
        if (r < 0)
                goto refuse;

        c = shim_config_new();
        if (!c)
                return -ENOMEM;
        for (size_t i = 0; i < root->u.object.len; i++) {
                r = parse_one(&j, root->u.object.keys[i], root->u.object.values[i], c);
                if (r < 0)
                        goto refuse;
        }
        if (c->spec && json_guard_get(root, "tty")) {
                r = json_fail(&j, "tty: unknown field beside \"spec\" (which has its own)");
                goto refuse;
        }

        r = shim_config_verify(c, ret_error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;

refuse:
        if (r == -ENOMEM)
                return r;
        if (ret_error) {
                free(*ret_error);
                *ret_error = TAKE_PTR(j.error);
        }
        return r;
}

/* ---- writer ---- */

/* The canonical bytes as the object they are (a string would do, but a
 * person reading config.json deserves the object). */
static int gen_spec(JsonGen *g, const PodContainer *spec) {
        _cleanup_(json_ctx_done) JsonCtx j = {};
        _cleanup_free_ char *json = NULL;
        yajl_val v;
        int r;

        r = pod_container_serialize(spec, &json);
        if (r < 0)
                return r;
        r = json_ctx_parse(&j, json, strlen(json), &v);
        if (r < 0)
                return r;
        (void) json_gen_string(g, "spec");
        return json_gen_value(g, v);
}

int shim_config_set_spec(ShimConfig *c, const PodContainer *spec) {
        _cleanup_(pod_container_freep) PodContainer *copy = NULL;
        _cleanup_free_ char *json = NULL;
        int r;

        r = pod_container_serialize(spec, &json);
        if (r < 0)
                return r;
        r = pod_container_parse(json, strlen(json), "spec", &copy, NULL);
        if (r < 0)
                return r;
        pod_container_free(c->spec);
        c->spec = TAKE_PTR(copy);
        return 0;
}

int shim_config_serialize(const ShimConfig *c, char **ret_json) {
        _cleanup_(json_gen_freep) JsonGen *g = NULL;
        int r;

        r = shim_config_verify(c, NULL);
        if (r < 0)
                return r;

        g = json_gen_new(JSON_GEN_BEAUTIFY | JSON_GEN_VALIDATE_UTF8);
        if (!g)
                return -ENOMEM;

        json_gen_map_open(g);
        json_gen_kv_string(g, "pod", c->pod);
        json_gen_kv_string(g, "container", c->container);
        json_gen_string(g, "rootfs");
        json_gen_map_open(g);
        if (c->rootfs_directory)
                json_gen_kv_string(g, "directory", c->rootfs_directory);
        else {
                json_gen_kv_strv(g, "lower", c->rootfs_lower);
                if (c->rootfs_upper) {
                        json_gen_kv_string(g, "upper", c->rootfs_upper);
                        json_gen_kv_string(g, "work", c->rootfs_work);
                }
                json_gen_kv_string(g, "target", c->rootfs_target);
        }
        json_gen_map_close(g);
        json_gen_kv_strv(g, "argv", c->argv);
        json_gen_kv_strv(g, "env", c->env);
        json_gen_kv_string(g, "cwd", c->cwd ?: "/");
        if (c->user)
                json_gen_kv_string(g, "user", c->user);
        if (c->n_additional_gids > 0) {
                json_gen_string(g, "additional_gids");
                json_gen_array_open(g);
                for (size_t i = 0; i < c->n_additional_gids; i++)
                        json_gen_integer(g, c->additional_gids[i]);
                json_gen_array_close(g);
        }
        json_gen_string(g, "mounts");
        json_gen_array_open(g);
        FOREACH_ARRAY(m, c->mounts, c->n_mounts) {
                json_gen_map_open(g);
                json_gen_kv_string(g, "source", m->source);
                json_gen_kv_string(g, "destination", m->destination);
                json_gen_kv_bool(g, "read_only", m->read_only);
                if (m->give_to_user)
                        json_gen_kv_bool(g, "give_to_user", true);
                json_gen_map_close(g);
        }
        json_gen_array_close(g);
        json_gen_kv_string(g, "network",
                           c->network == SHIM_NETWORK_PATH ? c->netns_path
                                                           : shim_network_mode_to_string(c->network));
        if (c->spec) {
                r = gen_spec(g, c->spec);
                if (r < 0)
                        return r;
        }
        json_gen_kv_string(g, "exit_file", c->exit_file);
        if (c->attach_socket)
                json_gen_kv_string(g, "attach_socket", c->attach_socket);
        if (c->exec_socket)
                json_gen_kv_string(g, "exec_socket", c->exec_socket);
        if (c->seccomp_filter)
                json_gen_kv_string(g, "seccomp_filter", c->seccomp_filter);
        if (c->pid_file)
                json_gen_kv_string(g, "pid_file", c->pid_file);
        if (c->resolv_conf)
                json_gen_kv_string(g, "resolv_conf", c->resolv_conf);
        if (c->hosts)
                json_gen_kv_string(g, "hosts", c->hosts);
        if (c->hostname_file)
                json_gen_kv_string(g, "hostname_file", c->hostname_file);
        if (c->notify_dir)
                json_gen_kv_string(g, "notify_dir", c->notify_dir);
        json_gen_kv_string(g, "log", shim_log_mode_to_string(c->log));
        if (c->log_identifier)
                json_gen_kv_string(g, "log_identifier", c->log_identifier);
        json_gen_kv_integer(g, "restart_count", c->restart_count);
        if (c->image)
                json_gen_kv_string(g, "image", c->image);
        if (c->image_digest)
                json_gen_kv_string(g, "image_digest", c->image_digest);
        json_gen_kv_integer(g, "stop_signal", c->stop_signal);
        json_gen_kv_integer(g, "stop_timeout_sec", c->stop_timeout_sec);
        if (c->userns_size > 0) {
                json_gen_string(g, "user_namespace");
                json_gen_map_open(g);
                json_gen_kv_integer(g, "uid", c->userns_uid);
                json_gen_kv_integer(g, "gid", c->userns_gid);
                json_gen_kv_integer(g, "size", c->userns_size);
                json_gen_map_close(g);
        }
        json_gen_map_close(g);
        r = json_gen_finish(g, ret_json, NULL, NULL);
        return r == -ENOMEM ? r : r < 0 ? -EINVAL : 0;   /* invalid UTF-8 in a string */
}

int shim_config_load(const char *path, ShimConfig **ret, char **ret_error) {
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r;

        r = read_file_regular(path, SHIM_CONFIG_MAX, &data, &len);
        if (r < 0) {
                if (r == -EFBIG)
                        return fail(ret_error, "config: larger than %d bytes", SHIM_CONFIG_MAX);
                return r;
        }
        return shim_config_parse(data, len, ret, ret_error);
}

int shim_config_write(const ShimConfig *c, const char *path) {
        _cleanup_free_ char *json = NULL;
        int r;

        r = shim_config_serialize(c, &json);
        if (r < 0)
                return r;
        return write_file_atomic(path, json, strlen(json), 0600);
}
