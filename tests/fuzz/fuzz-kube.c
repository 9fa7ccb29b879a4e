/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the Kubernetes YAML front end: any input is either
 * refused with a message (and no warnings leak), or yields pods that go
 * through kube_serialize() and back to the same canonical JSON. Both the
 * strict and the --ignore-unsupported paths run. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "spec/kube.h"
#include "spec/pod.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const Pod *p) {
        _cleanup_free_ char *json = NULL, *yaml = NULL, *again = NULL, *err = NULL;
        Pod **back = NULL;
        size_t n = 0;

        if (pod_serialize(p, &json) < 0)
                abort();
        if (kube_serialize(p, &yaml, &err) < 0)
                return;    /* a rootfs is not expressible; refused with a message */
        if (kube_parse_many(yaml, strlen(yaml), POD_JSON_MAX, false, &back, &n, NULL, &err) < 0 || n != 1 ||
            pod_serialize(back[0], &again) < 0 || !streq(json, again)) {
                fprintf(stderr, "round trip differs: %s\n%s\n%s\n", strempty(err), json, yaml);
                abort();
        }
        pod_array_free(back, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        for (int ignore = 0; ignore < 2; ignore++) {
                _cleanup_free_ char *err = NULL;
                char **warnings = NULL;
                Pod **pods = NULL;
                size_t n = 0;
                int r;

                r = kube_parse_many((const char *) data, size, POD_JSON_MAX, ignore, &pods, &n, &warnings, &err);
                if (r == -ENOMEM)
                        continue;
                if (r < 0) {
                        if (!err || warnings)
                                abort();
                        continue;
                }
                if (!ignore && warnings)
                        abort();     /* strict mode never drops a field */
                for (size_t i = 0; i < n; i++)
                        check_round_trip(pods[i]);
                pod_array_free(pods, n);
                strv_free(warnings);
        }
        return 0;
}
