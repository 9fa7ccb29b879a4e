/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include "auth.h"
#include "registry-json.h"

#define AUTH_FILE_MAX_SIZE (1024U * 1024U)
#define AUTH_HEADER_MAX 4096U

static void auth_entry_done(AuthEntry *e) {
        free(e->host);
        if (e->password)
                explicit_bzero(e->password, strlen(e->password));
        free(e->username);
        free(e->password);
}

AuthFile *auth_file_free(AuthFile *f) {
        if (!f)
                return NULL;
        FOREACH_ARRAY(e, f->entries, f->n_entries)
                auth_entry_done(e);
        free(f->entries);
        free(f);
        return NULL;
}

/* "https://index.docker.io/v1/" -> "docker.io"; "quay.io" -> "quay.io". */
static char *normalize_host(const char *key) {
        const char *s = key, *p;
        size_t n;

        if ((p = startswith(s, "https://")) || (p = startswith(s, "http://")))
                s = p;
        n = strcspn(s, "/");
        if (n == 0)
                return NULL;

        if ((n == strlen("index.docker.io") && strneq(s, "index.docker.io", n)) ||
            (n == strlen("registry-1.docker.io") && strneq(s, "registry-1.docker.io", n)) ||
            (n == strlen("registry.hub.docker.com") && strneq(s, "registry.hub.docker.com", n)))
                return strdup("docker.io");

        return strndup(s, n);
}

static int decode_auth(const char *b64, char **ret_user, char **ret_pass) {
        _cleanup_free_ unsigned char *buf = NULL;
        size_t len = strlen(b64), pad = 0;
        int n;
        char *colon;

        if (len == 0 || len % 4 != 0 || len > AUTH_HEADER_MAX)
                return -EBADMSG;
        buf = malloc(len / 4 * 3 + 1);
        if (!buf)
                return -ENOMEM;
        n = EVP_DecodeBlock(buf, (const unsigned char *) b64, (int) len);
        if (n < 0)
                return -EBADMSG;
        /* EVP_DecodeBlock counts the padding as zero bytes. */
        if (b64[len - 1] == '=')
                pad++;
        if (b64[len - 2] == '=')
                pad++;
        n -= (int) pad;
        buf[n] = 0;
        if (memchr(buf, 0, n))
                return -EBADMSG;

        colon = strchr((char *) buf, ':');
        if (!colon || colon == (char *) buf)
                return -EBADMSG;

        _cleanup_free_ char *u = strndup((char *) buf, colon - (char *) buf);
        char *p = strdup(colon + 1);
        explicit_bzero(buf, n);
        if (!u || !p) {
                free(p);
                return -ENOMEM;
        }
        *ret_user = TAKE_PTR(u);
        *ret_pass = p;
        return 0;
}

_printf_(2, 3)
static int errorf(char **ret_error, const char *fmt, ...) {
        va_list ap;

        if (ret_error) {
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return -EBADMSG;
}

int auth_file_parse(const char *json, size_t len, AuthFile **ret, char **ret_error) {
        _cleanup_(auth_file_freep) AuthFile *f = NULL;
        _cleanup_yajl_ yajl_val root = NULL;
        yajl_val auths;
        int r;

        if (len > AUTH_FILE_MAX_SIZE)
                return errorf(ret_error, "auth file too large");

        r = registry_json_parse(json, len, &root, ret_error);
        if (r < 0)
                return r;
        if (!YAJL_IS_OBJECT(root))
                return errorf(ret_error, "auth file: top level is not an object");

        f = calloc(1, sizeof *f);
        if (!f)
                return -ENOMEM;

        auths = json_guard_get(root, "auths");
        if (!auths) {
                *ret = TAKE_PTR(f);
                return 0;
        }
        if (!YAJL_IS_OBJECT(auths))
                return errorf(ret_error, "auth file: \"auths\" is not an object");

        f->entries = calloc(auths->u.object.len ?: 1, sizeof(AuthEntry));
        if (!f->entries)
                return -ENOMEM;

        for (size_t i = 0; i < auths->u.object.len; i++) {
                const char *key = auths->u.object.keys[i];
                yajl_val v = auths->u.object.values[i];
                const char *auth, *user, *pass;
                AuthEntry e = {};

                if (!YAJL_IS_OBJECT(v))
                        return errorf(ret_error, "auth file: entry for \"%.100s\" is not an object", key);

                auth = json_guard_string(json_guard_get(v, "auth"));
                user = json_guard_string(json_guard_get(v, "username"));
                pass = json_guard_string(json_guard_get(v, "password"));

                if (!isempty(auth)) {
                        r = decode_auth(auth, &e.username, &e.password);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0)
                                return errorf(ret_error, "auth file: \"auth\" of \"%.100s\" is not base64(user:password)", key);
                } else if (!isempty(user) && pass) {
                        e.username = strdup(user);
                        e.password = strdup(pass);
                        if (!e.username || !e.password) {
                                auth_entry_done(&e);
                                return -ENOMEM;
                        }
                } else
                        continue;   /* e.g. identitytoken-only entries: nothing we can use */

                e.host = normalize_host(key);
                if (!e.host) {
                        auth_entry_done(&e);
                        return errorf(ret_error, "auth file: bad registry name \"%.100s\"", key);
                }
                f->entries[f->n_entries++] = e;
        }

        *ret = TAKE_PTR(f);
        return 0;
}

int auth_file_load(const char *path, AuthFile **ret, char **ret_error) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t n = 0;

        fd = open(path, O_RDONLY|O_CLOEXEC|O_NOCTTY);
        if (fd < 0) {
                if (errno != ENOENT)
                        return -errno;
                AuthFile *f = calloc(1, sizeof *f);
                if (!f)
                        return -ENOMEM;
                *ret = f;
                return 0;
        }
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return errorf(ret_error, "%s is not a regular file", path);
        if ((uint64_t) st.st_size > AUTH_FILE_MAX_SIZE)
                return errorf(ret_error, "%s is too large", path);

        buf = malloc(st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (n < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + n, st.st_size - n);
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                n += k;
        }
        return auth_file_parse(buf, n, ret, ret_error);
}

const AuthEntry *auth_file_find(const AuthFile *f, const char *host) {
        _cleanup_free_ char *h = NULL;

        if (!f || !host)
                return NULL;
        h = normalize_host(host);
        if (!h)
                return NULL;
        FOREACH_ARRAY(e, f->entries, f->n_entries)
                if (streq(e->host, h))
                        return e;
        return NULL;
}

void auth_challenge_done(AuthChallenge *c) {
        if (!c)
                return;
        free(c->realm);
        free(c->service);
        free(c->scope);
        *c = (AuthChallenge) {};
}

static const char *skip_ws(const char *p) {
        while (*p == ' ' || *p == '\t')
                p++;
        return p;
}

/* RFC 7235 auth-params: name=token | name="quoted\"string", comma separated. */
int auth_challenge_parse(const char *header, AuthChallenge *ret) {
        _cleanup_(auth_challenge_done) AuthChallenge c = {};
        const char *p;

        if (!header || strlen(header) > AUTH_HEADER_MAX)
                return -EBADMSG;

        p = skip_ws(header);
        if (strncasecmp(p, "Bearer", 6) == 0 && (p[6] == ' ' || p[6] == '\t' || p[6] == 0)) {
                c.scheme = AUTH_SCHEME_BEARER;
                p += 6;
        } else if (strncasecmp(p, "Basic", 5) == 0 && (p[5] == ' ' || p[5] == '\t' || p[5] == 0)) {
                c.scheme = AUTH_SCHEME_BASIC;
                p += 5;
        } else
                return -EOPNOTSUPP;

        for (;;) {
                _cleanup_free_ char *value = NULL;
                const char *name;
                size_t name_len;
                char **target;

                p = skip_ws(p);
                if (*p == 0)
                        break;

                name = p;
                while (isalnum((unsigned char) *p) || *p == '_' || *p == '-')
                        p++;
                name_len = p - name;
                if (name_len == 0)
                        return -EBADMSG;
                p = skip_ws(p);
                if (*p != '=')
                        return -EBADMSG;
                p = skip_ws(p + 1);

                if (*p == '"') {
                        size_t n = 0;

                        value = malloc(strlen(p) + 1);
                        if (!value)
                                return -ENOMEM;
                        for (p++; *p != '"'; p++) {
                                if (*p == 0)
                                        return -EBADMSG;     /* unterminated */
                                if (*p == '\\') {
                                        p++;
                                        if (*p == 0)
                                                return -EBADMSG;
                                }
                                if ((unsigned char) *p < 0x20)
                                        return -EBADMSG;
                                value[n++] = *p;
                        }
                        value[n] = 0;
                        p++;
                } else {
                        const char *v = p;
                        while (*p && *p != ',' && *p != ' ' && *p != '\t' && *p != '"')
                                p++;
                        if (p == v)
                                return -EBADMSG;
                        value = strndup(v, p - v);
                        if (!value)
                                return -ENOMEM;
                }

                if (name_len == 5 && strncasecmp(name, "realm", 5) == 0)
                        target = &c.realm;
                else if (name_len == 7 && strncasecmp(name, "service", 7) == 0)
                        target = &c.service;
                else if (name_len == 5 && strncasecmp(name, "scope", 5) == 0)
                        target = &c.scope;
                else
                        target = NULL;   /* error=, error_description=, ...: ignored */

                if (target) {
                        if (*target)
                                return -EBADMSG;   /* duplicate parameter */
                        *target = TAKE_PTR(value);
                }

                p = skip_ws(p);
                if (*p == ',')
                        p++;
                else if (*p != 0)
                        return -EBADMSG;
        }

        if (c.scheme == AUTH_SCHEME_BEARER) {
                /* The realm is where we will send credentials: insist on a URL. */
                if (!c.realm || !(startswith(c.realm, "https://") || startswith(c.realm, "http://")))
                        return -EBADMSG;
        }

        *ret = c;
        c = (AuthChallenge) {};
        return 0;
}

int auth_basic_header(const char *username, const char *password, char **ret) {
        _cleanup_free_ char *plain = NULL, *b64 = NULL;
        size_t len;
        char *h;

        if (!username || !password || strchr(username, ':'))
                return -EINVAL;
        if (asprintf(&plain, "%s:%s", username, password) < 0)
                return -ENOMEM;
        len = strlen(plain);
        b64 = malloc(4 * ((len + 2) / 3) + 1);
        if (!b64) {
                explicit_bzero(plain, len);
                return -ENOMEM;
        }
        EVP_EncodeBlock((unsigned char *) b64, (const unsigned char *) plain, (int) len);
        explicit_bzero(plain, len);
        if (asprintf(&h, "Basic %s", b64) < 0)
                return -ENOMEM;
        *ret = h;
        return 0;
}

int auth_token_parse(const char *json, size_t len, char **ret_token) {
        _cleanup_yajl_ yajl_val root = NULL;
        const char *t;
        int r;

        r = registry_json_parse(json, len, &root, NULL);
        if (r < 0)
                return r;
        t = json_guard_string(json_guard_get(root, "token"));
        if (isempty(t))
                t = json_guard_string(json_guard_get(root, "access_token"));
        if (isempty(t))
                return -EBADMSG;
        /* It goes into a header: no control characters. */
        for (const char *p = t; *p; p++)
                if ((unsigned char) *p < 0x21 || *p == 0x7f)
                        return -EBADMSG;
        if (strlen(t) > 64 * 1024)
                return -EBADMSG;

        char *s = strdup(t);
        if (!s)
                return -ENOMEM;
        *ret_token = s;
        return 0;
}
