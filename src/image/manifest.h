/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Manifests as served by a registry: OCI image index / Docker manifest list,
 * and OCI image manifest / Docker schema2 manifest. Registry input is hostile:
 * every digest validated, sizes checked, counts bounded. */

#include <stdint.h>

#include "macro.h"

#define MEDIA_TYPE_OCI_INDEX      "application/vnd.oci.image.index.v1+json"
#define MEDIA_TYPE_OCI_MANIFEST   "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_TYPE_OCI_CONFIG     "application/vnd.oci.image.config.v1+json"
#define MEDIA_TYPE_DOCKER_LIST    "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_TYPE_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MEDIA_TYPE_DOCKER_CONFIG  "application/vnd.docker.container.image.v1+json"

/* Accept header for a manifest GET. */
#define MANIFEST_ACCEPT \
        MEDIA_TYPE_OCI_INDEX ", " MEDIA_TYPE_OCI_MANIFEST ", " \
        MEDIA_TYPE_DOCKER_LIST ", " MEDIA_TYPE_DOCKER_MANIFEST

#define MANIFEST_MAX_SIZE  (4U * 1024U * 1024U)   /* OCI distribution suggests 4 MiB */
#define CONFIG_MAX_SIZE    (8U * 1024U * 1024U)
#define MANIFEST_MAX_LAYERS 256U

typedef struct Descriptor {
        char *media_type;
        char *digest;
        int64_t size;
        char *os, *architecture, *variant;   /* index entries only */
} Descriptor;

typedef enum ManifestKind {
        MANIFEST_INDEX,
        MANIFEST_IMAGE,
} ManifestKind;

typedef struct Manifest {
        ManifestKind kind;
        char *media_type;
        Descriptor config;      /* MANIFEST_IMAGE */
        Descriptor *entries;    /* layers (IMAGE) or manifests (INDEX) */
        size_t n_entries;
} Manifest;

Manifest *manifest_free(Manifest *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manifest *, manifest_free);

/* content_type: the response Content-Type (may be NULL); the body's mediaType
 * field wins when present, and they must not contradict. -EBADMSG + message. */
int manifest_parse(const char *json, size_t len, const char *content_type,
                   Manifest **ret, char **ret_error);

bool media_type_is_layer(const char *mt);

/* The config blob's rootfs.diff_ids, os, architecture, variant. */
typedef struct ImageConfigInfo {
        char **diff_ids;
        char *os, *architecture, *variant;
} ImageConfigInfo;
void image_config_info_done(ImageConfigInfo *i);
int image_config_info_parse(const char *json, size_t len, ImageConfigInfo *ret, char **ret_error);
