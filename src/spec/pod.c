/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "container-fields.h"
#include "pod.h"
#include "strv.h"

Pod *pod_free(Pod *p) {
        if (!p)
                return NULL;
        free(p->name);
        for (size_t i = 0; i < p->network.n_nics; i++) {
                free(p->network.nics[i].name);
                free(p->network.nics[i].parent);
        }
        free(p->network.nics);
        strv_free(p->network.dns);
        for (size_t i = 0; i < p->n_volumes; i++) {
                free(p->volumes[i].name);
                free(p->volumes[i].host_path);
        }
        free(p->volumes);
        for (size_t i = 0; i < p->n_containers; i++)
                container_fields_done(container_fields, container_fields_count, p->containers + i);
        free(p->containers);
        pod_placement_done(&p->placement);
        free(p);
        return NULL;
}

PodContainer *pod_container_free(PodContainer *c) {
        if (!c)
                return NULL;
        container_fields_done(container_fields, container_fields_count, c);
        free(c);
        return NULL;
}

void pod_array_free(Pod **pods, size_t n) {
        for (size_t i = 0; i < n; i++)
                pod_free(pods[i]);
        free(pods);
}

const PodContainer *pod_find_container(const Pod *p, const char *name) {
        if (!p || !name)
                return NULL;
        FOREACH_ARRAY(c, p->containers, p->n_containers)
                if (streq(c->name, name))
                        return c;
        return NULL;
}

const PodVolume *pod_find_volume(const Pod *p, const char *name) {
        if (!p || !name)
                return NULL;
        FOREACH_ARRAY(v, p->volumes, p->n_volumes)
                if (streq(v->name, name))
                        return v;
        return NULL;
}

static const char *const restart_policy_table[_RESTART_MAX] = {
        [RESTART_ALWAYS] = "always",
        [RESTART_ON_FAILURE] = "on_failure",
        [RESTART_NEVER] = "never",
};

const char *restart_policy_to_string(RestartPolicy r) {
        if (r < 0 || r >= _RESTART_MAX)
                return NULL;
        return restart_policy_table[r];
}

RestartPolicy restart_policy_from_string(const char *s) {
        if (!s)
                return _RESTART_INVALID;
        for (int i = 0; i < _RESTART_MAX; i++)
                if (streq(s, restart_policy_table[i]))
                        return i;
        return _RESTART_INVALID;
}

static const char *const user_namespace_mode_table[_USER_NAMESPACE_MAX] = {
        [USER_NAMESPACE_AUTO] = "auto",
        [USER_NAMESPACE_HOST] = "host",
};

const char *user_namespace_mode_to_string(UserNamespaceMode m) {
        if (m < 0 || m >= _USER_NAMESPACE_MAX)
                return NULL;
        return user_namespace_mode_table[m];
}

UserNamespaceMode user_namespace_mode_from_string(const char *s) {
        if (!s)
                return _USER_NAMESPACE_INVALID;
        for (int i = 0; i < _USER_NAMESPACE_MAX; i++)
                if (user_namespace_mode_table[i] && streq(s, user_namespace_mode_table[i]))
                        return i;
        return _USER_NAMESPACE_INVALID;
}

bool pod_name_is_valid(const char *s) {
        size_t n;

        if (!s)
                return false;
        n = strlen(s);
        if (n < 1 || n > POD_NAME_MAX || s[0] == '-' || s[n - 1] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
                        return false;
        return true;
}

static const char *const probe_kind_table[_PROBE_KIND_MAX] = {
        [PROBE_EXEC] = "exec",
        [PROBE_HTTP] = "http",
        [PROBE_TCP] = "tcp",
};

const char *probe_kind_to_string(ProbeKind k) {
        if (k < 0 || k >= _PROBE_KIND_MAX)
                return NULL;
        return probe_kind_table[k];
}

static const char *const probe_scheme_table[_PROBE_SCHEME_MAX] = {
        [PROBE_SCHEME_HTTP] = "http",
        [PROBE_SCHEME_HTTPS] = "https",
};

const char *probe_scheme_to_string(ProbeScheme s) {
        if (s < 0 || s >= _PROBE_SCHEME_MAX)
                return NULL;
        return probe_scheme_table[s];
}

int probe_scheme_from_string(const char *s) {
        if (!s)
                return -EINVAL;
        for (int i = 0; i < _PROBE_SCHEME_MAX; i++)
                if (streq(s, probe_scheme_table[i]))
                        return i;
        return -EINVAL;
}

bool pod_probe_is_set(const PodProbe *p) {
        return p && p->kind != PROBE_NONE;
}

bool pod_probes_are_set(const PodProbes *p) {
        return p && (pod_probe_is_set(&p->startup) || pod_probe_is_set(&p->liveness) ||
                     pod_probe_is_set(&p->readiness));
}
