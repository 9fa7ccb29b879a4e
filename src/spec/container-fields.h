/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The container object's fields, one descriptor each (internal to src/spec/).
 *
 * container_fields[] is the single list that the parser (its allowed keys,
 * its canonical checking order), the canonical writer (and so the content
 * hashes), the free function and the Kubernetes annotation tank.io/container.NAME
 * iterate. A field of a simple kind is its member in PodContainer plus one
 * line in container-fields.c; a kind that needs more (mounts, limits, probes,
 * the image) brings its own callbacks. The table order is the canonical order:
 * reordering it changes every hash. */

#include <stddef.h>

#include "json-guard.h"
#include "parse-util.h"
#include "pod.h"

/* check_fields() tracks at most 32 fields, and ContainerExtra holds one slot per field. */
#define CONTAINER_FIELDS_MAX 32

typedef enum ContainerFieldKind {
        CF_NAME,        /* char *: a DNS label */
        CF_STRING,      /* char *: any string; NULL: absent */
        CF_PATH,        /* char *: an absolute normalized path; NULL: absent */
        CF_STRV,        /* char **: an array of strings; NULL: absent (an empty array is present) */
        CF_ENV,         /* char **: an object of variables as sorted KEY=VALUE; NULL: none */
        CF_BOOL,        /* bool */
        CF_UINT,        /* unsigned in 0..max */
        CF_CUSTOM,      /* parse and serialize (and done, is_set, init when needed) below */
} ContainerFieldKind;

typedef struct ContainerField {
        const char *name;               /* the JSON name */
        ContainerFieldKind kind;
        size_t offset;                  /* of the member in PodContainer */
        bool required;
        unsigned def;                   /* CF_BOOL, CF_UINT: the default */
        unsigned max;                   /* CF_UINT */
        /* Also written when it has its default (or NULL). A field added later
         * leaves this false, so that the canonical form and the hashes of
         * containers that do not use it stay the bytes they were. */
        bool write_default;
        /* The Kubernetes field kube.c's own code maps this to; NULL: Tank-only,
         * carried in the tank.io/container.NAME annotation generically. */
        const char *kube;
        /* Special validation once the value is in ct; path is the field's. */
        int (*check)(Ctx *c, const char *path, const PodContainer *ct);

        /* CF_CUSTOM */
        void (*init)(PodContainer *ct);                 /* its default, before parsing */
        int (*parse)(Ctx *c, const JsonValue *v, const char *path, const Pod *pod, PodContainer *ct);
        int (*serialize)(JsonGen *g, const PodContainer *ct);  /* the value, not the key */
        bool (*is_set)(const PodContainer *ct);         /* NULL: always set */
        void (*done)(PodContainer *ct);
        /* A field Kubernetes carries only in part: writes the key and the
         * rest to the annotation, or nothing; returns 1 if it wrote. */
        int (*annotate)(JsonGen *g, const PodContainer *ct);
} ContainerField;

extern const ContainerField container_fields[];
extern const size_t container_fields_count;

/* The index of a field of container_fields[], or -ENOENT. */
int container_field_index(const char *name);
bool container_field_is_default(const ContainerField *f, const PodContainer *ct);
/* Whether tank.io/container.NAME may carry the field (in full or in part). */
static inline bool container_field_annotated(const ContainerField *f) {
        return !f->kube || f->annotate;
}

/* Over any table, so that tests can prove a field made of a table line alone. */
int container_fields_parse(Ctx *c, const ContainerField *fields, size_t n, const JsonValue *v, const char *path,
                           const Pod *pod, PodContainer *ct);
int container_fields_gen(JsonGen *g, const ContainerField *fields, size_t n, const PodContainer *ct, bool redact_env);
int container_field_gen(JsonGen *g, const ContainerField *f, const PodContainer *ct, bool redact_env); /* key, value */
void container_fields_done(const ContainerField *fields, size_t n, PodContainer *ct);

/* The custom kinds' callbacks, beside the code of their kind. */
int container_parse_image(Ctx *c, const JsonValue *v, const char *path, const Pod *pod, PodContainer *ct);
int container_parse_mounts(Ctx *c, const JsonValue *v, const char *path, const Pod *pod, PodContainer *ct);
int container_parse_limits(Ctx *c, const JsonValue *v, const char *path, const Pod *pod, PodContainer *ct);
int container_parse_probes(Ctx *c, const JsonValue *v, const char *path, const Pod *pod, PodContainer *ct); /* parse-probe.c */
int container_gen_image(JsonGen *g, const PodContainer *ct);
int container_gen_mounts(JsonGen *g, const PodContainer *ct);
int container_gen_limits(JsonGen *g, const PodContainer *ct);
int container_gen_probes(JsonGen *g, const PodContainer *ct);
int container_limits_annotate(JsonGen *g, const PodContainer *ct);     /* kube-limits.c */
/* A cpu limit Kubernetes can write: millicores at a 100 ms period. */
bool pod_limits_cpu_is_kube(const PodLimits *l);
