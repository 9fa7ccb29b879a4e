/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <inttypes.h>

#include "container-fields.h"
#include "parse-util.h"
#include "pod.h"
#include "strv.h"

/* A container's "probes" (man tank-pod(5),
 * "PROBES"). Everything a probe holds ends up in a request line, a header or
 * an argv that the runtime sends as it is, so what could split or smuggle one
 * (CR, LF, spaces in a path, a header name that is not a token) is refused here. */

static int parse_port(Ctx *c, const JsonValue *v, const char *path, PodProbe *p) {
        unsigned port = 0;
        int r;

        FIELD_PATH(pp, path, "port");
        r = get_uint_range(c, json_object_get(v, "port"), pp, 1, UINT16_MAX, &port);
        if (r < 0)
                return r;
        p->port = (uint16_t) port;
        return 0;
}

/* RFC 1123 host name syntax: dot-separated labels of letters, digits and '-',
 * not starting or ending with '-'. A last label of digits only is refused, so
 * that a mistyped address ("10.0.0.300") is not taken for a name. */
static bool hostname_is_valid(const char *s) {
        size_t n = strlen(s), label = 0;
        bool digits_only = true;

        if (n == 0 || n > PROBE_HOSTNAME_MAX)
                return false;
        for (size_t i = 0; i <= n; i++) {
                char ch = s[i];

                if (ch == '.' || ch == 0) {
                        if (label == 0 || label > 63 || s[i - 1] == '-')
                                return false;
                        if (ch == 0)
                                return !digits_only;
                        label = 0;
                        digits_only = true;
                        continue;
                }
                if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                      ch == '-'))
                        return false;
                if (ch == '-' && label == 0)
                        return false;
                if (ch < '0' || ch > '9')
                        digits_only = false;
                label++;
        }
        return false;
}

/* RFC 9110 token characters. */
static bool header_name_is_valid(const char *s, size_t len) {
        if (len == 0 || len > PROBE_HEADER_NAME_MAX)
                return false;
        for (size_t i = 0; i < len; i++) {
                char ch = s[i];
                if (ch == 0)
                        return false;
                if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                      strchr("!#$%&'*+-.^_`|~", ch)))
                        return false;
        }
        return true;
}

static int check_header_name(Ctx *c, const char *path, const JsonValue *object, size_t i) {
        const JsonMember *m = object->members + i;

        if (!header_name_is_valid(m->key, m->key_len))
                return fail_quoted(c, path, "invalid header name %s (must be an HTTP token of at most 256 "
                                   "letters, digits and !#$%%&'*+-.^_`|~)", m->key, m->key_len);
        for (size_t j = 0; j < i; j++)
                if (object->members[j].key_len == m->key_len &&
                    strncasecmp(object->members[j].key, m->key, m->key_len) == 0)
                        return fail_quoted(c, path, "duplicate header %s (names are case-insensitive)",
                                           m->key, m->key_len);
        return 0;
}

static int check_header_value(Ctx *c, const char *path, const char *val) {
        if (strlen(val) > PROBE_HEADER_VALUE_MAX)
                return fail(c, path, "longer than %u bytes", PROBE_HEADER_VALUE_MAX);
        for (const char *ch = val; *ch; ch++)
                if ((*ch > 0 && *ch < 0x20 && *ch != '\t') || *ch == 0x7f)
                        return fail_quoted(c, path, "must not contain CR, LF or other control characters, got %s",
                                           val, strlen(val));
        return 0;
}

/* No headers: NULL, as absent. */
static int parse_headers(Ctx *c, const JsonValue *v, const char *path, char ***ret) {
        static const StringMap map = {
                .what = "headers",
                .max = PROBE_HEADERS_MAX,
                .separator = ": ",
                .check_key = check_header_name,
                .check_value = check_header_value,
        };
        return parse_string_map(c, v, path, &map, ret);
}

static int parse_http(Ctx *c, const JsonValue *v, const char *path, PodProbe *p) {
        static const char *const fields[] = { "port", "path", "scheme", "host", "headers", NULL };
        static const char *const required[] = { "port", NULL };
        const JsonValue *x;
        const char *s;
        int r;

        r = check_fields(c, v, path, fields, required);
        if (r < 0)
                return r;
        r = parse_port(c, v, path, p);
        if (r < 0)
                return r;

        s = "/";
        if ((x = json_object_get(v, "path"))) {
                FIELD_PATH(pp, path, "path");
                r = get_string(c, x, pp, &s);
                if (r < 0)
                        return r;
                if (s[0] != '/')
                        return fail_quoted(c, pp, "must start with \"/\", got %s", s, strlen(s));
                if (strlen(s) > PROBE_PATH_MAX)
                        return fail(c, pp, "longer than %u bytes", PROBE_PATH_MAX);
                for (const char *ch = s; *ch; ch++)
                        if (*ch <= 0x20 || *ch >= 0x7f)
                                return fail_quoted(c, pp, "must be printable ASCII without spaces, got %s", s, strlen(s));
        }
        p->path = strdup(s);
        if (!p->path)
                return -ENOMEM;

        p->scheme = PROBE_SCHEME_HTTP;
        if ((x = json_object_get(v, "scheme"))) {
                FIELD_PATH(pp, path, "scheme");
                r = expect_type(c, x, pp, JSON_STRING);
                if (r < 0)
                        return r;
                r = json_string_is_clean(x) ? probe_scheme_from_string(x->str) : -EINVAL;
                if (r < 0)
                        return fail_quoted(c, pp, "must be \"http\" or \"https\", got %s", x->str, x->len);
                p->scheme = r;
        }

        s = "127.0.0.1";
        if ((x = json_object_get(v, "host"))) {
                union { struct in_addr a4; struct in6_addr a6; } a;
                char buf[INET6_ADDRSTRLEN];
                int af;

                FIELD_PATH(pp, path, "host");
                r = get_string(c, x, pp, &s);
                if (r < 0)
                        return r;
                af = strchr(s, ':') ? AF_INET6 : AF_INET;
                if (inet_pton(af, s, &a) == 1) {
                        /* Canonical text, as for dns: "::0001" and "::1" hash alike. */
                        if (!inet_ntop(af, &a, buf, sizeof(buf)))
                                return -errno;
                        s = buf;
                        p->host = strdup(s);
                } else if (hostname_is_valid(s))
                        p->host = strdup(s);
                else
                        return fail_quoted(c, pp, "must be an IPv4 address, an IPv6 address (without brackets) "
                                           "or a host name, got %s", s, strlen(s));
        } else
                p->host = strdup(s);
        if (!p->host)
                return -ENOMEM;

        if ((x = json_object_get(v, "headers"))) {
                FIELD_PATH(pp, path, "headers");
                r = parse_headers(c, x, pp, &p->headers);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_exec(Ctx *c, const JsonValue *v, const char *path, PodProbe *p) {
        int r;

        r = parse_string_array(c, v, path, &p->exec);
        if (r < 0)
                return r;
        if (!p->exec[0])
                return fail(c, path, "must not be empty");
        if (strv_length(p->exec) > PROBE_EXEC_ARGS_MAX)
                return fail(c, path, "too many arguments (at most %u)", PROBE_EXEC_ARGS_MAX);
        if (isempty(p->exec[0])) {
                _cleanup_free_ char *p0 = path_index(path, 0);
                if (!p0)
                        return -ENOMEM;
                return fail(c, p0, "the command must not be empty");
        }
        return 0;
}

static int parse_probe(Ctx *c, const JsonValue *v, const char *path, const char *which, PodProbe *p) {
        static const char *const fields[] = {
                "exec", "http", "tcp", "initial_delay", "period", "timeout", "success_threshold",
                "failure_threshold", NULL
        };
        static const char *const tcp_fields[] = { "port", NULL };
        static const struct {
                const char *name;
                size_t offset;
                unsigned min, max, def;
        } timing[] = {
                { "initial_delay", offsetof(PodProbe, initial_delay_sec), 0, PROBE_SECONDS_MAX, 0 },
                { "period", offsetof(PodProbe, period_sec), 1, PROBE_SECONDS_MAX, 10 },
                { "timeout", offsetof(PodProbe, timeout_sec), 1, PROBE_SECONDS_MAX, 1 },
                { "success_threshold", offsetof(PodProbe, success_threshold), 1, PROBE_THRESHOLD_MAX, 1 },
                { "failure_threshold", offsetof(PodProbe, failure_threshold), 1, PROBE_THRESHOLD_MAX, 3 },
        };
        const JsonValue *exec, *http, *tcp;
        int r;

        r = check_fields(c, v, path, fields, (const char *const[]) { NULL });
        if (r < 0)
                return r;
        exec = json_object_get(v, "exec");
        http = json_object_get(v, "http");
        tcp = json_object_get(v, "tcp");
        if (!!exec + !!http + !!tcp != 1)
                return fail(c, path, "must have exactly one of \"exec\", \"http\" and \"tcp\"");

        if (exec) {
                FIELD_PATH(pp, path, "exec");
                p->kind = PROBE_EXEC;
                r = parse_exec(c, exec, pp, p);
        } else if (http) {
                FIELD_PATH(pp, path, "http");
                p->kind = PROBE_HTTP;
                r = parse_http(c, http, pp, p);
        } else {
                FIELD_PATH(pp, path, "tcp");
                p->kind = PROBE_TCP;
                r = check_fields(c, tcp, pp, tcp_fields, tcp_fields);
                if (r >= 0)
                        r = parse_port(c, tcp, pp, p);
        }
        if (r < 0)
                return r;

        for (size_t i = 0; i < ELEMENTSOF(timing); i++) {
                unsigned *slot = (unsigned *) ((uint8_t *) p + timing[i].offset);
                const JsonValue *x = json_object_get(v, timing[i].name);

                *slot = timing[i].def;
                if (!x)
                        continue;
                FIELD_PATH(pp, path, timing[i].name);
                r = get_uint_range(c, x, pp, timing[i].min, timing[i].max, slot);
                if (r < 0)
                        return r;
        }
        /* As in Kubernetes: one success is all a liveness or startup probe can mean. */
        if (p->success_threshold != 1 && !streq(which, "readiness")) {
                FIELD_PATH(pp, path, "success_threshold");
                return fail(c, pp, "must be 1 for a %s probe", which);
        }
        return 0;
}

int container_parse_probes(Ctx *c, const JsonValue *x, const char *p, const Pod *pod, PodContainer *ct) {
        static const char *const fields[] = { "startup", "liveness", "readiness", NULL };
        PodProbe *slots[] = { &ct->probes.startup, &ct->probes.liveness, &ct->probes.readiness };
        int r;

        r = check_fields(c, x, p, fields, (const char *const[]) { NULL });
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(slots); i++) {
                const JsonValue *probe = json_object_get(x, fields[i]);
                if (!probe)
                        continue;
                FIELD_PATH(pp, p, fields[i]);
                r = parse_probe(c, probe, pp, fields[i], slots[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}
