/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/utsname.h>

#include "platform.h"

void platform_done(Platform *p) {
        if (!p)
                return;
        free(p->os);
        free(p->architecture);
        free(p->variant);
        *p = (Platform) {};
}

static const struct {
        const char *machine;
        const char *arch;
        const char *variant;
} machine_table[] = {
        { "x86_64",   "amd64",    NULL },
        { "amd64",    "amd64",    NULL },
        { "aarch64",  "arm64",    "v8" },
        { "arm64",    "arm64",    "v8" },
        { "armv8l",   "arm",      "v8" },
        { "armv7l",   "arm",      "v7" },
        { "armv7",    "arm",      "v7" },
        { "armv6l",   "arm",      "v6" },
        { "armv5tel", "arm",      "v5" },
        { "armv5tejl","arm",      "v5" },
        { "i386",     "386",      NULL },
        { "i486",     "386",      NULL },
        { "i586",     "386",      NULL },
        { "i686",     "386",      NULL },
        { "ppc64le",  "ppc64le",  NULL },
        { "ppc64",    "ppc64",    NULL },
        { "s390x",    "s390x",    NULL },
        { "riscv64",  "riscv64",  NULL },
        { "mips64",   "mips64le", NULL },   /* Debian's mips64el reports mips64 */
        { "mips",     "mipsle",   NULL },
        { "loongarch64", "loong64", NULL },
};

int platform_from_machine(const char *machine, const char **ret_arch, const char **ret_variant) {
        if (!machine)
                return -EINVAL;

        FOREACH_ARRAY(m, machine_table, ELEMENTSOF(machine_table))
                if (streq(m->machine, machine)) {
                        if (ret_arch)
                                *ret_arch = m->arch;
                        if (ret_variant)
                                *ret_variant = m->variant;
                        return 0;
                }

        return -EOPNOTSUPP;
}

int platform_host(Platform *ret) {
        struct utsname u;
        const char *arch, *variant;
        int r;

        if (uname(&u) < 0)
                return -errno;

        r = platform_from_machine(u.machine, &arch, &variant);
        if (r < 0)
                return r;

        Platform p = {
                .os = strdup("linux"),
                .architecture = strdup(arch),
                .variant = variant ? strdup(variant) : NULL,
        };
        if (!p.os || !p.architecture || (variant && !p.variant)) {
                platform_done(&p);
                return -ENOMEM;
        }

        *ret = p;
        return 0;
}

/* arm64 images are usually published without a variant (v8 is implied); arm
 * hosts can run older arm variants, preferring the closest one. */
int platform_match(const Platform *want, const char *os, const char *architecture, const char *variant) {
        if (!want || !want->os || !want->architecture || !os || !architecture)
                return 0;
        if (!streq(want->os, os) || !streq(want->architecture, architecture))
                return 0;

        if (isempty(want->variant) && isempty(variant))
                return 3;
        if (want->variant && variant && streq(want->variant, variant))
                return 3;

        if (streq(architecture, "arm64")) {
                /* "v8" and none are the same thing for arm64. */
                if ((isempty(variant) && streq_ptr(want->variant, "v8")) ||
                    (isempty(want->variant) && streq_ptr(variant, "v8")))
                        return 3;
                return 0;
        }

        if (streq(architecture, "arm") && want->variant && variant) {
                /* A v7 host runs v6 and v5 code: match lower variants, prefer higher. */
                if (variant[0] == 'v' && want->variant[0] == 'v' &&
                    variant[1] >= '5' && variant[1] <= '8' && variant[2] == 0 &&
                    want->variant[1] >= '5' && want->variant[1] <= '8' && want->variant[2] == 0 &&
                    variant[1] < want->variant[1])
                        return 2 - (want->variant[1] - variant[1] > 1);
                return 0;
        }

        /* An entry without a variant is acceptable (but less good) for a host
         * that has one. */
        if (isempty(variant))
                return 1;

        return 0;
}

char *platform_to_string(const char *os, const char *architecture, const char *variant) {
        char *s;

        if (asprintf(&s, "%s/%s%s%s", strempty(os), strempty(architecture),
                     isempty(variant) ? "" : "/", strempty(variant)) < 0)
                return NULL;
        return s;
}
