/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>

#include "reference.h"

/* docker/distribution limits the repository name (domain included) to 255. */
#define REFERENCE_NAME_MAX 255
#define REFERENCE_TAG_MAX 128
#define DEFAULT_DOMAIN "docker.io"

ImageReference *image_reference_free(ImageReference *r) {
        if (!r)
                return NULL;
        free(r->domain);
        free(r->path);
        free(r->tag);
        free(r->digest);
        free(r);
        return NULL;
}

static bool is_lower_alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_hex_lower(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool digest_is_valid(const char *s) {
        const char *h;

        if (!s)
                return false;
        h = startswith(s, "sha256:");
        if (!h || strlen(h) != 64)
                return false;
        for (; *h; h++)
                if (!is_hex_lower(*h))
                        return false;
        return true;
}

static bool tag_is_valid(const char *s, size_t n) {
        if (n == 0 || n > REFERENCE_TAG_MAX)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                bool word = isascii(c) && (isalnum(c) || c == '_');
                if (!word && (i == 0 || (c != '.' && c != '-')))
                        return false;
        }
        return true;
}

/* path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )* */
static const char *path_component_check(const char *s, size_t n) {
        size_t i = 0;

        for (size_t k = 0; k < n; k++)
                if (s[k] >= 'A' && s[k] <= 'Z')
                        return "repository name must be lowercase";
        while (i < n) {
                size_t start = i;

                while (i < n && is_lower_alnum(s[i]))
                        i++;
                if (i == start)
                        return "invalid repository path component";
                if (i == n)
                        return NULL;
                start = i;
                if (s[i] == '.')
                        i++;
                else if (s[i] == '_')
                        i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
                else if (s[i] == '-')
                        while (i < n && s[i] == '-')
                                i++;
                else
                        return "invalid character in repository name";
                if (i == n)
                        return "invalid repository path component";
        }
        return "invalid repository path component";
}

static bool port_is_valid(const char *s, size_t n) {
        unsigned long v = 0;

        if (n == 0 || n > 5)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (s[i] - '0');
        }
        return v >= 1 && v <= 65535;
}

/* domain := ( host-label ( "." host-label )* | "[" ipv6 "]" ) [ ":" port ] */
static bool domain_is_valid(const char *s, size_t n) {
        const char *colon;
        size_t host_len;

        if (n == 0)
                return false;
        if (s[0] == '[') {
                const char *close = memchr(s, ']', n);
                char buf[INET6_ADDRSTRLEN + 1];
                struct in6_addr a;
                size_t l;

                if (!close)
                        return false;
                l = close - s - 1;
                if (l == 0 || l >= sizeof(buf))
                        return false;
                memcpy(buf, s + 1, l);
                buf[l] = 0;
                if (inet_pton(AF_INET6, buf, &a) != 1)
                        return false;
                host_len = close - s + 1;
                if (host_len == n)
                        return true;
                return s[host_len] == ':' && port_is_valid(s + host_len + 1, n - host_len - 1);
        }

        colon = memchr(s, ':', n);
        host_len = colon ? (size_t) (colon - s) : n;
        if (colon && !port_is_valid(colon + 1, n - host_len - 1))
                return false;
        for (size_t i = 0; i < host_len;) {
                size_t start = i;
                while (i < host_len && (isascii(s[i]) && (isalnum(s[i]) || s[i] == '-')))
                        i++;
                if (i == start || s[start] == '-' || s[i - 1] == '-')
                        return false;
                if (i < host_len) {
                        if (s[i] != '.' || i + 1 == host_len)
                                return false;
                        i++;
                }
        }
        return host_len > 0;
}

static bool is_hex64(const char *s, size_t n) {
        if (n != 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_hex_lower(s[i]))
                        return false;
        return true;
}

int image_reference_parse(const char *s, ImageReference **ret, char **ret_error) {
        _cleanup_(image_reference_freep) ImageReference *r = NULL;
        const char *at, *colon, *slash, *name, *path, *reason = NULL;
        size_t name_len, domain_len = 0, path_len;
        bool has_domain = false;

#define REFUSE(why) do { reason = (why); goto refuse; } while (0)

        if (isempty(s))
                REFUSE("empty reference");
        if (strlen(s) > REFERENCE_NAME_MAX + 1 + REFERENCE_TAG_MAX + 1 + 71)
                REFUSE("reference too long");

        r = calloc(1, sizeof(ImageReference));
        if (!r)
                return -ENOMEM;

        name = s;
        at = strchr(s, '@');
        if (at) {
                if (!digest_is_valid(at + 1))
                        REFUSE("invalid digest (expected sha256: and 64 lowercase hex digits)");
                r->digest = strdup(at + 1);
                if (!r->digest)
                        return -ENOMEM;
                name_len = at - s;
        } else
                name_len = strlen(s);

        /* A tag is after the last ':' that follows the last '/', so that a
         * registry port is not taken for a tag. */
        colon = memrchr(name, ':', name_len);
        slash = memrchr(name, '/', name_len);
        if (colon && (!slash || colon > slash)) {
                size_t tl = name_len - (colon - name) - 1;
                if (!tag_is_valid(colon + 1, tl))
                        REFUSE("invalid tag");
                r->tag = strndup(colon + 1, tl);
                if (!r->tag)
                        return -ENOMEM;
                name_len = colon - name;
        }

        if (name_len == 0)
                REFUSE("empty repository name");

        slash = memchr(name, '/', name_len);
        if (slash) {
                size_t l = slash - name;
                bool lower = true;

                for (size_t i = 0; i < l; i++)
                        if (name[i] >= 'A' && name[i] <= 'Z')
                                lower = false;
                has_domain = memchr(name, '.', l) || memchr(name, ':', l) ||
                        (l == 9 && strneq(name, "localhost", 9)) || !lower;
                if (has_domain) {
                        if (!domain_is_valid(name, l))
                                REFUSE("invalid registry host");
                        domain_len = l;
                }
        }
        path = has_domain ? name + domain_len + 1 : name;
        path_len = name_len - (path - name);
        if (path_len == 0)
                REFUSE("empty repository path");
        if (!has_domain && is_hex64(path, path_len))
                REFUSE("64-character hexadecimal names are reserved for image IDs");

        for (size_t i = 0; i <= path_len;) {
                const char *e = memchr(path + i, '/', path_len - i);
                size_t l = e ? (size_t) (e - (path + i)) : path_len - i;
                const char *why = path_component_check(path + i, l);
                if (why)
                        REFUSE(why);
                i += l + 1;
        }

        if (!has_domain || (domain_len == 15 && strneq(name, "index.docker.io", 15)))
                r->domain = strdup(DEFAULT_DOMAIN);
        else
                r->domain = strndup(name, domain_len);
        if (!r->domain)
                return -ENOMEM;

        if (streq(r->domain, DEFAULT_DOMAIN) && !memchr(path, '/', path_len)) {
                if (asprintf(&r->path, "library/%.*s", (int) path_len, path) < 0) {
                        r->path = NULL;
                        return -ENOMEM;
                }
        } else {
                r->path = strndup(path, path_len);
                if (!r->path)
                        return -ENOMEM;
        }

        /* The limit applies to the normalized name (as docker/distribution's
         * ParseNormalizedNamed does), so that the canonical string parses. */
        if (strlen(r->domain) + 1 + strlen(r->path) > REFERENCE_NAME_MAX)
                REFUSE("repository name longer than 255 characters");

        if (!r->tag && !r->digest) {
                r->tag = strdup("latest");
                if (!r->tag)
                        return -ENOMEM;
        }

        *ret = TAKE_PTR(r);
        return 0;

refuse:
        if (ret_error) {
                *ret_error = strdup(reason);
                if (!*ret_error)
                        return -ENOMEM;
        }
        return -EINVAL;
#undef REFUSE
}

int image_reference_to_string(const ImageReference *r, char **ret) {
        char *s;

        if (asprintf(&s, "%s/%s%s%s%s%s", r->domain, r->path,
                     r->tag ? ":" : "", strempty(r->tag),
                     r->digest ? "@" : "", strempty(r->digest)) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int image_reference_key(const ImageReference *ref, char **ret) {
        if (ref->digest)
                return asprintf(ret, "%s/%s@%s", ref->domain, ref->path, ref->digest) < 0 ? -ENOMEM : 0;
        return asprintf(ret, "%s/%s:%s", ref->domain, ref->path, ref->tag ?: "latest") < 0 ? -ENOMEM : 0;
}
