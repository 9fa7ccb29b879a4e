/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "manifest.h"
#include "registry-json.h"
#include "spec/reference.h"
#include "strv.h"

static void descriptor_done(Descriptor *d) {
        free(d->media_type);
        free(d->digest);
        free(d->os);
        free(d->architecture);
        free(d->variant);
        *d = (Descriptor) {};
}

Manifest *manifest_free(Manifest *m) {
        if (!m)
                return NULL;
        free(m->media_type);
        descriptor_done(&m->config);
        FOREACH_ARRAY(d, m->entries, m->n_entries)
                descriptor_done(d);
        free(m->entries);
        free(m);
        return NULL;
}

_printf_(2, 3)
static int fail(char **ret_error, const char *fmt, ...) {
        va_list ap;

        if (ret_error) {
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return -EBADMSG;
}

static bool media_type_is_index(const char *mt) {
        return streq_ptr(mt, MEDIA_TYPE_OCI_INDEX) || streq_ptr(mt, MEDIA_TYPE_DOCKER_LIST);
}

static bool media_type_is_image(const char *mt) {
        return streq_ptr(mt, MEDIA_TYPE_OCI_MANIFEST) || streq_ptr(mt, MEDIA_TYPE_DOCKER_MANIFEST);
}

bool media_type_is_layer(const char *mt) {
        static const char * const layers[] = {
                "application/vnd.oci.image.layer.v1.tar",
                "application/vnd.oci.image.layer.v1.tar+gzip",
                "application/vnd.oci.image.layer.v1.tar+zstd",
                "application/vnd.oci.image.layer.nondistributable.v1.tar",
                "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
                "application/vnd.docker.image.rootfs.diff.tar",
                "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "application/vnd.docker.image.rootfs.diff.tar.zstd",
                "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        };
        if (!mt)
                return false;
        FOREACH_ARRAY(l, layers, ELEMENTSOF(layers))
                if (streq(*l, mt))
                        return true;
        return false;
}

static int dup_string(yajl_val obj, const char *key, bool required, char **ret,
                      const char *what, char **ret_error) {
        yajl_val v = json_guard_get(obj, key);
        const char *s;

        if (!v || YAJL_IS_NULL(v)) {
                if (required)
                        return fail(ret_error, "%s: missing \"%s\"", what, key);
                *ret = NULL;
                return 0;
        }
        s = json_guard_string(v);
        if (!s)
                return fail(ret_error, "%s: \"%s\" is not a string", what, key);
        if (strlen(s) > 1024)
                return fail(ret_error, "%s: \"%s\" is too long", what, key);
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int parse_descriptor(yajl_val v, bool with_platform, Descriptor *ret,
                            const char *what, char **ret_error) {
        Descriptor d = {};
        yajl_val size;
        int r;

        if (!v || !YAJL_IS_OBJECT(v))
                return fail(ret_error, "%s is not an object", what);

        r = dup_string(v, "mediaType", true, &d.media_type, what, ret_error);
        if (r < 0)
                goto fail;
        r = dup_string(v, "digest", true, &d.digest, what, ret_error);
        if (r < 0)
                goto fail;
        if (!digest_is_valid(d.digest)) {
                /* Never echo an unvalidated digest unbounded. */
                r = fail(ret_error, "%s: invalid or unsupported digest \"%.80s\"", what, d.digest);
                goto fail;
        }
        size = json_guard_get(v, "size");
        if (!size || !YAJL_IS_INTEGER(size) || YAJL_GET_INTEGER(size) < 0) {
                r = fail(ret_error, "%s: missing or invalid \"size\"", what);
                goto fail;
        }
        d.size = YAJL_GET_INTEGER(size);

        if (with_platform) {
                yajl_val p = json_guard_get(v, "platform");

                if (p) {
                        if (!YAJL_IS_OBJECT(p)) {
                                r = fail(ret_error, "%s: \"platform\" is not an object", what);
                                goto fail;
                        }
                        if ((r = dup_string(p, "os", false, &d.os, what, ret_error)) < 0 ||
                            (r = dup_string(p, "architecture", false, &d.architecture, what, ret_error)) < 0 ||
                            (r = dup_string(p, "variant", false, &d.variant, what, ret_error)) < 0)
                                goto fail;
                }
        }

        *ret = d;
        return 0;
fail:
        descriptor_done(&d);
        return r;
}

int manifest_parse(const char *json, size_t len, const char *content_type,
                   Manifest **ret, char **ret_error) {
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_yajl_ yajl_val root = NULL;
        yajl_val v, list;
        const char *mt;
        int r;

        if (len > MANIFEST_MAX_SIZE)
                return fail(ret_error, "manifest larger than %u bytes", MANIFEST_MAX_SIZE);

        r = registry_json_parse(json, len, &root, ret_error);
        if (r < 0)
                return r;
        if (!YAJL_IS_OBJECT(root))
                return fail(ret_error, "manifest is not a JSON object");

        v = json_guard_get(root, "schemaVersion");
        if (!v || !YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) != 2)
                return fail(ret_error, "unsupported manifest schemaVersion (need 2)");

        v = json_guard_get(root, "mediaType");
        if (v && !YAJL_IS_STRING(v))
                return fail(ret_error, "manifest \"mediaType\" is not a string");
        mt = json_guard_string(v);
        if (mt && content_type && !streq(mt, content_type) &&
            (media_type_is_index(content_type) || media_type_is_image(content_type)))
                return fail(ret_error, "manifest mediaType %.100s contradicts Content-Type %.100s", mt, content_type);
        if (!mt)
                mt = content_type;
        if (!mt) {
                /* OCI allows omitting mediaType: tell by the shape. */
                mt = json_guard_get(root, "manifests") ? MEDIA_TYPE_OCI_INDEX : MEDIA_TYPE_OCI_MANIFEST;
        }

        m = calloc(1, sizeof *m);
        if (!m)
                return -ENOMEM;

        if (media_type_is_index(mt)) {
                m->kind = MANIFEST_INDEX;
                list = json_guard_get(root, "manifests");
                if (!list || !YAJL_IS_ARRAY(list))
                        return fail(ret_error, "index has no \"manifests\" array");
        } else if (media_type_is_image(mt)) {
                m->kind = MANIFEST_IMAGE;
                if (json_guard_get(root, "manifests"))
                        return fail(ret_error, "image manifest has a \"manifests\" member");
                r = parse_descriptor(json_guard_get(root, "config"), false, &m->config, "config", ret_error);
                if (r < 0)
                        return r;
                list = json_guard_get(root, "layers");
                if (!list || !YAJL_IS_ARRAY(list))
                        return fail(ret_error, "manifest has no \"layers\" array");
                if (list->u.array.len > MANIFEST_MAX_LAYERS)
                        return fail(ret_error, "manifest has more than %u layers", MANIFEST_MAX_LAYERS);
        } else
                return fail(ret_error, "unsupported manifest media type \"%.100s\"", mt);

        m->media_type = strdup(mt);
        if (!m->media_type)
                return -ENOMEM;

        if (list->u.array.len > 0) {
                m->entries = calloc(list->u.array.len, sizeof(Descriptor));
                if (!m->entries)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < list->u.array.len; i++) {
                char what[64];

                snprintf(what, sizeof what, "%s[%zu]", m->kind == MANIFEST_INDEX ? "manifests" : "layers", i);
                r = parse_descriptor(list->u.array.values[i], m->kind == MANIFEST_INDEX,
                                     &m->entries[i], what, ret_error);
                if (r < 0)
                        return r;
                m->n_entries++;

                if (m->kind == MANIFEST_IMAGE && !media_type_is_layer(m->entries[i].media_type))
                        return fail(ret_error, "%s: unsupported layer media type \"%.100s\"",
                                    what, m->entries[i].media_type);
        }

        *ret = TAKE_PTR(m);
        return 0;
}

void image_config_info_done(ImageConfigInfo *i) {
        if (!i)
                return;
        strv_free(i->diff_ids);
        free(i->os);
        free(i->architecture);
        free(i->variant);
        *i = (ImageConfigInfo) {};
}

int image_config_info_parse(const char *json, size_t len, ImageConfigInfo *ret, char **ret_error) {
        _cleanup_(image_config_info_done) ImageConfigInfo info = {};
        _cleanup_yajl_ yajl_val root = NULL;
        yajl_val rootfs, ids;
        int r;

        if (len > CONFIG_MAX_SIZE)
                return fail(ret_error, "image config larger than %u bytes", CONFIG_MAX_SIZE);
        r = registry_json_parse(json, len, &root, ret_error);
        if (r < 0)
                return r;
        if (!YAJL_IS_OBJECT(root))
                return fail(ret_error, "image config is not a JSON object");

        if ((r = dup_string(root, "os", false, &info.os, "image config", ret_error)) < 0 ||
            (r = dup_string(root, "architecture", false, &info.architecture, "image config", ret_error)) < 0 ||
            (r = dup_string(root, "variant", false, &info.variant, "image config", ret_error)) < 0)
                return r;

        rootfs = json_guard_get(root, "rootfs");
        ids = json_guard_get(rootfs, "diff_ids");
        if (!ids || !YAJL_IS_ARRAY(ids))
                return fail(ret_error, "image config has no rootfs.diff_ids array");
        if (ids->u.array.len > MANIFEST_MAX_LAYERS)
                return fail(ret_error, "image config has too many diff_ids");

        info.diff_ids = calloc(1, sizeof(char *));
        if (!info.diff_ids)
                return -ENOMEM;
        for (size_t i = 0; i < ids->u.array.len; i++) {
                const char *s = json_guard_string(ids->u.array.values[i]);

                if (!s || !digest_is_valid(s))
                        return fail(ret_error, "image config: rootfs.diff_ids[%zu] is not a valid sha256 digest", i);
                r = strv_extend(&info.diff_ids, s);
                if (r < 0)
                        return r;
        }

        *ret = info;
        info = (ImageConfigInfo) {};
        return 0;
}
