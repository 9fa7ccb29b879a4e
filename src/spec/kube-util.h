/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The pieces of the Kubernetes front end (kube.c) shared by its files,
 * internal to src/spec/: a translation context that records the first
 * refusal ("document N: PATH: REASON (line L, column C)") or, with
 * --ignore-unsupported, the warnings; typed getters over the YAML tree; and
 * the JsonGen of the Tank JSON being written. */


#include "container-fields.h"
#include "json.h"
#include "kube.h"
#include "yaml-tree.h"

#define ANNOTATION_PREFIX "tank.io/"
#define ANNOTATION_CONTAINER "tank.io/container."
#define FRAGMENT_DEPTH_MAX 8

/* Where a path of the Tank spec being written came from, so that a refusal
 * by pod_parse() is named in the YAML's terms and place. */
typedef struct KPath {
        char *json;             /* as pod_parse() names it: "containers[0].limits.memory" */
        char *yaml;             /* "spec.containers[0].resources.limits.memory" */
        const YamlNode *node;
        size_t root;            /* a fragment: json's first root bytes are its root; else SIZE_MAX */
} KPath;

typedef struct K {
        unsigned document;
        bool ignore;
        char **warnings;
        char *error;
        JsonGen *g;
        KPath *paths;
        size_t n_paths;
} K;

typedef struct Field {
        const char *name;
        const YamlNode **slot;
} Field;

typedef struct KubeVolume {
        const char *name;           /* Kubernetes name, used by volumeMounts */
        const char *tank_name;      /* the Tank volume: the claim's name for a PVC */
        bool dropped;               /* ignored with --ignore-unsupported */
} KubeVolume;

typedef struct ContainerExtra {
        const char *name;
        const YamlNode *node;
        const YamlNode *value;  /* the annotation's value, its fragment */
        char *yaml;             /* the annotation's path */
        JsonValue *fields[CONTAINER_FIELDS_MAX];        /* of tank.io/container.NAME, by container_fields[] index */
        bool used;
} ContainerExtra;

typedef struct PodCtx {
        const YamlNode *annotations;
        JsonValue *network;     /* tank.io/network */
        JsonValue *rollout;     /* tank.io/rollout */
        JsonValue *placement;   /* tank.io/placement */
        JsonValue *reschedule;  /* tank.io/reschedule */
        ContainerExtra *extras;
        size_t n_extras;
        KubeVolume *volumes;
        size_t n_volumes;
} PodCtx;

#define PATH(var, expr)                                 \
        _cleanup_free_ char *var = (expr);              \
        if (!var)                                       \
                return -ENOMEM
#define G(expr)                                         \
        do {                                            \
                int _r = (expr);                        \
                if (_r < 0)                             \
                        return _r;                      \
        } while (0)
#define STR(s)                                  \
        do {                                    \
                int _r = k_gen_str(k, s);         \
                if (_r < 0)                     \
                        return _r;              \
        } while (0)

_printf_(4, 5)
int k_fail(K *k, const YamlNode *n, const char *path, const char *fmt, ...);
/* A known Kubernetes field Tank cannot honour: refused, or one warning line. */
int k_unsupported(K *k, const YamlNode *n, const char *path, bool yet);
char *k_field_path(const char *parent, const char *key);
char *k_index_path(const char *parent, size_t i);
const YamlNode *k_key_of(const YamlNode *map, const YamlNode *value);
bool k_in_set(const char *s, const char *const *set);
/* Supported fields land in their slots (null counts as absent), known
 * unsupported ones go through k_unsupported(), the rest is unknown. */
int k_walk(K *k, const YamlNode *map, const char *path, const Field *fields,
           const char *const *unsupported_fields, const char *const *yet_fields);
int k_gen_str(K *k, const char *s);
int k_get_str(K *k, const YamlNode *n, const char *path, const char **ret);
int k_get_bool(K *k, const YamlNode *n, const char *path, bool *ret);
int k_get_int(K *k, const YamlNode *n, const char *path, int64_t *ret);     /* decimal, int64 */
int k_gen_strings(K *k, const YamlNode *n, const char *path);
/* The string n at parent.key in the YAML. */
int k_get_str_field(K *k, const YamlNode *n, const char *parent, const char *key, const char **ret);
/* The string n (if not NULL), at parent.kube in the YAML, as the member tank. */
int k_gen_str_field(K *k, const YamlNode *n, const char *parent, const char *kube, const char *tank);
int k_gen_json(K *k, const JsonValue *v);
int k_parse_fragment(K *k, const YamlNode *n, const char *path, JsonValue **ret);
void k_pod_ctx_done(PodCtx *c);
/* The Tank spec's path json (and what lies below it) was written from node n
 * at yaml; k_record_fragment(): from a Tank JSON fragment in n whose root is
 * json_root ("" for the pod). k_refusal() turns pod_parse()'s "PATH: REASON"
 * into a refusal at the deepest recorded path that holds PATH. */
int k_record(K *k, const YamlNode *n, const char *yaml, const char *json);
int k_record_fragment(K *k, const YamlNode *n, const char *yaml, const char *json_root, const char *json);
int k_refusal(K *k, const char *path, const char *error);
void k_paths_clear(K *k);
/* One entry of spec.containers as the Tank container containers[index] (kube-container.c). */
int k_gen_container(K *k, PodCtx *pc, const YamlNode *n, const char *path, size_t index);
/* The container's "probes" from its three Kubernetes probes (kube-probe.c);
 * nothing when all are NULL. json is the container's path in the Tank spec. */
int k_gen_probes(K *k, const YamlNode *startup, const YamlNode *liveness, const YamlNode *readiness,
                 const char *path, const char *json);
