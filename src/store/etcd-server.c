/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <time.h>

#include "etcd-server.h"
#include "store.h"
#include "strv.h"
#include "fs-util.h"

#define POLL_INTERVAL_USEC (200U * 1000U)

struct EtcdServer {
        sd_event *event;
        char *unit, *endpoint;
        uint64_t timeout_usec, deadline;
        EtcdServerReady cb;
        void *userdata;

        Store *probe;
        sd_event_source *poll_source;
        char *last_error;
        int result;
        char *result_error;
        sd_event_source *finish_source;
};

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

int etcd_server_endpoint(const char *runtime_dir, char **ret) {
        if (!runtime_dir || runtime_dir[0] != '/')
                return -EINVAL;
        if (asprintf(ret, "unix://%s/" ETCD_SERVER_SOCKET_DIR "/" ETCD_SERVER_SOCKET, runtime_dir) < 0)
                return -ENOMEM;
        return 0;
}

static void finish(EtcdServer *e, int r, const char *error) {
        e->poll_source = sd_event_source_disable_unref(e->poll_source);
        if (e->cb) {
                EtcdServerReady cb = TAKE_PTR(e->cb);
                cb(e, r, r >= 0 ? e->endpoint : NULL, error, e->userdata);
        }
}

static int finish_handler(sd_event_source *s, void *userdata) {
        EtcdServer *e = userdata;
        _cleanup_free_ char *msg = TAKE_PTR(e->result_error);

        e->finish_source = sd_event_source_disable_unref(e->finish_source);
        finish(e, e->result, msg ?: (e->result < 0 ? "out of memory" : NULL));
        return 0;
}

/* From a Store callback: the owner may free us (and so the probe Store) in its
 * callback, which a Store callback must not do; finish from the event loop. */
static void finish_later(EtcdServer *e, int r, const char *error) {
        e->result = r;
        (void) free_and_strdup(&e->result_error, error);
        if (sd_event_add_defer(e->event, &e->finish_source, finish_handler, e) < 0)
                e->finish_source = NULL;        /* OOM: nothing left to report with */
}

static int poll_handler(sd_event_source *s, uint64_t usec, void *userdata);

static void probe_done(Store *s, int r, const StoreResult *res, const char *error, void *userdata) {
        EtcdServer *e = userdata;

        if (r == -ECANCELED)
                return;
        if (r >= 0)
                return finish_later(e, 0, NULL);
        (void) free_and_strdup(&e->last_error, error);
        if (now_usec() >= e->deadline) {
                _cleanup_free_ char *msg = NULL;
                if (asprintf(&msg, "store %s did not become healthy within %" PRIu64 " s: %s "
                             "(see journalctl -u %s)", e->unit, e->timeout_usec / 1000000U,
                             strempty(e->last_error), e->unit) < 0)
                        msg = NULL;
                return finish_later(e, -ETIMEDOUT, msg ?: "store did not become healthy");
        }
        if (sd_event_add_time(e->event, &e->poll_source, CLOCK_MONOTONIC, now_usec() + POLL_INTERVAL_USEC, 0,
                              poll_handler, e) < 0)
                finish_later(e, -ENOMEM, "out of memory");
}

static int poll_handler(sd_event_source *s, uint64_t usec, void *userdata) {
        EtcdServer *e = userdata;
        int r;

        e->poll_source = sd_event_source_disable_unref(e->poll_source);
        /* a linearizable read: answers only once the member has a leader (itself) */
        r = store_get(e->probe, "/tank/", probe_done, e);
        if (r < 0)
                finish(e, r, "could not probe the store");
        return 0;
}

static int start_polling(EtcdServer *e) {
        char *endpoints[] = { e->endpoint, NULL };
        StoreConfig cfg = {
                .endpoints = endpoints,
                .max_attempts = 1,
                .timeout_usec = 2U * 1000U * 1000U,
        };
        int r;

        r = store_new(e->event, &cfg, &e->probe, NULL);
        if (r < 0)
                return r;
        e->deadline = now_usec() + e->timeout_usec;
        return sd_event_add_time(e->event, &e->poll_source, CLOCK_MONOTONIC, 0, 0, poll_handler, e);
}

/* runtime_dir/ETCD_SERVER_SOCKET_DIR, 0700 and ours whatever it was before. */
static int make_socket_dir(const char *runtime_dir, char **ret) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        if (asprintf(&dir, "%s/" ETCD_SERVER_SOCKET_DIR, runtime_dir) < 0)
                return -ENOMEM;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_uid != geteuid())
                return -EPERM;
        if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0)
                return -errno;
        *ret = TAKE_PTR(dir);
        return 0;
}

/* The member's part of a statically bootstrapped cluster: its name and peer
 * URL, every member, and peer TLS. -EINVAL if member_name has no URL. */
static int append_member_args(const EtcdServerConfig *c, char ***argv) {
        _cleanup_free_ char *cluster = NULL;
        const char *url = NULL;
        size_t n;
        int r;

        if (!c->member_name)
                return -EINVAL;
        n = strlen(c->member_name);
        STRV_FOREACH(p, c->peers)
                if (strncmp(*p, c->member_name, n) == 0 && (*p)[n] == '=')
                        url = *p + n + 1;
        if (!url)
                return -EINVAL;
        cluster = strv_join(c->peers, ",");
        if (!cluster)
                return -ENOMEM;
        char *args[] = {
                (char *) "--name", (char *) c->member_name,
                (char *) "--listen-peer-urls", (char *) url,
                (char *) "--initial-advertise-peer-urls", (char *) url,
                (char *) "--initial-cluster", cluster,
                /* Ignored once the member has data: a restart rejoins. */
                (char *) "--initial-cluster-state", (char *) "new",
                (char *) "--initial-cluster-token", (char *) "tank",
                /* A member that missed the leader's heartbeats for an election
                 * timeout (a stalled host, a slow link) asks first whether the
                 * others would vote before it raises the term. Without it, it
                 * deposes a leader the rest of the cluster still follows, and
                 * every lease restarts at its full TTL on the new leader: a
                 * dead node's pods and the scheduler's key wait that much
                 * longer. etcd 3.5 makes this the default; Debian 12 has 3.4. */
                (char *) "--pre-vote",
                NULL
        };
        r = strv_extend_strv(argv, args);
        if (r < 0)
                return r;
        if (c->peer_cert_file) {
                char *tls[] = {
                        (char *) "--peer-cert-file", (char *) c->peer_cert_file,
                        (char *) "--peer-key-file", (char *) c->peer_key_file,
                        NULL
                };
                r = strv_extend_strv(argv, tls);
                if (r < 0)
                        return r;
        }
        if (c->peer_trusted_ca_file) {
                /* A CA means: only members with a certificate it signed. */
                char *ca[] = {
                        (char *) "--peer-trusted-ca-file", (char *) c->peer_trusted_ca_file,
                        (char *) "--peer-client-cert-auth",
                        NULL
                };
                r = strv_extend_strv(argv, ca);
                if (r < 0)
                        return r;
        }
        return 0;
}

int etcd_server_unit_new(const EtcdServerConfig *c, EtcdServerUnit **ret) {
        _cleanup_(etcd_server_unit_freep) EtcdServerUnit *u = NULL;
        _cleanup_free_ char *sock = NULL, *peer = NULL, *quota = NULL;
        int r;

        if (!c || !ret || !c->data_dir || c->data_dir[0] != '/' || !c->runtime_dir || c->runtime_dir[0] != '/')
                return -EINVAL;

        r = mkdir_p(c->runtime_dir, 0755);
        if (r < 0)
                return r;
        r = mkdir_p(c->data_dir, 0700);
        if (r < 0)
                return r;

        u = calloc(1, sizeof(EtcdServerUnit));
        if (!u)
                return -ENOMEM;
        *u = (EtcdServerUnit) {
                .restart = "always",
                .restart_usec = 1000000U,
                .no_start_limit = true,
                /* the sockets (and the data) for the owner only */
                .umask = 0077,
                .timeout_usec = c->timeout_usec ?: ETCD_SERVER_START_TIMEOUT_USEC,
        };
        u->unit = strdup(c->unit ?: ETCD_SERVER_UNIT);
        u->description = strdup("Tank desired-state store (etcd)");
        u->runtime_dir = strdup(c->runtime_dir);
        if (!u->unit || !u->description || !u->runtime_dir)
                return -ENOMEM;
        r = make_socket_dir(c->runtime_dir, &u->working_directory);
        if (r < 0)
                return r;
        r = etcd_server_endpoint(c->runtime_dir, &u->endpoint);
        if (r < 0)
                return r;

        if (asprintf(&sock, "%s/" ETCD_SERVER_SOCKET, u->working_directory) < 0 ||
            asprintf(&peer, "%s/" ETCD_SERVER_PEER_SOCKET, u->working_directory) < 0 ||
            asprintf(&quota, "%" PRIu64, (uint64_t) (c->quota_backend_bytes ?: ETCD_SERVER_QUOTA_BYTES)) < 0)
                return -ENOMEM;

        /* Socket names are relative to WorkingDirectory= (etcd's unix://NAME:PORT form). */
        char *argv[] = {
                (char *) (c->etcd_binary ?: "/usr/bin/etcd"),
                (char *) "--data-dir", (char *) c->data_dir,
                (char *) "--listen-client-urls", (char *) "unix://" ETCD_SERVER_SOCKET,
                (char *) "--advertise-client-urls", (char *) "unix://" ETCD_SERVER_SOCKET,
                (char *) "--auto-compaction-mode", (char *) "periodic",
                (char *) "--auto-compaction-retention", (char *) ETCD_SERVER_COMPACTION_RETENTION,
                (char *) "--quota-backend-bytes", quota,
                (char *) "--snapshot-count", (char *) "10000",
                NULL
        };
        char *single[] = {
                (char *) "--name", (char *) "tank",
                (char *) "--listen-peer-urls", (char *) "unix://" ETCD_SERVER_PEER_SOCKET,
                (char *) "--initial-advertise-peer-urls", (char *) "unix://" ETCD_SERVER_PEER_SOCKET,
                (char *) "--initial-cluster", (char *) "tank=unix://" ETCD_SERVER_PEER_SOCKET,
                NULL
        };
        /* etcd leaves its sockets behind when killed and then fails to bind: remove them first */
        char *pre[] = { (char *) "/bin/rm", (char *) "-f", (char *) "--", sock, peer, NULL };

        u->exec_start = strv_copy(argv);
        u->exec_start_pre = strv_copy(pre);
        if (!u->exec_start || !u->exec_start_pre)
                return -ENOMEM;
        r = c->peers ? append_member_args(c, &u->exec_start) : strv_extend_strv(&u->exec_start, single);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(u);
        return 0;
}

EtcdServerUnit *etcd_server_unit_free(EtcdServerUnit *u) {
        if (!u)
                return NULL;
        free(u->unit);
        free(u->description);
        free(u->working_directory);
        strv_free(u->exec_start_pre);
        strv_free(u->exec_start);
        free(u->endpoint);
        free(u->runtime_dir);
        free(u);
        return NULL;
}

int etcd_server_unit_check_adopted(const EtcdServerUnit *u, const char **ret_reason) {
        _cleanup_free_ char *old = NULL, *new = NULL;

        if (asprintf(&old, "%s/" ETCD_SERVER_SOCKET, u->runtime_dir) < 0 ||
            asprintf(&new, "%s/" ETCD_SERVER_SOCKET, u->working_directory) < 0)
                return -ENOMEM;
        if (access(new, F_OK) < 0 && access(old, F_OK) >= 0) {
                if (ret_reason)
                        *ret_reason = "it was started with its sockets in the runtime directory by an older "
                                      "tankd; stop it and start tankd again";
                return -EADDRNOTAVAIL;
        }
        return 0;
}

int etcd_server_wait(sd_event *event, const EtcdServerUnit *u, EtcdServerReady cb, void *userdata,
                     EtcdServer **ret) {
        _cleanup_(etcd_server_freep) EtcdServer *e = NULL;
        int r;

        if (!event || !u || !cb || !ret)
                return -EINVAL;
        e = calloc(1, sizeof(EtcdServer));
        if (!e)
                return -ENOMEM;
        *e = (EtcdServer) {
                .event = sd_event_ref(event),
                .cb = cb,
                .userdata = userdata,
                .timeout_usec = u->timeout_usec,
        };
        e->unit = strdup(u->unit);
        e->endpoint = strdup(u->endpoint);
        if (!e->unit || !e->endpoint)
                return -ENOMEM;
        r = start_polling(e);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(e);
        return 0;
}

EtcdServer *etcd_server_free(EtcdServer *e) {
        if (!e)
                return NULL;
        e->cb = NULL;
        sd_event_source_disable_unref(e->poll_source);
        sd_event_source_disable_unref(e->finish_source);
        free(e->result_error);
        /* a pending probe is completed with -ECANCELED by store_free(); it must not find us */
        if (e->probe) {
                Store *p = TAKE_PTR(e->probe);
                store_set_health_callback(p, NULL, NULL);
                store_free(p);
        }
        sd_event_unref(e->event);
        free(e->unit);
        free(e->endpoint);
        free(e->last_error);
        free(e);
        return NULL;
}
