/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "json.h"
#include "oci.h"
#include "strv.h"

/* Image config blobs come from registries: bigger and deeper than pod specs
 * (history, rootfs diff_ids), but still bounded. */
#define IMAGE_CONFIG_MAX (8 * 1024 * 1024)
#define IMAGE_CONFIG_DEPTH_MAX 64

ImageConfig *image_config_free(ImageConfig *c) {
        if (!c)
                return NULL;
        strv_free(c->entrypoint);
        strv_free(c->cmd);
        strv_free(c->env);
        free(c->working_dir);
        free(c->user);
        free(c->stop_signal);
        free(c);
        return NULL;
}

/* Go's encoding/json, which wrote and will read this blob, keeps the last of
 * duplicate keys: do the same so that we run what others would show. */
static const JsonValue *get_last(const JsonValue *o, const char *key) {
        size_t l = strlen(key);
        for (size_t i = o->n_members; i > 0; i--) {
                const JsonMember *m = o->members + i - 1;
                if (m->key_len == l && memcmp(m->key, key, l) == 0)
                        return m->value;
        }
        return NULL;
}

/* null or absent: *ret stays NULL. */
static int get_strv(const JsonValue *o, const char *key, bool need_assignment, char ***ret) {
        const JsonValue *v = get_last(o, key);
        _cleanup_strv_free_ char **l = NULL;

        if (!v || v->type == JSON_NULL)
                return 0;
        if (v->type != JSON_ARRAY)
                return -EBADMSG;
        l = calloc(v->n_items + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < v->n_items; i++) {
                const JsonValue *s = v->items[i];
                if (s->type != JSON_STRING || !json_string_is_clean(s))
                        return -EBADMSG;
                if (need_assignment && (s->str[0] == '=' || !strchr(s->str, '=')))
                        return -EBADMSG;
                l[i] = strdup(s->str);
                if (!l[i])
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* Empty strings mean unset in image configs. */
static int get_str(const JsonValue *o, const char *key, char **ret) {
        const JsonValue *v = get_last(o, key);

        if (!v || v->type == JSON_NULL)
                return 0;
        if (v->type != JSON_STRING || !json_string_is_clean(v))
                return -EBADMSG;
        if (v->len == 0)
                return 0;
        *ret = strdup(v->str);
        return *ret ? 0 : -ENOMEM;
}

int image_config_parse(const char *json, size_t len, ImageConfig **ret) {
        _cleanup_(json_value_freep) JsonValue *root = NULL;
        _cleanup_(image_config_freep) ImageConfig *c = NULL;
        _cleanup_free_ char *reason = NULL;
        const JsonValue *cfg;
        int r;

        if (!json && len > 0)
                return -EINVAL;
        r = json_parse(json ?: "", len, IMAGE_CONFIG_MAX, IMAGE_CONFIG_DEPTH_MAX, &root, &reason);
        if (r == -EINVAL)
                return -EBADMSG;
        if (r < 0)
                return r;
        if (root->type != JSON_OBJECT)
                return -EBADMSG;

        c = calloc(1, sizeof(ImageConfig));
        if (!c)
                return -ENOMEM;
        cfg = get_last(root, "config");
        if (cfg && cfg->type != JSON_NULL) {
                if (cfg->type != JSON_OBJECT)
                        return -EBADMSG;
                if ((r = get_strv(cfg, "Entrypoint", false, &c->entrypoint)) < 0 ||
                    (r = get_strv(cfg, "Cmd", false, &c->cmd)) < 0 ||
                    (r = get_strv(cfg, "Env", true, &c->env)) < 0 ||
                    (r = get_str(cfg, "WorkingDir", &c->working_dir)) < 0 ||
                    (r = get_str(cfg, "User", &c->user)) < 0 ||
                    (r = get_str(cfg, "StopSignal", &c->stop_signal)) < 0)
                        return r;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

#define CHECK(expr)                                                     \
        do {                                                            \
                int _r = (expr);                                        \
                if (_r < 0)                                             \
                        return _r;                                      \
        } while (0)

static int gen_key_str(JsonGen *g, const char *k, const char *v) {
        if (!v)
                return 0;
        CHECK(json_gen_string(g, k));
        CHECK(json_gen_string(g, v));
        return 0;
}

static int gen_key_strv(JsonGen *g, const char *k, char * const *l) {
        if (!l)
                return 0;
        CHECK(json_gen_string(g, k));
        CHECK(json_gen_array_open(g));
        STRV_FOREACH(s, l)
                CHECK(json_gen_string(g, *s));
        CHECK(json_gen_array_close(g));
        return 0;
}

static int gen_image_config(JsonGen *g, const ImageConfig *c) {
        int r;

        CHECK(json_gen_map_open(g));
        CHECK(json_gen_string(g, "config"));
        CHECK(json_gen_map_open(g));
        if ((r = gen_key_strv(g, "Entrypoint", c->entrypoint)) < 0 ||
            (r = gen_key_strv(g, "Cmd", c->cmd)) < 0 ||
            (r = gen_key_strv(g, "Env", c->env)) < 0 ||
            (r = gen_key_str(g, "WorkingDir", c->working_dir)) < 0 ||
            (r = gen_key_str(g, "User", c->user)) < 0 ||
            (r = gen_key_str(g, "StopSignal", c->stop_signal)) < 0)
                return r;
        CHECK(json_gen_map_close(g));
        CHECK(json_gen_map_close(g));
        return 0;
}

/* Same shape as the registry blob, so image_config_parse() reads it back. */
int image_config_serialize(const ImageConfig *c, char **ret_json) {
        _cleanup_(json_gen_freep) JsonGen *g = json_gen_new(0);
        int r;

        if (!g)
                return -ENOMEM;
        r = gen_image_config(g, c);
        if (r < 0)
                return r;
        return json_gen_finish(g, ret_json, NULL, NULL);
}

int oci_resolve(const ImageConfig *image, const PodContainer *c,
                char ***ret_argv, char ***ret_env, char **ret_cwd) {
        static const ImageConfig empty = {};
        _cleanup_strv_free_ char **argv = NULL, **env = NULL;
        _cleanup_free_ char *cwd = NULL;
        int r;

        if (!image)
                image = &empty;   /* a rootfs container has no image config */

        argv = calloc(1, sizeof(char *));
        if (!argv)
                return -ENOMEM;
        if (c->command) {
                r = strv_extend_strv(&argv, c->command);
                if (r >= 0)
                        r = strv_extend_strv(&argv, c->args);
        } else {
                r = strv_extend_strv(&argv, image->entrypoint);
                if (r >= 0)
                        r = strv_extend_strv(&argv, c->args ?: image->cmd);
        }
        if (r < 0)
                return r;
        if (!argv[0])
                return -ENOEXEC;

        env = strv_copy(image->env);
        if (!env)
                return -ENOMEM;
        STRV_FOREACH(e, c->env) {
                r = strv_env_set(&env, *e);
                if (r < 0)
                        return r;
        }

        if (c->working_dir)
                cwd = strdup(c->working_dir);
        else if (image->working_dir && image->working_dir[0] == '/')
                cwd = strdup(image->working_dir);
        else if (image->working_dir) {
                /* Docker resolves a relative WORKDIR against "/". */
                if (asprintf(&cwd, "/%s", image->working_dir) < 0)
                        cwd = NULL;
        } else
                cwd = strdup("/");
        if (!cwd)
                return -ENOMEM;

        *ret_argv = TAKE_PTR(argv);
        *ret_env = TAKE_PTR(env);
        *ret_cwd = TAKE_PTR(cwd);
        return 0;
}
