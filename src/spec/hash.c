/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <openssl/evp.h>

#include "pod.h"
#include "spec-util.h"

/* Hashes are over canonical JSON, so key order, whitespace, memory written as
 * "1G" or as bytes, and any other spelling of the same spec hash alike. */

static int sha256_hex(const char *data, char ret[static SPEC_HASH_LEN + 1]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;

        if (EVP_Digest(data, strlen(data), md, &n, EVP_sha256(), NULL) != 1 || n * 2 != SPEC_HASH_LEN)
                return -EIO;
        for (unsigned i = 0; i < n; i++)
                sprintf(ret + i * 2, "%02x", md[i]);
        ret[SPEC_HASH_LEN] = 0;
        return 0;
}

int pod_hash(const Pod *p, char ret[static SPEC_HASH_LEN + 1]) {
        _cleanup_free_ char *json = NULL;
        int r = pod_serialize(p, &json);
        if (r < 0)
                return r;
        return sha256_hex(json, ret);
}

int pod_level_hash(const Pod *p, char ret[static SPEC_HASH_LEN + 1]) {
        _cleanup_free_ char *json = NULL;
        int r = pod_level_serialize(p, &json);
        if (r < 0)
                return r;
        return sha256_hex(json, ret);
}

/* "image_update" says how tankd follows the tag, not what runs: turning it on
 * or off restarts nothing (an update it makes changes "image", which does). */
int container_hash(const PodContainer *c, char ret[static SPEC_HASH_LEN + 1]) {
        _cleanup_free_ char *json = NULL;
        PodContainer what_runs = *c;
        int r;

        what_runs.image_update = IMAGE_UPDATE_OFF;
        r = pod_container_serialize(&what_runs, &json);
        if (r < 0)
                return r;
        return sha256_hex(json, ret);
}
