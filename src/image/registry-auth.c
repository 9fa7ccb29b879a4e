/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Answering a registry's 401: Basic credentials from the auth file, or a Bearer
 * token from the challenge's realm (anonymous, or with those credentials), and
 * the per-host token cache that lets the other requests of a pull skip the
 * challenge. */

#include "registry-internal.h"
#include "log.h"

void erase_free(char *s) {
        if (s) {
                explicit_bzero(s, strlen(s));
                free(s);
        }
}

char *token_cache_key(const char *host, const char *scope) {
        char *k;
        return asprintf(&k, "%s\n%s", host, strempty(scope)) < 0 ? NULL : k;
}

static void token_cache_put(Registry *r, const char *key, const char *authorization) {
        char *v = strdup(authorization), *old = NULL;

        if (!v)
                return;
        if (hashmap_replace(r->tokens, key, v, (void **) &old) < 0) {
                erase_free(v);
                return;
        }
        erase_free(old);
}

void fetch_handle_challenge(RegistryFetch *f) {
        _cleanup_(auth_challenge_done) AuthChallenge c = {};
        _cleanup_free_ char *scope = NULL, *esc_service = NULL, *esc_scope = NULL, *realm_host = NULL, *realm_scheme = NULL;
        const AuthEntry *cred;
        int r;

        if (f->auth_tried || !url_host_is(f->url, f->registry_host))
                return fetch_finish(f, -EACCES, "%s: authentication failed (HTTP 401)%s",
                                    f->registry_host, f->authorization ? "" : ", no credentials");
        f->auth_tried = true;

        if (!f->www_authenticate)
                return fetch_finish(f, -EACCES, "%s: HTTP 401 without a WWW-Authenticate challenge", f->registry_host);
        r = auth_challenge_parse(f->www_authenticate, &c);
        if (r < 0)
                return fetch_finish(f, -EACCES, "%s: unsupported or malformed WWW-Authenticate challenge", f->registry_host);

        cred = auth_file_find(f->registry->auth, f->registry_host);

        if (c.scheme == AUTH_SCHEME_BASIC) {
                _cleanup_free_ char *key = NULL;

                if (!cred)
                        return fetch_finish(f, -EACCES, "%s requires authentication and the auth file has no credentials for it",
                                            f->registry_host);
                erase_free(f->authorization);
                f->authorization = NULL;
                r = auth_basic_header(cred->username, cred->password, &f->authorization);
                if (r < 0)
                        return fetch_finish(f, r, "cannot build Basic credentials: %s", strerror(-r));
                key = token_cache_key(f->registry_host, NULL);
                if (key)
                        token_cache_put(f->registry, key, f->authorization);
                return fetch_restart(f);
        }

        /* Bearer: get a token from the realm, then retry the request with it. */
        if (url_split(c.realm, &realm_scheme, &realm_host) < 0)
                return fetch_finish(f, -EACCES, "%s: bad token realm", f->registry_host);
        if (c.scope)
                scope = strdup(c.scope);
        else if (asprintf(&scope, "repository:%s:pull", f->repository) < 0)
                scope = NULL;
        if (!scope)
                return fetch_finish(f, -ENOMEM, "out of memory");

        erase_free(f->token_auth);
        f->token_auth = NULL;
        if (cred) {
                /* Credentials travel in clear only where the admin said so. */
                if (streq(realm_scheme, "http") && !registry_host_is_insecure(f->registry, realm_host))
                        return fetch_finish(f, -EPERM, "refusing to send credentials for %s to plain-http token realm %s (not listed in Insecure=)",
                                            f->registry_host, realm_host);
                r = auth_basic_header(cred->username, cred->password, &f->token_auth);
                if (r < 0)
                        return fetch_finish(f, r, "cannot build credentials: %s", strerror(-r));
        }

        esc_scope = curl_easy_escape(f->easy, scope, 0);
        esc_service = c.service ? curl_easy_escape(f->easy, c.service, 0) : NULL;
        if (!esc_scope || (c.service && !esc_service))
                return fetch_finish(f, -ENOMEM, "out of memory");

        free(f->token_url);
        if (asprintf(&f->token_url, "%s%s%s%s%sscope=%s", c.realm, strchr(c.realm, '?') ? "&" : "?",
                     esc_service ? "service=" : "", strempty(esc_service), esc_service ? "&" : "", esc_scope) < 0) {
                f->token_url = NULL;
                return fetch_finish(f, -ENOMEM, "out of memory");
        }
        free(f->token_key);
        f->token_key = token_cache_key(f->registry_host, scope);
        if (!f->token_key)
                return fetch_finish(f, -ENOMEM, "out of memory");

        f->mode = MODE_TOKEN;
        fetch_restart(f);
}

void fetch_token_done(RegistryFetch *f) {
        _cleanup_free_ char *token = NULL, *bearer = NULL;
        int r;

        if (f->status == 429 || f->status >= 500)
                return fetch_retry(f, -EAGAIN, "token endpoint busy");
        if (f->status != 200)
                return fetch_finish(f, -EACCES, "token endpoint refused (HTTP %ld)%s", f->status,
                                    f->token_auth ? ": bad credentials?" : "");

        r = auth_token_parse(f->buf, f->buf_size, &token);
        if (r < 0)
                return fetch_finish(f, -EACCES, "token endpoint returned no usable token");
        if (asprintf(&bearer, "Bearer %s", token) < 0)
                return fetch_finish(f, -ENOMEM, "out of memory");
        explicit_bzero(token, strlen(token));

        token_cache_put(f->registry, f->token_key, bearer);
        erase_free(f->authorization);
        f->authorization = TAKE_PTR(bearer);
        f->mode = MODE_OBJECT;
        fetch_restart(f);
}

