/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <inttypes.h>

#include "container-fields.h"
#include "parse-util.h"
#include "pod.h"
#include "reference.h"
#include "placement-field.h"
#include "rollout-field.h"
#include "spec-util.h"
#include "strv.h"

#define CPU_PERIOD_MIN 1000
#define CPU_PERIOD_MAX 1000000
#define CPU_QUOTA_MIN 1000
#define CPU_QUOTA_MAX 1000000000   /* 1000 CPUs at a 1 s period; keeps quota*1e6 in range */

static int parse_nic(Ctx *c, const JsonValue *v, const char *path, PodNic *nic) {
        static const char *const fields[] = { "name", "parent", "ip", "gateway", NULL };
        static const char *const required[] = { "name", "ip", NULL };
        const JsonValue *x;
        const char *s;
        int r;

        r = check_fields(c, v, path, fields, required);
        if (r < 0)
                return r;

        {
                FIELD_PATH(p, path, "name");
                r = get_string(c, json_object_get(v, "name"), p, &s);
                if (r < 0)
                        return r;
                if (!ifname_is_valid(s))
                        return fail(c, p, "must be an interface name (1-15 characters of a-z, A-Z, 0-9, '_', '-' and '.')");
                if (streq(s, "lo"))
                        return fail(c, p, "\"lo\" is the pod's loopback interface");
                nic->name = strdup(s);
                if (!nic->name)
                        return -ENOMEM;
        }

        x = json_object_get(v, "parent");
        {
                FIELD_PATH(p, path, "parent");
                s = "auto";
                if (x) {
                        r = get_string(c, x, p, &s);
                        if (r < 0)
                                return r;
                        if (!streq(s, "auto") && !ifname_is_valid(s))
                                return fail(c, p, "must be \"auto\" or an interface name (1-15 characters of a-z, A-Z, 0-9, '_', '-' and '.')");
                }
                nic->parent = strdup(s);
                if (!nic->parent)
                        return -ENOMEM;
        }

        {
                FIELD_PATH(p, path, "ip");
                r = get_string(c, json_object_get(v, "ip"), p, &s);
                if (r < 0)
                        return r;
                r = parse_ipv4_cidr(s, &nic->address, &nic->prefixlen);
                if (r == -ERANGE)
                        return fail(c, p, "prefix length %u out of range 0..32", nic->prefixlen);
                if (r < 0)
                        return fail_quoted(c, p, "must be an IPv4 address with a prefix length (a.b.c.d/n), got %s", s, strlen(s));
        }

        x = json_object_get(v, "gateway");
        if (x) {
                FIELD_PATH(p, path, "gateway");
                r = get_string(c, x, p, &s);
                if (r < 0)
                        return r;
                if (inet_pton(AF_INET, s, &nic->gateway) != 1)
                        return fail_quoted(c, p, "must be an IPv4 address, got %s", s, strlen(s));
                nic->has_gateway = true;
        }
        return 0;
}

static int parse_network(Ctx *c, const JsonValue *v, const char *path, PodNetwork *n) {
        static const char *const fields[] = { "nics", "dns", NULL };
        static const char *const required[] = { "nics", NULL };
        const JsonValue *nics, *dns;
        int r;

        if (v->type == JSON_STRING) {
                if (json_string_is_clean(v) && streq(v->str, "none"))
                        n->mode = NETWORK_NONE;
                else if (json_string_is_clean(v) && streq(v->str, "host"))
                        n->mode = NETWORK_HOST;
                else
                        return fail_quoted(c, path, "must be \"none\", \"host\" or an object with \"nics\", got %s", v->str, v->len);
                return 0;
        }
        if (v->type != JSON_OBJECT)
                return fail(c, path, "expected a string or an object, got %s", json_type_to_article(v->type));

        r = check_fields(c, v, path, fields, required);
        if (r < 0)
                return r;
        n->mode = NETWORK_MACVLAN;

        nics = json_object_get(v, "nics");
        {
                FIELD_PATH(p, path, "nics");
                r = expect_type(c, nics, p, JSON_ARRAY);
                if (r < 0)
                        return r;
                if (nics->n_items == 0)
                        return fail(c, p, "must not be empty");
                if (nics->n_items > POD_NICS_MAX)
                        return fail(c, p, "too many NICs (at most %u)", POD_NICS_MAX);
                n->nics = calloc(nics->n_items, sizeof(PodNic));
                if (!n->nics)
                        return -ENOMEM;
                for (size_t i = 0; i < nics->n_items; i++) {
                        _cleanup_free_ char *pi = path_index(p, i), *pn = NULL;
                        if (!pi)
                                return -ENOMEM;
                        n->n_nics++;
                        r = parse_nic(c, nics->items[i], pi, n->nics + i);
                        if (r < 0)
                                return r;
                        for (size_t j = 0; j < i; j++)
                                if (streq(n->nics[j].name, n->nics[i].name)) {
                                        pn = path_field(pi, "name");
                                        if (!pn)
                                                return -ENOMEM;
                                        return fail(c, pn, "duplicate NIC name \"%s\"", n->nics[i].name);
                                }
                }
        }

        dns = json_object_get(v, "dns");
        if (dns) {
                FIELD_PATH(p, path, "dns");
                _cleanup_strv_free_ char **l = NULL;

                r = parse_string_array(c, dns, p, &l);
                if (r < 0)
                        return r;
                if (strv_length(l) > POD_DNS_MAX)
                        return fail(c, p, "too many DNS servers (at most %u)", POD_DNS_MAX);
                for (size_t i = 0; l[i]; i++) {
                        union { struct in_addr a4; struct in6_addr a6; } a;
                        char buf[INET6_ADDRSTRLEN];
                        int af = strchr(l[i], ':') ? AF_INET6 : AF_INET;

                        if (inet_pton(af, l[i], &a) != 1) {
                                _cleanup_free_ char *pi = path_index(p, i);
                                if (!pi)
                                        return -ENOMEM;
                                return fail_quoted(c, pi, "must be an IPv4 or IPv6 address, got %s", l[i], strlen(l[i]));
                        }
                        /* Canonical text, so that "::0001" and "::1" hash alike. */
                        if (!inet_ntop(af, &a, buf, sizeof(buf)))
                                return -errno;
                        r = free_and_strdup(l + i, buf);
                        if (r < 0)
                                return r;
                }
                n->dns = TAKE_PTR(l);
        }
        return 0;
}

static int parse_volume(Ctx *c, const JsonValue *v, const char *path, PodVolume *vol) {
        static const char *const fields[] = { "name", "source", NULL };
        static const char *const required[] = { "name", NULL };
        static const char *const source_fields[] = { "host", "empty", NULL };
        const JsonValue *src, *x;
        int r;

        r = check_fields(c, v, path, fields, required);
        if (r < 0)
                return r;
        {
                FIELD_PATH(p, path, "name");
                r = parse_dns_label(c, json_object_get(v, "name"), p, &vol->name);
                if (r < 0)
                        return r;
        }
        src = json_object_get(v, "source");
        if (src) {
                FIELD_PATH(p, path, "source");
                r = check_fields(c, src, p, source_fields, NULL);
                if (r < 0)
                        return r;
                if (src->n_members != 1)
                        return fail(c, p, src->n_members == 0 ? "missing field \"host\" or \"empty\"" :
                                    "more than one source (\"host\" or \"empty\")");
                if ((x = json_object_get(src, "empty"))) {
                        FIELD_PATH(pe, p, "empty");
                        r = check_fields(c, x, pe, (const char *const[]) { NULL }, NULL);
                        if (r < 0)
                                return r;
                        vol->empty = true;
                        return 0;
                }
                FIELD_PATH(ph, p, "host");
                r = parse_abs_path(c, json_object_get(src, "host"), ph, true, &vol->host_path);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_mount(Ctx *c, const JsonValue *v, const char *path, const Pod *pod, PodMount *m) {
        static const char *const fields[] = { "volume", "path", "read_only", NULL };
        static const char *const required[] = { "volume", "path", NULL };
        const JsonValue *x;
        const char *s;
        int r;

        r = check_fields(c, v, path, fields, required);
        if (r < 0)
                return r;
        {
                FIELD_PATH(p, path, "volume");
                r = get_string(c, json_object_get(v, "volume"), p, &s);
                if (r < 0)
                        return r;
                if (pod && !pod_find_volume(pod, s))
                        return fail_quoted(c, p, "no volume %s in this pod", s, strlen(s));
                m->volume = strdup(s);
                if (!m->volume)
                        return -ENOMEM;
        }
        {
                FIELD_PATH(p, path, "path");
                r = parse_abs_path(c, json_object_get(v, "path"), p, false, &m->path);
                if (r < 0)
                        return r;
        }
        x = json_object_get(v, "read_only");
        if (x) {
                FIELD_PATH(p, path, "read_only");
                r = get_bool(c, x, p, &m->read_only);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_cpu(Ctx *c, const JsonValue *v, const char *path, PodLimits *l) {
        int64_t q, per;
        int r;

        r = expect_type(c, v, path, JSON_ARRAY);
        if (r < 0)
                return r;
        if (v->n_items != 2)
                return fail(c, path, "expected [quota_us, period_us], got %zu element%s",
                            v->n_items, v->n_items == 1 ? "" : "s");
        _cleanup_free_ char *pq = path_index(path, 0), *pp = path_index(path, 1);
        if (!pq || !pp)
                return -ENOMEM;
        r = get_int(c, v->items[0], pq, &q);
        if (r < 0)
                return r;
        if (q < CPU_QUOTA_MIN || q > CPU_QUOTA_MAX)
                return fail(c, pq, "quota %" PRIi64 " out of range %u..%u", q, CPU_QUOTA_MIN, CPU_QUOTA_MAX);
        r = get_int(c, v->items[1], pp, &per);
        if (r < 0)
                return r;
        if (per < CPU_PERIOD_MIN || per > CPU_PERIOD_MAX)
                return fail(c, pp, "period %" PRIi64 " out of range %u..%u", per, CPU_PERIOD_MIN, CPU_PERIOD_MAX);
        l->cpu_quota_us = q;
        l->cpu_period_us = per;
        return 0;
}

static int parse_limits(Ctx *c, const JsonValue *v, const char *path, PodLimits *l) {
        static const char *const fields[] = { "memory", "pids", "cpu", NULL };
        const JsonValue *x;
        int64_t i;
        int r;

        r = check_fields(c, v, path, fields, (const char *const[]) { NULL });
        if (r < 0)
                return r;

        x = json_object_get(v, "memory");
        if (x) {
                FIELD_PATH(p, path, "memory");
                if (x->type == JSON_NUMBER) {
                        r = get_int(c, x, p, &i);
                        if (r < 0)
                                return r;
                        if (i <= 0)
                                return fail(c, p, "must be positive");
                        l->memory = i;
                } else if (x->type == JSON_STRING) {
                        const char *s;
                        r = get_string(c, x, p, &s);
                        if (r < 0)
                                return r;
                        r = parse_size(s, &l->memory);
                        if (r == -ERANGE)
                                return fail(c, p, "size out of range");
                        if (r < 0)
                                return fail_quoted(c, p, "must be a number of bytes or a size like \"256M\" (suffix K, M, G or T, base 1024), got %s", s, strlen(s));
                        if (l->memory == 0)
                                return fail(c, p, "must be positive");
                } else
                        return fail(c, p, "expected a number or a string, got %s", json_type_to_article(x->type));
        }

        x = json_object_get(v, "pids");
        if (x) {
                FIELD_PATH(p, path, "pids");
                r = get_int(c, x, p, &i);
                if (r < 0)
                        return r;
                if (i <= 0)
                        return fail(c, p, "must be positive");
                l->pids = i;
        }

        x = json_object_get(v, "cpu");
        if (x) {
                FIELD_PATH(p, path, "cpu");
                r = parse_cpu(c, x, p, l);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int check_env_key(Ctx *c, const char *path, const JsonValue *object, size_t i) {
        const JsonMember *m = object->members + i;

        if (!env_name_is_valid(m->key, m->key_len))
                return fail_quoted(c, path, "invalid variable name %s (must be non-empty, without '=' or control characters)",
                                   m->key, m->key_len);
        return 0;
}

static int parse_env(Ctx *c, const JsonValue *v, const char *path, char ***ret) {
        static const StringMap map = { .separator = "=", .check_key = check_env_key };
        _cleanup_strv_free_ char **l = NULL;
        size_t n;
        int r;

        r = parse_string_map(c, v, path, &map, &l);
        if (r < 0 || !l)
                return r;   /* no variables: NULL, as absent */
        n = strv_length(l);
        qsort(l, n, sizeof(char *), env_assignment_compare);
        for (size_t i = 1; i < n; i++) {
                size_t k = strcspn(l[i], "=");
                if (strcspn(l[i - 1], "=") == k && strneq(l[i - 1], l[i], k))
                        return fail_quoted(c, path, "duplicate variable %s", l[i], k);
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int container_parse_image(Ctx *c, const JsonValue *v, const char *path, const Pod *pod, PodContainer *ct) {
        static const char *const fields[] = { "rootfs", NULL };
        _cleanup_(image_reference_freep) ImageReference *ref = NULL;
        _cleanup_free_ char *why = NULL;
        const char *s;
        int r;

        if (v->type == JSON_OBJECT) {
                r = check_fields(c, v, path, fields, fields);
                if (r < 0)
                        return r;
                FIELD_PATH(p, path, "rootfs");
                return parse_abs_path(c, json_object_get(v, "rootfs"), p, true, &ct->rootfs);
        }
        if (v->type != JSON_STRING)
                return fail(c, path, "expected a string or an object, got %s", json_type_to_article(v->type));
        r = get_string(c, v, path, &s);
        if (r < 0)
                return r;
        r = image_reference_parse(s, &ref, &why);
        if (r == -EINVAL) {
                _cleanup_free_ char *q = quote_untrusted(s, strlen(s), QUOTE_MAX * 4);
                if (!q)
                        return -ENOMEM;
                return fail(c, path, "invalid image reference %s: %s", q, why ?: "invalid syntax");
        }
        if (r < 0)
                return r;
        return image_reference_to_string(ref, &ct->image);
}

int container_parse_mounts(Ctx *c, const JsonValue *x, const char *p, const Pod *pod, PodContainer *ct) {
        int r;

        r = expect_type(c, x, p, JSON_ARRAY);
        if (r < 0)
                return r;
        if (x->n_items > POD_MOUNTS_MAX)
                return fail(c, p, "too many mounts (at most %u)", POD_MOUNTS_MAX);
        ct->mounts = calloc(x->n_items ?: 1, sizeof(PodMount));
        if (!ct->mounts)
                return -ENOMEM;
        for (size_t i = 0; i < x->n_items; i++) {
                _cleanup_free_ char *pi = path_index(p, i), *pp = NULL;
                if (!pi)
                        return -ENOMEM;
                ct->n_mounts++;
                r = parse_mount(c, x->items[i], pi, pod, ct->mounts + i);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < i; j++)
                        if (streq(ct->mounts[j].path, ct->mounts[i].path)) {
                                pp = path_field(pi, "path");
                                if (!pp)
                                        return -ENOMEM;
                                return fail(c, pp, "\"%s\" is already mounted by mounts[%zu]", ct->mounts[i].path, j);
                        }
        }
        return 0;
}

int container_parse_limits(Ctx *c, const JsonValue *v, const char *path, const Pod *pod, PodContainer *ct) {
        return parse_limits(c, v, path, &ct->limits);
}

static int parse_field(Ctx *c, const ContainerField *f, const JsonValue *x, const char *p, const Pod *pod,
                       PodContainer *ct) {
        void *m = (uint8_t *) ct + f->offset;

        switch (f->kind) {
        case CF_NAME:
                return parse_dns_label(c, x, p, m);
        case CF_STRING:
                return dup_string(c, x, p, m);
        case CF_PATH:
                return parse_abs_path(c, x, p, true, m);
        case CF_STRV:
                return parse_string_array(c, x, p, m);
        case CF_ENV:
                return parse_env(c, x, p, m);
        case CF_BOOL:
                return get_bool(c, x, p, m);
        case CF_UINT:
                return get_uint_range(c, x, p, 0, f->max, m);
        case CF_CUSTOM:
                return f->parse(c, x, p, pod, ct);
        }
        return -EINVAL;
}

/* Fields are checked in the table's order, whatever order the document has,
 * so that the first fault reported does not depend on it. */
int container_fields_parse(Ctx *c, const ContainerField *fields, size_t n, const JsonValue *v, const char *path,
                           const Pod *pod, PodContainer *ct) {
        const char *names[CONTAINER_FIELDS_MAX + 1] = {}, *required[CONTAINER_FIELDS_MAX + 1] = {};
        size_t n_required = 0;
        int r;

        if (n > CONTAINER_FIELDS_MAX)
                return -E2BIG;
        for (size_t i = 0; i < n; i++) {
                const ContainerField *f = fields + i;

                names[i] = f->name;
                if (f->required)
                        required[n_required++] = f->name;
                if (f->init)
                        f->init(ct);
                else if (f->kind == CF_BOOL)
                        *(bool *) ((uint8_t *) ct + f->offset) = f->def;
                else if (f->kind == CF_UINT)
                        *(unsigned *) ((uint8_t *) ct + f->offset) = f->def;
        }
        r = check_fields(c, v, path, names, required);
        if (r < 0)
                return r;
        for (const ContainerField *f = fields; f < fields + n; f++) {
                const JsonValue *x = json_object_get(v, f->name);
                if (!x)
                        continue;
                FIELD_PATH(p, path, f->name);
                r = parse_field(c, f, x, p, pod, ct);
                if (r < 0)
                        return r;
                if (f->check) {
                        r = f->check(c, p, ct);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* One pod object at `path` ("$" for a single document, "[i]" in an array). */
static int parse_pod_object(Ctx *c, const JsonValue *v, const char *path, Pod **ret) {
        static const char *const fields[] = { "name", "restart", "network", "volumes", "user_namespace",
                                               "containers", "rollout", "placement", "reschedule", NULL };
        static const char *const required[] = { "name", "containers", NULL };
        _cleanup_pod_free_ Pod *pod = NULL;
        const JsonValue *x;
        int r;

        r = check_fields(c, v, path, fields, required);
        if (r < 0)
                return r;
        pod = calloc(1, sizeof(Pod));
        if (!pod)
                return -ENOMEM;
        pod->restart = RESTART_ALWAYS;
        pod->network.mode = NETWORK_NONE;

        {
                FIELD_PATH(p, path, "name");
                r = parse_dns_label(c, json_object_get(v, "name"), p, &pod->name);
                if (r < 0)
                        return r;
        }
        if ((x = json_object_get(v, "restart"))) {
                FIELD_PATH(p, path, "restart");
                r = expect_type(c, x, p, JSON_STRING);
                if (r < 0)
                        return r;
                pod->restart = json_string_is_clean(x) ? restart_policy_from_string(x->str) : _RESTART_INVALID;
                if (pod->restart < 0)
                        return fail_quoted(c, p, "must be one of \"always\", \"on_failure\", \"never\", got %s", x->str, x->len);
        }
        if ((x = json_object_get(v, "network"))) {
                FIELD_PATH(p, path, "network");
                r = parse_network(c, x, p, &pod->network);
                if (r < 0)
                        return r;
        }
        if ((x = json_object_get(v, "volumes"))) {
                FIELD_PATH(p, path, "volumes");
                r = expect_type(c, x, p, JSON_ARRAY);
                if (r < 0)
                        return r;
                if (x->n_items > POD_VOLUMES_MAX)
                        return fail(c, p, "too many volumes (at most %u)", POD_VOLUMES_MAX);
                pod->volumes = calloc(x->n_items ?: 1, sizeof(PodVolume));
                if (!pod->volumes)
                        return -ENOMEM;
                for (size_t i = 0; i < x->n_items; i++) {
                        _cleanup_free_ char *pi = path_index(p, i), *pn = NULL;
                        if (!pi)
                                return -ENOMEM;
                        pod->n_volumes++;
                        r = parse_volume(c, x->items[i], pi, pod->volumes + i);
                        if (r < 0)
                                return r;
                        for (size_t j = 0; j < i; j++)
                                if (streq(pod->volumes[j].name, pod->volumes[i].name)) {
                                        pn = path_field(pi, "name");
                                        if (!pn)
                                                return -ENOMEM;
                                        return fail(c, pn, "duplicate volume name \"%s\"", pod->volumes[i].name);
                                }
                }
        }

        if ((x = json_object_get(v, "user_namespace"))) {
                FIELD_PATH(p, path, "user_namespace");
                r = expect_type(c, x, p, JSON_STRING);
                if (r < 0)
                        return r;
                pod->user_namespace = json_string_is_clean(x) ? user_namespace_mode_from_string(x->str)
                                                              : _USER_NAMESPACE_INVALID;
                if (pod->user_namespace < 0)
                        return fail_quoted(c, p, "must be \"auto\" or \"host\", got %s", x->str, x->len);
        }

        if ((x = json_object_get(v, "rollout"))) {
                FIELD_PATH(p, path, "rollout");
                r = pod_rollout_parse(c, x, p, &pod->rollout);
                if (r < 0)
                        return r;
        }

        if ((x = json_object_get(v, "placement"))) {
                FIELD_PATH(p, path, "placement");
                r = pod_placement_parse(c, x, p, &pod->placement);
                if (r < 0)
                        return r;
        }
        if ((x = json_object_get(v, "reschedule"))) {
                FIELD_PATH(p, path, "reschedule");
                r = get_bool(c, x, p, &pod->reschedule);
                if (r < 0)
                        return r;
        }

        x = json_object_get(v, "containers");
        {
                FIELD_PATH(p, path, "containers");
                r = expect_type(c, x, p, JSON_ARRAY);
                if (r < 0)
                        return r;
                if (x->n_items == 0)
                        return fail(c, p, "must not be empty");
                if (x->n_items > POD_CONTAINERS_MAX)
                        return fail(c, p, "too many containers (at most %u)", POD_CONTAINERS_MAX);
                pod->containers = calloc(x->n_items, sizeof(PodContainer));
                if (!pod->containers)
                        return -ENOMEM;
                for (size_t i = 0; i < x->n_items; i++) {
                        _cleanup_free_ char *pi = path_index(p, i), *pn = NULL;
                        if (!pi)
                                return -ENOMEM;
                        pod->n_containers++;
                        r = container_fields_parse(c, container_fields, container_fields_count, x->items[i], pi, pod,
                                                   pod->containers + i);
                        if (r < 0)
                                return r;
                        for (size_t j = 0; j < i; j++)
                                if (streq(pod->containers[j].name, pod->containers[i].name)) {
                                        pn = path_field(pi, "name");
                                        if (!pn)
                                                return -ENOMEM;
                                        return fail(c, pn, "duplicate container name \"%s\"", pod->containers[i].name);
                                }
                }
        }

        r = pod_placement_check(c, pod);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(pod);
        return 0;
}

static int parse_document(const char *json, size_t len, JsonValue **ret, Ctx *c) {
        _cleanup_free_ char *reason = NULL;
        int r;

        if (!json && len > 0)
                return -EINVAL;
        r = json_parse(json ?: "", len, POD_JSON_MAX, POD_JSON_DEPTH_MAX, ret, &reason);
        if (r == -EINVAL)
                return fail(c, "$", "%s", reason);
        return r;
}

static int finish(Ctx *c, int r, char **ret_error) {
        if (r == -EINVAL && ret_error)
                *ret_error = TAKE_PTR(c->error);
        free(c->error);
        return r;
}

int pod_parse(const char *json, size_t len, Pod **ret, char **ret_error) {
        _cleanup_(json_value_freep) JsonValue *root = NULL;
        Ctx c = {};
        int r;

        r = parse_document(json, len, &root, &c);
        if (r >= 0 && root->type != JSON_OBJECT)
                r = fail(&c, "$", "expected an object, got %s", json_type_to_article(root->type));
        if (r >= 0)
                r = parse_pod_object(&c, root, "$", ret);
        return finish(&c, r, ret_error);
}

int pod_container_parse(const char *json, size_t len, const char *path, PodContainer **ret, char **ret_error) {
        _cleanup_(json_value_freep) JsonValue *root = NULL;
        _cleanup_(pod_container_freep) PodContainer *ct = NULL;
        Ctx c = {};
        int r;

        r = parse_document(json, len, &root, &c);
        if (r >= 0 && root->type != JSON_OBJECT)
                r = fail(&c, path, "expected an object, got %s", json_type_to_article(root->type));
        if (r >= 0 && !(ct = calloc(1, sizeof(PodContainer))))
                r = -ENOMEM;
        if (r >= 0)
                r = container_fields_parse(&c, container_fields, container_fields_count, root, path, NULL, ct);
        if (r >= 0)
                *ret = TAKE_PTR(ct);
        return finish(&c, r, ret_error);
}

int pod_parse_many(const char *json, size_t len, Pod ***ret, size_t *ret_n, char **ret_error) {
        _cleanup_(json_value_freep) JsonValue *root = NULL;
        Pod **pods = NULL;
        size_t n = 0;
        Ctx c = {};
        int r;

        r = parse_document(json, len, &root, &c);
        if (r < 0)
                return finish(&c, r, ret_error);

        if (root->type == JSON_OBJECT) {
                pods = calloc(1, sizeof(Pod *));
                if (!pods)
                        return finish(&c, -ENOMEM, ret_error);
                r = parse_pod_object(&c, root, "$", pods);
                n = r >= 0;
        } else if (root->type == JSON_ARRAY) {
                if (root->n_items == 0)
                        r = fail(&c, "$", "no pods in the array");
                else if (root->n_items > POD_MANY_MAX)
                        r = fail(&c, "$", "too many pods (at most %u)", POD_MANY_MAX);
                else {
                        pods = calloc(root->n_items, sizeof(Pod *));
                        if (!pods)
                                return finish(&c, -ENOMEM, ret_error);
                }
                for (size_t i = 0; r >= 0 && i < root->n_items; i++) {
                        _cleanup_free_ char *p = path_index("$", i), *pn = NULL;
                        if (!p) {
                                r = -ENOMEM;
                                break;
                        }
                        if (root->items[i]->type != JSON_OBJECT) {
                                r = fail(&c, p, "expected an object, got %s", json_type_to_article(root->items[i]->type));
                                break;
                        }
                        r = parse_pod_object(&c, root->items[i], p, pods + n);
                        if (r < 0)
                                break;
                        n++;
                        for (size_t j = 0; j + 1 < n; j++)
                                if (streq(pods[j]->name, pods[n - 1]->name)) {
                                        pn = path_field(p, "name");
                                        r = pn ? fail(&c, pn, "duplicate pod name \"%s\"", pods[n - 1]->name) : -ENOMEM;
                                        break;
                                }
                }
        } else
                r = fail(&c, "$", "expected an object or an array, got %s", json_type_to_article(root->type));

        if (r < 0) {
                pod_array_free(pods, n);
                return finish(&c, r, ret_error);
        }
        *ret = pods;
        *ret_n = n;
        return finish(&c, 0, ret_error);
}
