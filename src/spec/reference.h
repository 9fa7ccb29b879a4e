/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Image references, with the grammar and normalization of docker/distribution:
 *   nginx:1.27              -> docker.io/library/nginx:1.27
 *   nginx                   -> docker.io/library/nginx:latest
 *   127.0.0.1:5000/a/b@sha256:<64 hex>  (tag and digest may both be present)
 * The first path component is a registry host if it contains '.' or ':' or is
 * "localhost". Repository path components are lowercase [a-z0-9] separated by
 * '.', '_', '__' or '-'+; tags are [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; digests
 * here are sha256 with exactly 64 lowercase hex digits. */

#include "macro.h"

typedef struct ImageReference {
        char *domain;       /* "docker.io", "127.0.0.1:5000" */
        char *path;         /* "library/nginx" */
        char *tag;          /* "latest" when neither tag nor digest is given; may be NULL with a digest */
        char *digest;       /* "sha256:<hex>" or NULL */
} ImageReference;

ImageReference *image_reference_free(ImageReference *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImageReference *, image_reference_free);

/* -EINVAL with *ret_error (optional) saying what is wrong. */
int image_reference_parse(const char *s, ImageReference **ret, char **ret_error);

/* Canonical fully qualified string: domain/path[:tag][@digest]. */
int image_reference_to_string(const ImageReference *r, char **ret);

/* The tag key of a reference: "domain/path:tag", or "domain/path@digest" when a
 * digest is given (that digest may name an index; its key leads to the platform
 * manifest that was pulled for it). The image store keys its tags so, and a
 * pull is known by it (the Pull objects' Image). */
int image_reference_key(const ImageReference *ref, char **ret);

/* Is this a syntactically valid sha256 digest "sha256:<64 lowercase hex>"? */
bool digest_is_valid(const char *s);
