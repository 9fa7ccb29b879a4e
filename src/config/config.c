/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "config.h"
#include "config-files.h"
#include "config-internal.h"
#include "config-values.h"
#include "fs-util.h"
#include "strv.h"
#include "time-util.h"


static const char * const host_adapter_table[_HOST_ADAPTER_MAX] = {
        [HOST_ADAPTER_AUTO] = "auto",
        [HOST_ADAPTER_STATIC] = "static",
};

const char *host_adapter_to_string(HostAdapter a) {
        if (a < 0 || a >= _HOST_ADAPTER_MAX)
                return NULL;
        return host_adapter_table[a];
}

HostAdapter host_adapter_from_string(const char *s) {
        if (!s)
                return _HOST_ADAPTER_INVALID;
        for (size_t i = 0; i < ELEMENTSOF(host_adapter_table); i++)
                if (streq(s, host_adapter_table[i]))
                        return (HostAdapter) i;
        return _HOST_ADAPTER_INVALID;
}

static void mirrors_free(RegistryMirror *m, size_t n) {
        FOREACH_ARRAY(i, m, n) {
                free(i->registry);
                free(i->url);
        }
        free(m);
}

TankConfig *config_free(TankConfig *c) {
        if (!c)
                return NULL;
        free(c->data_dir);
        free(c->store_data_dir);
        strv_free(c->store_endpoints);
        strv_free(c->store_peers);
        free(c->store_peer_cert_file);
        free(c->store_peer_key_file);
        free(c->store_peer_trusted_ca_file);
        free(c->store_cert_file);
        free(c->store_key_file);
        free(c->store_trusted_ca_file);
        free(c->host_uplink);
        strv_free(c->host_dns);
        mirrors_free(c->mirrors, c->n_mirrors);
        strv_free(c->insecure_registries);
        free(c->auth_file);
        free(c->node_name);
        strv_free(c->node_labels);
        free(c);
        return NULL;
}

static void parse_state_done(ParseState *s) {
        strv_free(s->warnings);
        free(s->error);
        free(s->store_data_dir_origin);
        free(s->endpoints_origin);
        free(s->peers_origin);
        free(s->peer_tls_origin);
        free(s->adapter_origin);
        free(s->base_origin);
        free(s->cap_origin);
        free(s->key_file_origin);
        free(s->node_origin);
}

/* Record the first error only; later ones are usually consequences. */
_printf_(2, 3)
int config_state_error(ParseState *s, const char *format, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        if (s->error)
                return -EINVAL;

        va_start(ap, format);
        r = vasprintf(&msg, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;

        r = s->line > 0 ? asprintf(&s->error, "%s:%u: %s", s->path, s->line, msg)
                        : asprintf(&s->error, "%s: %s", s->path, msg);
        if (r < 0) {
                s->error = NULL;
                return -ENOMEM;
        }
        s->error_line = s->line;
        return -EINVAL;
}

int config_state_origin(ParseState *s, char **origin) {
        char *o;

        if (asprintf(&o, "%s:%u", s->path, s->line) < 0)
                return -ENOMEM;
        free(*origin);
        *origin = o;
        return 0;
}


int config_key_path(ParseState *s, const char *key, const char *value, void *data) {
        char **p = data;

        if (isempty(value))
                return free_and_strdup(p, NULL);
        if (!config_path_is_valid(value))
                return config_state_error(s, "%s=%s: not an absolute, normalized path", key, value);
        return free_and_strdup(p, value);
}

static int parse_store_data_dir(ParseState *s, const char *key, const char *value, void *data) {
        int r;

        r = config_key_path(s, key, value, data);
        if (r < 0)
                return r;
        if (isempty(value)) {
                free(s->store_data_dir_origin);
                s->store_data_dir_origin = NULL;
                return 0;
        }
        return config_state_origin(s, &s->store_data_dir_origin);
}

static int parse_key_file(ParseState *s, const char *key, const char *value, void *data) {
        int r;

        r = config_key_path(s, key, value, data);
        if (r < 0)
                return r;
        return config_state_origin(s, &s->key_file_origin);
}

int config_split_words(const char *value, char ***ret) {
        _cleanup_strv_free_ char **words = NULL;

        for (const char *p = value;;) {
                size_t n;
                int r;

                p += strspn(p, " \t");
                if (*p == 0)
                        break;
                n = strcspn(p, " \t");
                r = strv_consume(&words, strndup(p, n));
                if (r < 0)
                        return r;
                p += n;
        }
        *ret = TAKE_PTR(words);
        return 0;
}

/* Split a list value on whitespace, check each word, append; "" clears. */
int config_key_list(ParseState *s, const char *key, const char *value, char ***l,
                    bool (*valid)(const char *), const char *what) {
        _cleanup_strv_free_ char **words = NULL;
        int r;

        if (isempty(value)) {
                *l = strv_free(*l);
                return 0;
        }

        r = config_split_words(value, &words);
        if (r < 0)
                return r;
        STRV_FOREACH(w, words)
                if (!valid(*w))
                        return config_state_error(s, "%s=: \"%s\" is not %s", key, *w, what);

        return strv_extend_strv(l, words);
}

static int parse_dns(ParseState *s, const char *key, const char *value, void *data) {
        return config_key_list(s, key, value, data, config_ip_is_valid, "an IPv4 or IPv6 address");
}

static int parse_insecure(ParseState *s, const char *key, const char *value, void *data) {
        return config_key_list(s, key, value, data, config_registry_is_valid,
                               "a registry host[:port]");
}

static int parse_adapter(ParseState *s, const char *key, const char *value, void *data) {
        HostAdapter *a = data, v;

        if (isempty(value)) {
                *a = HOST_ADAPTER_STATIC;
                return 0;
        }
        v = host_adapter_from_string(value);
        if (v < 0)
                return config_state_error(s, "%s=%s: expected \"static\" or \"auto\"", key, value);
        *a = v;
        return config_state_origin(s, &s->adapter_origin);
}

static int parse_userns(ParseState *s, const char *key, const char *value, void *data) {
        bool *b = data;

        if (isempty(value) || streq(value, "host"))
                *b = false;
        else if (streq(value, "auto"))
                *b = true;
        else
                return config_state_error(s, "%s=%s: expected \"auto\" or \"host\"", key, value);
        return 0;
}

static int parse_uplink(ParseState *s, const char *key, const char *value, void *data) {
        char **p = data;

        if (isempty(value))
                return free_and_strdup(p, NULL);
        if (!config_ifname_is_valid(value))
                return config_state_error(s, "%s=%s: not a valid interface name", key, value);
        return free_and_strdup(p, value);
}

static int parse_mirror(ParseState *s, const char *key, const char *value, void *data) {
        static const char * const schemes[] = { "http", "https", NULL };
        _cleanup_strv_free_ char **words = NULL;
        TankConfig *c = s->config;
        RegistryMirror *m;
        int r;

        if (isempty(value)) {
                mirrors_free(c->mirrors, c->n_mirrors);
                c->mirrors = NULL;
                c->n_mirrors = 0;
                return 0;
        }

        r = config_split_words(value, &words);
        if (r < 0)
                return r;
        if (strv_length(words) != 2)
                return config_state_error(s, "%s=%s: expected \"REGISTRY URL\", e.g. \"docker.io http://127.0.0.1:5000\"",
                                          key, value);
        if (!config_registry_is_valid(words[0]))
                return config_state_error(s, "%s=: \"%s\" is not a registry host[:port]", key, words[0]);
        if (!config_url_is_valid(words[1], schemes))
                return config_state_error(s, "%s=: \"%s\" is not an http:// or https:// URL", key, words[1]);

        m = reallocarray(c->mirrors, c->n_mirrors + 1, sizeof(RegistryMirror));
        if (!m)
                return -ENOMEM;
        c->mirrors = m;
        c->mirrors[c->n_mirrors++] = (RegistryMirror) {
                .registry = TAKE_PTR(words[0]),
                .url = TAKE_PTR(words[1]),
        };
        return 0;
}

static const struct {
        const char *section;
        const char *key;
        ValueParser parse;
        size_t offset;
} config_keys[] = {
        { "Tank",     "DataDirectory",  config_key_path,      offsetof(TankConfig, data_dir) },
        { "Store",    "DataDirectory",  parse_store_data_dir, offsetof(TankConfig, store_data_dir) },
        { "Store",    "Endpoints",      config_key_endpoints, offsetof(TankConfig, store_endpoints) },
        { "Store",    "CertFile",       config_key_path,      offsetof(TankConfig, store_cert_file) },
        { "Store",    "KeyFile",        parse_key_file,       offsetof(TankConfig, store_key_file) },
        { "Store",    "TrustedCAFile",  config_key_path,      offsetof(TankConfig, store_trusted_ca_file) },
        { "Store",    "Peers",          config_key_peers,     offsetof(TankConfig, store_peers) },
        { "Store",    "PeerCertFile",   config_key_peer_tls,  offsetof(TankConfig, store_peer_cert_file) },
        { "Store",    "PeerKeyFile",    config_key_peer_tls,  offsetof(TankConfig, store_peer_key_file) },
        { "Store",    "PeerTrustedCAFile", config_key_peer_tls, offsetof(TankConfig, store_peer_trusted_ca_file) },
        { "Host",     "Adapter",        parse_adapter,        offsetof(TankConfig, host_adapter) },
        { "Host",     "Uplink",         parse_uplink,         offsetof(TankConfig, host_uplink) },
        { "Host",     "DNS",            parse_dns,            offsetof(TankConfig, host_dns) },
        { "Registry", "Mirror",         parse_mirror,         0 },
        { "Registry", "Insecure",       parse_insecure,       offsetof(TankConfig, insecure_registries) },
        { "Registry", "AuthFile",       config_key_path,      offsetof(TankConfig, auth_file) },
        { "Restart",  "BackoffBaseSec", config_key_sec,       offsetof(TankConfig, backoff_base_usec) },
        { "Restart",  "BackoffCapSec",  config_key_sec,       offsetof(TankConfig, backoff_cap_usec) },
        { "Restart",  "StableSec",      config_key_sec,       offsetof(TankConfig, stable_usec) },
        { "Restart",  "StopTimeoutSec", config_key_sec,       offsetof(TankConfig, stop_timeout_usec) },
        { "Limits",   "DefaultPids",    config_key_pids,      offsetof(TankConfig, default_pids) },
        { "Images",   "MaxLayerSize",   config_key_max_size,  offsetof(TankConfig, images_max_layer_size) },
        { "Images",   "MaxUnpackedLayerSize",
                                        config_key_max_size,  offsetof(TankConfig, images_max_unpacked_layer_size) },
        { "Images",   "MaxImageSize",   config_key_max_size,  offsetof(TankConfig, images_max_image_size) },
        { "Images",   "MinFreeSpace",   config_key_min_free,  0 },
        { "Security", "UserNamespace",  parse_userns,         offsetof(TankConfig, userns_auto) },
        { "Rollout",  "HistoryLimit",   config_key_history_limit, offsetof(TankConfig, rollout_history_limit) },
        { "Node",     "Name",           config_key_node_name, offsetof(TankConfig, node_name) },
        { "Node",     "Labels",         config_key_node_labels, offsetof(TankConfig, node_labels) },
        { "Node",     "LeaseSec",       config_key_node_sec,  offsetof(TankConfig, node_lease_usec) },
        { "Node",     "FenceSec",       config_key_node_sec,  offsetof(TankConfig, node_fence_usec) },
        { "Node",     "RescheduleDelaySec",
                                        config_key_node_sec,  offsetof(TankConfig, node_reschedule_delay_usec) },
        { "Rollout",  "UpdateCheckSec", config_key_update_check_sec, offsetof(TankConfig, update_check_usec) },
};

static bool section_is_known(const char *section) {
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (streq(config_keys[i].section, section))
                        return true;
        return false;
}

static int state_warning(ParseState *s, const char *format, ...) _printf_(2, 3);
static int state_warning(ParseState *s, const char *format, ...) {
        _cleanup_free_ char *msg = NULL;
        char *w;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&msg, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if (asprintf(&w, "%s:%u: %s", s->path, s->line, msg) < 0)
                return -ENOMEM;
        return strv_consume(&s->warnings, w);
}

/* Section and key names come from a file and end up in messages: keep hostile
 * bytes out of the caller's terminal. */
static char *printable(const char *s) {
        char *t = strdup(s);

        if (t)
                for (char *p = t; *p; p++)
                        if ((unsigned char) *p < 0x20 || (unsigned char) *p >= 0x7f)
                                *p = '?';
        return t;
}

static int ini_handler_cb(void *user, const char *section, const char *name, const char *value) {
        ParseState *s = user;
        _cleanup_free_ char *psection = NULL, *pname = NULL;
        int r = 0;

        /* inih goes on after an error; only the first one is reported. */
        if (s->error)
                return 1;

        if (s->line_indented && s->had_key) {
                (void) config_state_error(s, "continuation lines are not supported (indented line after a key)");
                return 1;
        }
        s->had_key = true;

        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (streq(config_keys[i].section, section) && streq(config_keys[i].key, name)) {
                        r = config_keys[i].parse(s, name, value,
                                                 (uint8_t *) s->config + config_keys[i].offset);
                        if (r < 0 && !s->error)
                                /* OOM and such: remember it in the same place */
                                (void) config_state_error(s, "%s", strerror(-r));
                        return 1;
                }

        psection = printable(section);
        pname = printable(name);
        if (!psection || !pname)
                r = -ENOMEM;
        else if (isempty(section))
                r = state_warning(s, "key %s outside of any section, ignoring", pname);
        else if (section_is_known(section))
                r = state_warning(s, "unknown key %s in section [%s], ignoring", pname, psection);
        else
                r = state_warning(s, "unknown key %s in unknown section [%s], ignoring", pname, psection);
        if (r < 0)
                (void) config_state_error(s, "%s", strerror(-r));
        return 1;
}

/* fgets()-like reader over the file's bytes: it lets us know the line number
 * and whether the line was indented, which inih does not tell its handler. */
static char *ini_reader_cb(char *str, int num, void *stream) {
        ParseState *s = stream;
        const char *start, *nl, *p;
        size_t n;

        if (s->pos >= s->len || num <= 1)
                return NULL;

        start = s->buf + s->pos;
        nl = memchr(start, '\n', s->len - s->pos);
        n = nl ? (size_t) (nl - start) + 1 : s->len - s->pos;
        n = MIN(n, (size_t) num - 1);    /* lines were checked against the limit already */
        memcpy(str, start, n);
        str[n] = 0;
        s->pos += n;
        s->line++;

        s->line_indented = n > 0 && (start[0] == ' ' || start[0] == '\t');
        p = start + strspn(start, " \t");
        if (*p == '[')
                s->had_key = false;
        return str;
}

static int parse_one_file(ParseState *s, int dir_fd, const char *name, const char *display) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t len = 0;
        unsigned line = 1;
        int r;

        s->path = display;
        s->line = 0;

        fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                r = -errno;
                (void) config_state_error(s, "cannot open: %s", strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                (void) config_state_error(s, "cannot stat: %s", strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                (void) config_state_error(s, "not a regular file");
                return -EINVAL;
        }

        r = read_fd_capped(fd, TANK_CONFIG_FILE_MAX, 0, &buf, &len);
        if (r == -EFBIG)
                return config_state_error(s, "file larger than %u bytes", (unsigned) TANK_CONFIG_FILE_MAX);
        if (r < 0) {
                (void) config_state_error(s, "cannot read: %s", strerror(-r));
                return r;
        }

        /* inih stops at a NUL and silently cuts long lines: refuse both here,
         * with their line numbers, before inih sees the text. */
        for (size_t i = 0, col = 0; i < len; i++) {
                if (buf[i] == '\n') {
                        line++;
                        col = 0;
                        continue;
                }
                s->line = line;
                if (buf[i] == 0)
                        return config_state_error(s, "NUL byte in file");
                if (++col > (size_t) ini_max_line - 3)
                        return config_state_error(s, "line longer than %i characters", ini_max_line - 3);
        }

        s->buf = buf;
        s->len = len;
        s->pos = 0;
        s->line = 0;
        s->had_key = false;

        r = ini_parse_stream(ini_reader_cb, s, ini_handler_cb, s);
        s->buf = NULL;
        if (r == -2)
                return -ENOMEM;
        if (r > 0 && (!s->error || (unsigned) r < s->error_line)) {
                /* inih's only complaint is a line that is neither [Section],
                 * Key=Value nor a comment; its own error wins if it came first. */
                free(s->error);
                s->error = NULL;
                s->line = (unsigned) r;
                return config_state_error(s, "syntax error: expected [Section], Key=Value or a comment");
        }
        return s->error ? -EINVAL : 0;
}

static TankConfig *config_new_unset(void) {
        TankConfig *c = calloc(1, sizeof(TankConfig));

        if (!c)
                return NULL;
        c->host_adapter = HOST_ADAPTER_STATIC;
        c->backoff_base_usec = SEC_UNSET;
        c->backoff_cap_usec = SEC_UNSET;
        c->stable_usec = SEC_UNSET;
        c->stop_timeout_usec = SEC_UNSET;
        c->default_pids = PIDS_UNSET;
        c->rollout_history_limit = 0;   /* unset */
        c->update_check_usec = SEC_UNSET;
        c->images_max_layer_size = SIZE_UNSET;
        c->images_max_unpacked_layer_size = SIZE_UNSET;
        c->images_max_image_size = SIZE_UNSET;
        c->images_min_free_space = SIZE_UNSET;
        c->node_lease_usec = SEC_UNSET;
        c->node_fence_usec = SEC_UNSET;
        c->node_reschedule_delay_usec = SEC_UNSET;
        return c;
}

/* Fill defaults that depend on nothing else. */
static int config_fill_defaults(TankConfig *c) {
        int r;

        if (!c->data_dir) {
                r = free_and_strdup(&c->data_dir, TANK_DATA_DIR_DEFAULT);
                if (r < 0)
                        return r;
        }
        if (!c->auth_file) {
                r = free_and_strdup(&c->auth_file, TANK_AUTH_FILE_DEFAULT);
                if (r < 0)
                        return r;
        }
        if (c->backoff_base_usec == SEC_UNSET)
                c->backoff_base_usec = 1 * USEC_PER_SEC;
        if (c->backoff_cap_usec == SEC_UNSET)
                c->backoff_cap_usec = 300 * USEC_PER_SEC;
        if (c->stable_usec == SEC_UNSET)
                c->stable_usec = 60 * USEC_PER_SEC;
        if (c->stop_timeout_usec == SEC_UNSET)
                c->stop_timeout_usec = 10 * USEC_PER_SEC;
        if (c->default_pids == PIDS_UNSET)
                c->default_pids = TANK_DEFAULT_PIDS_DEFAULT;
        if (c->rollout_history_limit == 0)
                c->rollout_history_limit = TANK_HISTORY_LIMIT_DEFAULT;
        if (c->update_check_usec == SEC_UNSET)
                c->update_check_usec = TANK_UPDATE_CHECK_SEC_DEFAULT * USEC_PER_SEC;
        if (c->images_max_layer_size == SIZE_UNSET)
                c->images_max_layer_size = TANK_MAX_LAYER_SIZE_DEFAULT;
        if (c->images_max_unpacked_layer_size == SIZE_UNSET)
                c->images_max_unpacked_layer_size = TANK_MAX_UNPACKED_LAYER_SIZE_DEFAULT;
        if (c->images_max_image_size == SIZE_UNSET)
                c->images_max_image_size = TANK_MAX_IMAGE_SIZE_DEFAULT;
        if (c->images_min_free_space == SIZE_UNSET)
                c->images_min_free_space = TANK_MIN_FREE_SPACE_DEFAULT;
        return 0;
}

/* The store's directory follows the final data directory, so it is filled last. */
static int config_fill_store_dir(TankConfig *c) {
        if (c->store_endpoints || c->store_data_dir)
                return 0;
        if (asprintf(&c->store_data_dir, "%s/%s", streq(c->data_dir, "/") ? "" : c->data_dir,
                     c->store_peers ? "store-member" : "store") < 0) {
                c->store_data_dir = NULL;
                return -ENOMEM;
        }
        return 0;
}

int config_new_default(TankConfig **ret) {
        _cleanup_config_free_ TankConfig *c = NULL;
        int r;

        c = config_new_unset();
        if (!c)
                return -ENOMEM;
        r = config_fill_defaults(c);
        if (r < 0)
                return r;
        r = config_fill_node_defaults(c, NULL);
        if (r == -EINVAL)       /* a host name that is no node name: the default one */
                r = free_and_strdup(&c->node_name, "localhost");
        if (r < 0)
                return r;
        r = config_fill_store_dir(c);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

int config_origin_error(ParseState *s, const char *origin, const char *format, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&msg, format, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (!msg)
                return -ENOMEM;

        free(s->error);
        if (asprintf(&s->error, "%s: %s", origin, msg) < 0) {
                s->error = NULL;
                return -ENOMEM;
        }
        return -EINVAL;
}

/* Conflicts between keys, found after every file was read. */
static int config_verify(ParseState *s) {
        _cleanup_free_ char *msg = NULL;
        TankConfig *c = s->config;
        int r;

        if (c->store_endpoints && s->store_data_dir_origin)
                return config_origin_error(s, s->endpoints_origin,
                                           "[Store] Endpoints= (an external etcd) and DataDirectory= (set at %s) "
                                           "exclude each other: Tank runs no etcd of its own with Endpoints=",
                                           s->store_data_dir_origin);
        if (c->store_peers) {
                r = config_verify_store_peers(s);
                if (r < 0)
                        return r;
        } else if (c->store_peer_cert_file || c->store_peer_key_file || c->store_peer_trusted_ca_file)
                return config_origin_error(s, s->peer_tls_origin, "[Store] PeerCertFile=, PeerKeyFile= and "
                                           "PeerTrustedCAFile= are for the members of Peers=, which is not set");
        /* Only an explicit Adapter=static insists: by default a host may run pods
         * without NICs, or NICs with explicit parents, and never set an uplink;
         * a NIC with parent "auto" is then refused at apply with the reason. */
        if (c->host_adapter == HOST_ADAPTER_STATIC && s->adapter_origin && !c->host_uplink)
                return config_origin_error(s, s->adapter_origin, "[Host] Adapter=static needs Uplink=");
        if (!!c->store_cert_file != !!c->store_key_file)
                return config_origin_error(s, s->key_file_origin ?: "[Store]",
                                           "CertFile= and KeyFile= must be given together");
        if (c->backoff_cap_usec < c->backoff_base_usec)
                return config_origin_error(s, s->cap_origin ?: s->base_origin ?: "[Restart]",
                                           "[Restart] BackoffCapSec= is smaller than BackoffBaseSec=");
        r = config_verify_node(c, &msg);
        if (r == -EINVAL)
                return config_origin_error(s, s->node_origin ?: s->path ?: "tank.conf", "%s", msg);
        return r;
}

int config_load(const char *dir, TankConfig **ret, char ***ret_warnings, char **ret_error) {
        _cleanup_config_free_ TankConfig *c = NULL;
        _cleanup_strv_free_ char **dropins = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        _cleanup_free_ char *main_path = NULL;
        ParseState s = {};
        const char *env;
        int r;

        if (!dir)
                dir = TANK_CONFIG_DIR_DEFAULT;

        c = config_new_unset();
        if (!c)
                return -ENOMEM;
        s.config = c;

        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0 && errno != ENOENT) {
                r = -errno;
                if (asprintf(&s.error, "%s: cannot open configuration directory: %s", dir, strerror(-r)) < 0)
                        s.error = NULL;
                goto finish;
        }

        if (dir_fd >= 0) {
                if (asprintf(&main_path, "%s/tank.conf", dir) < 0) {
                        r = -ENOMEM;
                        goto finish;
                }
                r = parse_one_file(&s, dir_fd, "tank.conf", main_path);
                if (r < 0)
                        goto finish;

                r = config_collect_dropins(dir_fd, &dropins);
                if (r < 0) {
                        if (asprintf(&s.error, "%s/tank.conf.d: cannot read directory: %s", dir, strerror(-r)) < 0)
                                s.error = NULL;
                        goto finish;
                }
                STRV_FOREACH(name, dropins) {
                        _cleanup_free_ char *rel = NULL, *display = NULL;

                        if (asprintf(&rel, "tank.conf.d/%s", *name) < 0 ||
                            asprintf(&display, "%s/%s", dir, rel) < 0) {
                                r = -ENOMEM;
                                goto finish;
                        }
                        r = parse_one_file(&s, dir_fd, rel, display);
                        if (r < 0)
                                goto finish;
                }
        }

        env = secure_getenv("TANK_DATA_DIR");
        if (!isempty(env)) {
                if (!config_path_is_valid(env)) {
                        r = -EINVAL;
                        if (asprintf(&s.error, "TANK_DATA_DIR=%s: not an absolute, normalized path", env) < 0)
                                s.error = NULL;
                        goto finish;
                }
                r = free_and_strdup(&c->data_dir, env);
                if (r < 0)
                        goto finish;
        }

        r = config_fill_defaults(c);
        if (r < 0)
                goto finish;
        r = config_fill_node_defaults(c, &s.error);
        if (r < 0)
                goto finish;
        r = config_verify(&s);
        if (r < 0)
                goto finish;
        r = config_fill_store_dir(c);
        if (r < 0)
                goto finish;

        *ret = TAKE_PTR(c);
        if (ret_warnings)
                *ret_warnings = TAKE_PTR(s.warnings);
        r = 0;

finish:
        if (r < 0 && ret_error) {
                if (!s.error && asprintf(&s.error, "%s: %s", dir, strerror(-r)) < 0)
                        s.error = NULL;
                *ret_error = TAKE_PTR(s.error);
        }
        parse_state_done(&s);
        return r;
}
