/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The part of an OCI image config that running a container needs, and the OCI
 * rules (DESIGN.md) that combine it with a container spec:
 *   argv: command ++ args              when command is given (image Cmd dropped)
 *         Entrypoint ++ args           when args is given
 *         Entrypoint ++ Cmd            otherwise
 *   env:  image Env, with the spec's env merged over it (spec wins per key)
 *   cwd:  working_dir, else image WorkingDir, else "/"
 * An empty resulting argv is an error (-ENOEXEC): nothing to run. */

#include "macro.h"
#include "pod.h"

typedef struct ImageConfig {
        char **entrypoint;   /* NULL: absent */
        char **cmd;          /* NULL: absent */
        char **env;          /* KEY=VALUE */
        char *working_dir;
        char *user;          /* "uid", "uid:gid", "name", "name:group" or NULL */
        char *stop_signal;   /* e.g. "SIGTERM" or NULL */
} ImageConfig;

ImageConfig *image_config_free(ImageConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImageConfig *, image_config_free);

/* Parse the "config" object of an OCI/Docker image config blob (the whole blob is
 * passed). Unknown fields are ignored (this is registry input, not a spec), wrong
 * types refused with -EBADMSG. */
int image_config_parse(const char *json, size_t len, ImageConfig **ret);
int image_config_serialize(const ImageConfig *c, char **ret_json);

int oci_resolve(const ImageConfig *image, const PodContainer *c,
                char ***ret_argv, char ***ret_env, char **ret_cwd);
