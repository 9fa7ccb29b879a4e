/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Registry credentials and challenges.
 *  - Auth files in the containers-auth.json / docker config.json shape:
 *      {"auths": {"host[:port]": {"auth": "base64(user:password)"}, ...}}
 *    (keys may also be URLs like "https://index.docker.io/v1/"; "username" +
 *    "password" fields are accepted too).
 *  - WWW-Authenticate: Bearer realm="...",service="...",scope="..." | Basic realm="..."
 * Parsers take hostile input: bounded, quoted-string escapes, clear errors. */

#include "macro.h"

typedef struct AuthEntry {
        char *host;        /* normalized: "docker.io", "127.0.0.1:5000" */
        char *username;
        char *password;
} AuthEntry;

typedef struct AuthFile {
        AuthEntry *entries;
        size_t n_entries;
} AuthFile;

AuthFile *auth_file_free(AuthFile *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(AuthFile *, auth_file_free);

/* -EBADMSG with *ret_error for malformed input. */
int auth_file_parse(const char *json, size_t len, AuthFile **ret, char **ret_error);
/* -ENOENT is returned as an empty AuthFile (no credentials). */
int auth_file_load(const char *path, AuthFile **ret, char **ret_error);
/* Credentials for a registry host (exact host[:port]; "docker.io" also matches
 * "index.docker.io", "registry-1.docker.io" and the v1 URL key). NULL if none. */
const AuthEntry *auth_file_find(const AuthFile *f, const char *host);

typedef enum AuthScheme {
        AUTH_SCHEME_BASIC,
        AUTH_SCHEME_BEARER,
} AuthScheme;

typedef struct AuthChallenge {
        AuthScheme scheme;
        char *realm;
        char *service;     /* may be NULL */
        char *scope;       /* may be NULL */
} AuthChallenge;

void auth_challenge_done(AuthChallenge *c);
/* Parse one WWW-Authenticate header value. -EBADMSG if malformed, -EOPNOTSUPP
 * for other schemes. */
int auth_challenge_parse(const char *header, AuthChallenge *ret);

/* "Basic base64(user:pass)" */
int auth_basic_header(const char *username, const char *password, char **ret);
/* Extract "token" (or "access_token") from a token endpoint response. */
int auth_token_parse(const char *json, size_t len, char **ret_token);
