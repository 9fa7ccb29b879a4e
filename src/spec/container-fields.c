/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "container-fields.h"
#include "reference.h"
#include "strv.h"

static void limits_init(PodContainer *ct) {
        ct->limits = (PodLimits) { .memory = LIMIT_UNSET, .pids = LIMIT_UNSET };
}

static void image_done(PodContainer *ct) {
        free(ct->image);
        free(ct->rootfs);
}

static void mounts_done(PodContainer *ct) {
        FOREACH_ARRAY(m, ct->mounts, ct->n_mounts) {
                free(m->volume);
                free(m->path);
        }
        free(ct->mounts);
}

static void probe_done(PodProbe *p) {
        strv_free(p->exec);
        free(p->path);
        free(p->host);
        strv_free(p->headers);
}

static void probes_done(PodContainer *ct) {
        probe_done(&ct->probes.startup);
        probe_done(&ct->probes.liveness);
        probe_done(&ct->probes.readiness);
}

static bool probes_set(const PodContainer *ct) {
        return pod_probes_are_set(&ct->probes);
}

/* The keep-alives come through the notify socket: without it every deadline is missed. */
static int watchdog_check(Ctx *c, const char *path, const PodContainer *ct) {
        if (ct->watchdog_sec > 0 && !ct->notify)
                return fail(c, path, "requires \"notify\": true");
        return 0;
}

static const char *const image_update_modes[_IMAGE_UPDATE_MAX] = {
        [IMAGE_UPDATE_OFF] = "off",
        [IMAGE_UPDATE_REGISTRY] = "registry",
};

const char *image_update_mode_to_string(ImageUpdateMode m) {
        return m >= 0 && m < _IMAGE_UPDATE_MAX ? image_update_modes[m] : NULL;
}

ImageUpdateMode image_update_mode_from_string(const char *s) {
        for (ImageUpdateMode m = 0; s && m < _IMAGE_UPDATE_MAX; m++)
                if (streq(s, image_update_modes[m]))
                        return m;
        return _IMAGE_UPDATE_INVALID;
}

static int image_update_parse(Ctx *c, const JsonValue *v, const char *path, const Pod *pod, PodContainer *ct) {
        ImageUpdateMode m;
        const char *s;
        int r;

        r = get_string(c, v, path, &s);
        if (r < 0)
                return r;
        m = image_update_mode_from_string(s);
        if (m < 0)
                return fail_quoted(c, path, "expected \"off\" or \"registry\", got %s", s, strlen(s));
        ct->image_update = m;
        return 0;
}

static int image_update_gen(JsonGen *g, const PodContainer *ct) {
        return json_gen_string(g, image_update_mode_to_string(ct->image_update)) < 0 ? -ENOMEM : 0;
}

static bool image_update_set(const PodContainer *ct) {
        return ct->image_update != IMAGE_UPDATE_OFF;
}

/* A digest alone names one image for ever: there is no tag to follow. */
static int image_update_check(Ctx *c, const char *path, const PodContainer *ct) {
        _cleanup_(image_reference_freep) ImageReference *ref = NULL;
        int r;

        if (ct->image_update == IMAGE_UPDATE_OFF)
                return 0;
        if (!ct->image)
                return fail(c, path, "\"registry\" requires an image reference, not a rootfs");
        r = image_reference_parse(ct->image, &ref, NULL);
        if (r < 0)
                return r;
        if (!ref->tag)
                return fail(c, path, "\"registry\" requires an image reference with a tag, not a digest only");
        return 0;
}

#define AT(member) offsetof(PodContainer, member)

/* In canonical order. Fields that came after the first release (probes, notify,
 * watchdog_sec) are written only when set, so that existing hashes hold. */
const ContainerField container_fields[] = {
        { "name",         CF_NAME,   AT(name),        .required = true, .write_default = true, .kube = "name" },
        { "image",        CF_CUSTOM, AT(image),       .required = true, .kube = "image",
          .parse = container_parse_image, .serialize = container_gen_image, .done = image_done },
        { "command",      CF_STRV,   AT(command),     .kube = "command" },
        { "args",         CF_STRV,   AT(args),        .kube = "args" },
        { "env",          CF_ENV,    AT(env),         .write_default = true, .kube = "env" },
        { "working_dir",  CF_PATH,   AT(working_dir), .kube = "workingDir" },
        { "mounts",       CF_CUSTOM, AT(mounts),      .kube = "volumeMounts",
          .parse = container_parse_mounts, .serialize = container_gen_mounts, .done = mounts_done },
        /* memory and Kubernetes-shaped cpu in resources.limits, pids and any other cpu in the annotation */
        { "limits",       CF_CUSTOM, AT(limits),      .kube = "resources",
          .init = limits_init, .parse = container_parse_limits, .serialize = container_gen_limits,
          .annotate = container_limits_annotate },
        { "tty",          CF_BOOL,   AT(tty),         .write_default = true, .kube = "tty" },
        { "probes",       CF_CUSTOM, AT(probes),      .kube = "startupProbe, livenessProbe, readinessProbe",
          .parse = container_parse_probes, .serialize = container_gen_probes, .is_set = probes_set,
          .done = probes_done },
        { "notify",       CF_BOOL,   AT(notify) },
        { "watchdog_sec", CF_UINT,   AT(watchdog_sec), .max = PROBE_SECONDS_MAX, .check = watchdog_check },
        { "image_update", CF_CUSTOM, AT(image_update), .check = image_update_check,
          .parse = image_update_parse, .serialize = image_update_gen, .is_set = image_update_set },
};
const size_t container_fields_count = ELEMENTSOF(container_fields);
_Static_assert(ELEMENTSOF(container_fields) <= CONTAINER_FIELDS_MAX, "too many container fields");

int container_field_index(const char *name) {
        for (size_t i = 0; i < container_fields_count; i++)
                if (streq(container_fields[i].name, name))
                        return (int) i;
        return -ENOENT;
}

#define MEMBER(type, ct, f) ((type *) ((uint8_t *) (ct) + (f)->offset))

bool container_field_is_default(const ContainerField *f, const PodContainer *ct) {
        switch (f->kind) {
        case CF_NAME:
                return false;
        case CF_STRING:
        case CF_PATH:
                return !*MEMBER(char * const, ct, f);
        case CF_STRV:
        case CF_ENV:
                return !*MEMBER(char ** const, ct, f);
        case CF_BOOL:
                return *MEMBER(const bool, ct, f) == (bool) f->def;
        case CF_UINT:
                return *MEMBER(const unsigned, ct, f) == f->def;
        case CF_CUSTOM:
                return f->is_set && !f->is_set(ct);
        }
        return false;
}

void container_fields_done(const ContainerField *fields, size_t n, PodContainer *ct) {
        for (const ContainerField *f = fields; f < fields + n; f++)
                switch (f->kind) {
                case CF_NAME:
                case CF_STRING:
                case CF_PATH:
                        free(*MEMBER(char *, ct, f));
                        break;
                case CF_STRV:
                case CF_ENV:
                        strv_free(*MEMBER(char **, ct, f));
                        break;
                case CF_CUSTOM:
                        if (f->done)
                                f->done(ct);
                        break;
                case CF_BOOL:
                case CF_UINT:
                        break;
                }
}
