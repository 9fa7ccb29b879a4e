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
        sd_bus *bus;
        sd_event *event;
        char *unit, *data_dir, *runtime_dir, *socket_dir, *binary, *endpoint;
        uint64_t quota, timeout_usec, deadline;
        EtcdServerReady cb;
        void *userdata;

        sd_bus_slot *slot;
        Store *probe;
        sd_event_source *poll_source;
        char *last_error;
        bool adopted;
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
        e->slot = sd_bus_slot_unref(e->slot);
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

static void fail_errorf(EtcdServer *e, int r, const char *what, const char *detail) {
        _cleanup_free_ char *msg = NULL;

        if (asprintf(&msg, "%s %s: %s (see systemctl status %s)", what, e->unit, strempty(detail), e->unit) < 0)
                msg = NULL;
        finish(e, r, msg ?: what);
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

static void start_polling(EtcdServer *e) {
        _cleanup_free_ char *err = NULL;
        char *endpoints[] = { e->endpoint, NULL };
        StoreConfig cfg = {
                .endpoints = endpoints,
                .max_attempts = 1,
                .timeout_usec = 2U * 1000U * 1000U,
        };
        int r;

        r = store_new(e->event, &cfg, &e->probe, &err);
        if (r < 0)
                return finish(e, r, err ?: "could not create a store client");
        e->deadline = now_usec() + e->timeout_usec;
        r = sd_event_add_time(e->event, &e->poll_source, CLOCK_MONOTONIC, 0, 0, poll_handler, e);
        if (r < 0)
                finish(e, r, "out of memory");
}

static int append_exec(sd_bus_message *m, const char *name, char **argv) {
        int r;

        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", name);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "a(sasb)");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sasb)");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'r', "sasb");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", argv[0]);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, argv);
        if (r >= 0)     /* ignore_failure */
                r = sd_bus_message_append(m, "b", false);
        for (int i = 0; r >= 0 && i < 4; i++)
                r = sd_bus_message_close_container(m);
        return r;
}

static int start_unit_done(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        EtcdServer *e = userdata;
        const sd_bus_error *err = sd_bus_message_get_error(reply);

        e->slot = sd_bus_slot_unref(e->slot);
        if (err)
                return fail_errorf(e, -sd_bus_message_get_errno(reply), "could not start", err->message), 0;
        start_polling(e);
        return 0;
}

static int reset_done(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        EtcdServer *e = userdata;
        int r;

        /* "not failed" is fine: we only want a failed or start-limited unit startable */
        e->slot = sd_bus_slot_unref(e->slot);
        r = sd_bus_call_method_async(e->bus, &e->slot, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                     "org.freedesktop.systemd1.Manager", "StartUnit", start_unit_done, e,
                                     "ss", e->unit, "replace");
        if (r < 0)
                fail_errorf(e, r, "could not start", strerror(-r));
        return 0;
}

static int state_done(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        EtcdServer *e = userdata;
        const char *state = NULL;
        int r;

        e->slot = sd_bus_slot_unref(e->slot);
        if (!sd_bus_message_is_method_error(reply, NULL) &&
            sd_bus_message_read(reply, "v", "s", &state) >= 0 &&
            state && (streq(state, "active") || streq(state, "activating") || streq(state, "reloading"))) {
                /* a previous tankd's store: keep it, with its clients and its watches;
                 * unless an older tankd started it with its sockets straight in
                 * runtime_dir, where we neither look nor want them */
                _cleanup_free_ char *old = NULL, *new = NULL;

                if (asprintf(&old, "%s/" ETCD_SERVER_SOCKET, e->runtime_dir) < 0 ||
                    asprintf(&new, "%s/" ETCD_SERVER_SOCKET, e->socket_dir) < 0)
                        return fail_errorf(e, -ENOMEM, "could not adopt", "out of memory"), 0;
                if (access(new, F_OK) < 0 && access(old, F_OK) >= 0)
                        return fail_errorf(e, -EADDRNOTAVAIL, "could not adopt",
                                           "it was started with its sockets in the runtime directory by an "
                                           "older tankd; stop it and start tankd again"), 0;
                e->adopted = true;
                start_polling(e);
                return 0;
        }

        r = sd_bus_call_method_async(e->bus, &e->slot, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                     "org.freedesktop.systemd1.Manager", "ResetFailedUnit", reset_done, e,
                                     "s", e->unit);
        if (r < 0)
                fail_errorf(e, r, "could not start", strerror(-r));
        return 0;
}

static int query_state(EtcdServer *e) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", e->unit, &path);
        if (r < 0)
                return r;
        return sd_bus_call_method_async(e->bus, &e->slot, "org.freedesktop.systemd1", path,
                                        "org.freedesktop.DBus.Properties", "Get", state_done, e,
                                        "ss", "org.freedesktop.systemd1.Unit", "ActiveState");
}

static int transient_done(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        EtcdServer *e = userdata;
        const sd_bus_error *err = sd_bus_message_get_error(reply);
        int r;

        e->slot = sd_bus_slot_unref(e->slot);
        if (err && sd_bus_error_has_name(err, "org.freedesktop.systemd1.UnitExists")) {
                r = query_state(e);
                if (r < 0)
                        fail_errorf(e, r, "could not query", strerror(-r));
                return 0;
        }
        if (err)
                return fail_errorf(e, -sd_bus_message_get_errno(reply), "could not create", err->message), 0;
        start_polling(e);
        return 0;
}

static int start_transient(EtcdServer *e) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *sock = NULL, *peer = NULL, *quota = NULL;
        int r;

        if (asprintf(&sock, "%s/" ETCD_SERVER_SOCKET, e->socket_dir) < 0 ||
            asprintf(&peer, "%s/" ETCD_SERVER_PEER_SOCKET, e->socket_dir) < 0 ||
            asprintf(&quota, "%" PRIu64, e->quota) < 0)
                return -ENOMEM;

        /* Socket names are relative to WorkingDirectory= (etcd's unix://NAME:PORT form). */
        char *argv[] = {
                e->binary, (char *) "--name", (char *) "tank", (char *) "--data-dir", e->data_dir,
                (char *) "--listen-client-urls", (char *) "unix://" ETCD_SERVER_SOCKET,
                (char *) "--advertise-client-urls", (char *) "unix://" ETCD_SERVER_SOCKET,
                (char *) "--listen-peer-urls", (char *) "unix://" ETCD_SERVER_PEER_SOCKET,
                (char *) "--initial-advertise-peer-urls", (char *) "unix://" ETCD_SERVER_PEER_SOCKET,
                (char *) "--initial-cluster", (char *) "tank=unix://" ETCD_SERVER_PEER_SOCKET,
                (char *) "--auto-compaction-mode", (char *) "periodic",
                (char *) "--auto-compaction-retention", (char *) ETCD_SERVER_COMPACTION_RETENTION,
                (char *) "--quota-backend-bytes", quota,
                (char *) "--snapshot-count", (char *) "10000",
                NULL
        };
        /* etcd leaves its sockets behind when killed and then fails to bind: remove them first */
        char *pre[] = { (char *) "/bin/rm", (char *) "-f", (char *) "--", sock, peer, NULL };

        r = sd_bus_message_new_method_call(e->bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                           "org.freedesktop.systemd1.Manager", "StartTransientUnit");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ss", e->unit, "fail");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)(sv)",
                                  "Description", "s", "Tank desired-state store (etcd)",
                                  "Restart", "s", "always",
                                  "RestartUSec", "t", (uint64_t) 1000000,
                                  "StartLimitIntervalUSec", "t", (uint64_t) 0,
                                  "WorkingDirectory", "s", e->socket_dir,
                                  /* the sockets (and the data) for the owner only */
                                  "UMask", "u", (uint32_t) 0077);
        if (r < 0)
                return r;
        r = append_exec(m, "ExecStartPre", pre);
        if (r < 0)
                return r;
        r = append_exec(m, "ExecStart", argv);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r < 0)
                return r;

        return sd_bus_call_async(e->bus, &e->slot, m, transient_done, e, 0);
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

int etcd_server_start(sd_bus *bus, sd_event *event, const EtcdServerConfig *c, EtcdServerReady cb,
                      void *userdata, EtcdServer **ret) {
        EtcdServer *e;
        int r;

        if (!bus || !event || !c || !cb || !ret || !c->data_dir || c->data_dir[0] != '/' ||
            !c->runtime_dir || c->runtime_dir[0] != '/')
                return -EINVAL;

        r = mkdir_p(c->runtime_dir, 0755);
        if (r < 0)
                return r;
        r = mkdir_p(c->data_dir, 0700);
        if (r < 0)
                return r;

        e = calloc(1, sizeof(EtcdServer));
        if (!e)
                return -ENOMEM;
        *e = (EtcdServer) {
                .bus = sd_bus_ref(bus),
                .event = sd_event_ref(event),
                .cb = cb,
                .userdata = userdata,
                .quota = c->quota_backend_bytes ?: ETCD_SERVER_QUOTA_BYTES,
                .timeout_usec = c->timeout_usec ?: ETCD_SERVER_START_TIMEOUT_USEC,
        };
        e->unit = strdup(c->unit ?: ETCD_SERVER_UNIT);
        e->data_dir = strdup(c->data_dir);
        e->runtime_dir = strdup(c->runtime_dir);
        if (e->runtime_dir) {
                r = make_socket_dir(e->runtime_dir, &e->socket_dir);
                if (r < 0) {
                        etcd_server_free(e);
                        return r;
                }
        }
        e->binary = strdup(c->etcd_binary ?: "/usr/bin/etcd");
        r = etcd_server_endpoint(c->runtime_dir, &e->endpoint);
        if (r < 0 || !e->unit || !e->data_dir || !e->runtime_dir || !e->binary) {
                etcd_server_free(e);
                return r < 0 ? r : -ENOMEM;
        }

        r = start_transient(e);
        if (r < 0) {
                etcd_server_free(e);
                return r;
        }
        *ret = e;
        return 0;
}

EtcdServer *etcd_server_free(EtcdServer *e) {
        if (!e)
                return NULL;
        e->cb = NULL;
        sd_bus_slot_unref(e->slot);
        sd_event_source_disable_unref(e->poll_source);
        sd_event_source_disable_unref(e->finish_source);
        free(e->result_error);
        /* a pending probe is completed with -ECANCELED by store_free(); it must not find us */
        if (e->probe) {
                Store *p = TAKE_PTR(e->probe);
                store_set_health_callback(p, NULL, NULL);
                store_free(p);
        }
        sd_bus_unref(e->bus);
        sd_event_unref(e->event);
        free(e->unit);
        free(e->data_dir);
        free(e->runtime_dir);
        free(e->socket_dir);
        free(e->binary);
        free(e->endpoint);
        free(e->last_error);
        free(e);
        return NULL;
}

bool etcd_server_adopted(EtcdServer *e) {
        return e->adopted;
}
