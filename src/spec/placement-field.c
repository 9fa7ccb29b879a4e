/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "node-name.h"
#include "placement-field.h"
#include "spec-util.h"
#include "strv.h"

#define PLACEMENT_LABELS_MAX 64U

void pod_placement_done(PodPlacement *pl) {
        if (!pl)
                return;
        free(pl->node);
        strv_free(pl->labels);
        *pl = (PodPlacement) {};
}

static int check_label_key(Ctx *c, const char *path, const JsonValue *object, size_t i) {
        const JsonMember *m = object->members + i;
        _cleanup_free_ char *probe = NULL;

        if (!memchr(m->key, 0, m->key_len) && !memchr(m->key, '=', m->key_len)) {
                /* A key is valid when "key=" is a valid label (an empty value is one). */
                if (asprintf(&probe, "%.*s=", (int) m->key_len, m->key) < 0)
                        return -ENOMEM;
                if (node_label_is_valid(probe))
                        return 0;
        }
        return fail_quoted(c, path, "invalid label key %s (as [Node] Labels= in tank.conf: "
                           "an optional DNS-subdomain prefix and '/', then 1-63 of A-Z, a-z, 0-9, '.', '_', '-')",
                           m->key, m->key_len);
}

static int check_label_value(Ctx *c, const char *path, const char *value) {
        _cleanup_free_ char *probe = NULL;

        if (asprintf(&probe, "k=%s", value) < 0)
                return -ENOMEM;
        if (!node_label_is_valid(probe))
                return fail_quoted(c, path, "invalid label value %s (empty, or 1-63 of A-Z, a-z, 0-9, '.', '_', '-', "
                                   "beginning and ending alphanumeric)", value, strlen(value));
        return 0;
}

int pod_placement_parse(Ctx *c, const JsonValue *v, const char *path, PodPlacement *ret) {
        static const char *const fields[] = { "node", "labels", NULL };
        static const char *const required[] = { NULL };
        static const StringMap map = {
                .what = "labels",
                .max = PLACEMENT_LABELS_MAX,
                .separator = "=",
                .check_key = check_label_key,
                .check_value = check_label_value,
        };
        _cleanup_(pod_placement_done) PodPlacement pl = {};
        const JsonValue *x;
        int r;

        r = check_fields(c, v, path, fields, required);
        if (r < 0)
                return r;
        if (json_object_get(v, "node") && json_object_get(v, "labels"))
                return fail(c, path, "\"node\" and \"labels\" are exclusive");
        if ((x = json_object_get(v, "node"))) {
                const char *s;
                FIELD_PATH(p, path, "node");
                r = get_string(c, x, p, &s);
                if (r < 0)
                        return r;
                if (strlen(s) != x->len || !node_name_is_valid(s))
                        return fail_quoted(c, p, "invalid node name %s (" "a lowercase DNS label, 1-63 characters of "
                                           "a-z, 0-9 and '-', not starting or ending with '-')", x->str, x->len);
                pl.node = strdup(s);
                if (!pl.node)
                        return -ENOMEM;
        }
        if ((x = json_object_get(v, "labels"))) {
                size_t n;
                FIELD_PATH(p, path, "labels");
                r = parse_string_map(c, x, p, &map, &pl.labels);
                if (r < 0)
                        return r;
                n = strv_length(pl.labels);
                qsort(pl.labels, n, sizeof(char *), env_assignment_compare);
                for (size_t i = 1; i < n; i++) {
                        size_t k = strcspn(pl.labels[i], "=");
                        if (strcspn(pl.labels[i - 1], "=") == k && strneq(pl.labels[i - 1], pl.labels[i], k))
                                return fail_quoted(c, p, "duplicate label %s", pl.labels[i], k);
                }
        }
        pl.set = true;
        *ret = pl;
        pl = (PodPlacement) {};
        return 0;
}

int pod_placement_check(Ctx *c, const Pod *pod) {
        if (!pod->reschedule)
                return 0;
        /* A managed volume's data lives on the node that made it; moving the
         * pod would start it on another node with an empty one. */
        FOREACH_ARRAY(vol, pod->volumes, pod->n_volumes)
                if (!vol->host_path && !vol->empty)
                        return fail(c, "reschedule", "a pod with managed volumes cannot move between nodes "
                                    "(volume \"%s\")", vol->name);
        return 0;
}

int pod_placement_gen(JsonGen *g, const Pod *pod) {
        const PodPlacement *pl = &pod->placement;
        int r = 0;

        if (pl->set) {
                r = json_gen_string(g, "placement");
                if (r >= 0)
                        r = json_gen_map_open(g);
                if (r >= 0 && pl->node)
                        r = json_gen_kv_string(g, "node", pl->node);
                if (r >= 0 && pl->labels) {
                        r = json_gen_string(g, "labels");
                        if (r >= 0)
                                r = json_gen_map_open(g);
                        STRV_FOREACH(l, pl->labels) {
                                size_t k = strcspn(*l, "=");
                                if (r >= 0)
                                        r = json_gen_string_len(g, *l, k);
                                if (r >= 0)
                                        r = json_gen_string(g, (*l)[k] ? *l + k + 1 : "");
                        }
                        if (r >= 0)
                                r = json_gen_map_close(g);
                }
                if (r >= 0)
                        r = json_gen_map_close(g);
        }
        /* Written only when true: pods that never said keep their hashes. */
        if (r >= 0 && pod->reschedule)
                r = json_gen_kv_bool(g, "reschedule", true);
        return r < 0 ? r : 0;
}
