/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the pod spec parser: any input is either refused with a
 * message or yields a pod whose canonical form is a fixed point
 * (serialize -> parse -> serialize gives the same bytes, pretty or compact).
 * Image references and image configs get the same treatment on the side. */

#include <stdint.h>

#include "spec/oci.h"
#include "spec/pod.h"
#include "spec/reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_pod(const Pod *pod) {
        _cleanup_free_ char *s1 = NULL, *s2 = NULL, *pretty = NULL, *s3 = NULL, *err = NULL;
        _cleanup_pod_free_ Pod *again = NULL, *again_pretty = NULL;
        char h[SPEC_HASH_LEN + 1];

        if (pod_serialize(pod, &s1) < 0)
                abort();
        if (pod_parse(s1, strlen(s1), &again, &err) < 0) {
                fprintf(stderr, "canonical form refused: %s\n%s\n", err, s1);
                abort();
        }
        if (pod_serialize(again, &s2) < 0 || !streq(s1, s2)) {
                fprintf(stderr, "not a fixed point:\n%s\n%s\n", s1, s2);
                abort();
        }
        if (pod_serialize_pretty(pod, &pretty) < 0 ||
            pod_parse(pretty, strlen(pretty), &again_pretty, NULL) < 0 ||
            pod_serialize(again_pretty, &s3) < 0 || !streq(s1, s3)) {
                fprintf(stderr, "pretty form differs:\n%s\n", strempty(pretty));
                abort();
        }
        if (pod_hash(pod, h) < 0 || pod_level_hash(pod, h) < 0)
                abort();
        FOREACH_ARRAY(c, pod->containers, pod->n_containers)
                if (container_hash(c, h) < 0)
                        abort();
}

static void check_reference(const uint8_t *data, size_t size) {
        _cleanup_(image_reference_freep) ImageReference *r = NULL, *r2 = NULL;
        _cleanup_free_ char *s = NULL, *t = NULL, *t2 = NULL;

        if (size > 1024 || memchr(data, 0, size))
                return;
        s = strndup((const char *) data, size);
        if (!s)
                return;
        if (image_reference_parse(s, &r, NULL) < 0)
                return;
        /* Normalization is idempotent. */
        if (image_reference_to_string(r, &t) < 0 || image_reference_parse(t, &r2, NULL) < 0 ||
            image_reference_to_string(r2, &t2) < 0 || !streq(t, t2)) {
                fprintf(stderr, "reference not stable: %s -> %s -> %s\n", s, strempty(t), strempty(t2));
                abort();
        }
}

static void check_image_config(const uint8_t *data, size_t size) {
        _cleanup_(image_config_freep) ImageConfig *c = NULL, *c2 = NULL;
        _cleanup_free_ char *s = NULL, *s2 = NULL;

        if (image_config_parse((const char *) data, size, &c) < 0)
                return;
        if (image_config_serialize(c, &s) < 0 || image_config_parse(s, strlen(s), &c2) < 0 ||
            image_config_serialize(c2, &s2) < 0 || !streq(s, s2)) {
                fprintf(stderr, "image config not stable:\n%s\n%s\n", strempty(s), strempty(s2));
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_pod_free_ Pod *pod = NULL;
        _cleanup_free_ char *err = NULL, *err_many = NULL;
        Pod **pods = NULL;
        size_t n = 0;
        int r;

        r = pod_parse((const char *) data, size, &pod, &err);
        if (r == -EINVAL && (!err || !*err))
                abort();   /* every refusal says why */
        if (r >= 0)
                check_pod(pod);

        r = pod_parse_many((const char *) data, size, &pods, &n, &err_many);
        if (r == -EINVAL && (!err_many || !*err_many))
                abort();
        if (r >= 0) {
                for (size_t i = 0; i < n; i++)
                        check_pod(pods[i]);
                pod_array_free(pods, n);
        }

        check_reference(data, size);
        check_image_config(data, size);
        return 0;
}
