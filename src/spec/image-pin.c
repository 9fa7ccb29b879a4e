/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "image-pin.h"
#include "reference.h"

int image_pin_split(const char *image, char **ret_tagged, char **ret_digest) {
        _cleanup_(image_reference_freep) ImageReference *ref = NULL;
        _cleanup_free_ char *tagged = NULL, *digest = NULL;
        int r;

        if (!image)
                return -EINVAL;
        r = image_reference_parse(image, &ref, NULL);
        if (r < 0)
                return r;
        if (!ref->tag)
                return -EINVAL;
        digest = TAKE_PTR(ref->digest);
        r = image_reference_to_string(ref, &tagged);
        if (r < 0)
                return r;
        *ret_tagged = TAKE_PTR(tagged);
        if (ret_digest)
                *ret_digest = TAKE_PTR(digest);
        return 0;
}

int image_pin_set(const char *image, const char *digest, char **ret) {
        _cleanup_free_ char *tagged = NULL;
        char *s;
        int r;

        if (!digest_is_valid(digest))
                return -EINVAL;
        r = image_pin_split(image, &tagged, NULL);
        if (r < 0)
                return r;
        if (asprintf(&s, "%s@%s", tagged, digest) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

ImageUpdateVerdict image_update_decide(const char *current, const char *available, const char *failed) {
        if (!current || !available || streq(current, available))
                return IMAGE_UPDATE_NONE;
        if (failed && streq(failed, available))
                return IMAGE_UPDATE_SKIPPED;
        return IMAGE_UPDATE_AVAILABLE;
}

static const PodContainer *find_container(const Pod *p, const char *name) {
        FOREACH_ARRAY(c, p->containers, p->n_containers)
                if (streq(c->name, name))
                        return c;
        return NULL;
}

int pod_carry_image_pins(Pod *new, const Pod *old) {
        int n = 0, r;

        if (!new || !old)
                return 0;
        FOREACH_ARRAY(c, new->containers, new->n_containers) {
                _cleanup_free_ char *tagged = NULL, *digest = NULL, *old_tagged = NULL, *old_digest = NULL;
                const PodContainer *o;
                char *pinned;

                if (c->image_update != IMAGE_UPDATE_REGISTRY)
                        continue;
                o = find_container(old, c->name);
                if (!o || !o->image)
                        continue;
                r = image_pin_split(c->image, &tagged, &digest);
                if (r == -ENOMEM)
                        return r;
                if (r < 0 || digest)
                        continue;       /* an explicit digest is what the user asked for */
                r = image_pin_split(o->image, &old_tagged, &old_digest);
                if (r == -ENOMEM)
                        return r;
                if (r < 0 || !old_digest || !streq(tagged, old_tagged))
                        continue;
                pinned = strdup(o->image);
                if (!pinned)
                        return -ENOMEM;
                free(c->image);
                c->image = pinned;
                n++;
        }
        return n;
}
