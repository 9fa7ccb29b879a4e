/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "daemon/bus-exec.h"
#include "daemon/node.h"
#include "daemon/scheduler.h"
#include "log.h"
#include "reconcile/exec-spawn.h"
#include "reconcile/launch.h"
#include "shim/exec-protocol.h"
#include "strv.h"
#include "time-util.h"

#define EXEC_ARGV_MAX 4096
#define EXEC_ENV_MAX 4096

typedef struct ExecService {
        Manager *manager;
        uint64_t next_id;
} ExecService;

typedef struct ExecSession {
        Manager *manager;
        char *path;
        char *pod;
        char *container;
        char *unit;
        uint32_t pid;           /* the process, as seen from the host; 0 until running */
        int running;            /* sd-bus "b" */
        int32_t exit_status;    /* -1 while running */

        sd_bus_message *call;   /* the Exec call, until answered */
        int client_fd;          /* our end of the caller's socket, until answered */
        ExecSpawn *spawn;       /* tank-exec, until it ended */
        sd_event_source *linger;
        sd_bus_slot *object;    /* floating; its destroy callback frees us */
} ExecSession;

static void exec_session_free(void *userdata) {
        ExecSession *s = userdata;

        if (!s)
                return;
        sd_bus_message_unref(s->call);
        safe_close(s->client_fd);
        exec_spawn_free(s->spawn);
        sd_event_source_disable_unref(s->linger);
        free(s->path);
        free(s->pod);
        free(s->container);
        free(s->unit);
        free(s);
}

static void session_fail_call(ExecSession *s, const char *name, const char *message) {
        if (!s->call)
                return;
        (void) sd_bus_reply_method_errorf(s->call, name, "%s", message);
        s->call = sd_bus_message_unref(s->call);
        s->client_fd = safe_close(s->client_fd);
}

/* Frees s through the slot's destroy callback. The bus holds the slot's only
 * reference, and sd_bus_slot_set_floating(slot, 0) drops exactly that one:
 * the slot and s are gone when it returns, so nothing may unref it after
 * (that was a write into freed memory 60 s after every exec session, when
 * the linger timer removed it, and tankd aborted in malloc later on). */
static void session_remove(ExecSession *s) {
        (void) sd_bus_slot_set_floating(s->object, 0);
}

static int on_linger_done(sd_event_source *src, uint64_t usec, void *userdata) {
        ExecSession *s = userdata;

        (void) sd_bus_emit_object_removed(s->manager->bus, s->path);
        session_remove(s);
        return 0;
}

static void session_ended(ExecSession *s, int status) {
        if (!s->running)
                return;
        s->running = false;
        s->exit_status = status;
        s->spawn = exec_spawn_free(s->spawn);
        (void) sd_bus_emit_properties_changed(s->manager->bus, s->path, TANK_SESSION_INTERFACE,
                                              "Running", "ExitStatus", NULL);
        if (sd_event_add_time_relative(s->manager->event, &s->linger, CLOCK_MONOTONIC,
                                       BUS_EXEC_SESSION_LINGER_USEC, 0, on_linger_done, s) < 0)
                log_debug("session %s: cannot arm the removal timer, it stays", s->path);
}

static void on_spawn_running(ExecSpawn *x, pid_t pid, void *userdata) {
        ExecSession *s = userdata;

        if (!s->call)
                return;
        s->pid = (uint32_t) pid;
        (void) sd_bus_reply_method_return(s->call, "ho", s->client_fd, s->path);
        s->call = sd_bus_message_unref(s->call);
        s->client_fd = safe_close(s->client_fd);
}

static void on_spawn_failed(ExecSpawn *x, const char *message, void *userdata) {
        session_fail_call(userdata, TANK_ERROR_EXEC_FAILED, message);
}

static void on_spawn_exited(ExecSpawn *x, int status, void *userdata) {
        session_ended(userdata, status);
}

static const ExecSpawnCallbacks spawn_callbacks = {
        .running = on_spawn_running,
        .failed = on_spawn_failed,
        .exited = on_spawn_exited,
};

static const sd_bus_vtable session_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Pod", "s", NULL, offsetof(ExecSession, pod), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Container", "s", NULL, offsetof(ExecSession, container), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Pid", "u", NULL, offsetof(ExecSession, pid), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Running", "b", NULL, offsetof(ExecSession, running), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ExitStatus", "i", NULL, offsetof(ExecSession, exit_status),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END
};

int bus_find_running_container(Manager *m, sd_bus_message *call, const char *pod, const char *container,
                                 sd_bus_error *error, ContainerState **ret) {
        PodState *p = reconciler_get_pod(m->reconciler, pod);
        const char *node = scheduler_pod_node(m->scheduler, pod);
        ContainerState *c = NULL;

        if (!p)
                return sd_bus_error_setf(error, TANK_ERROR_NO_SUCH_POD, "no such pod: %s", pod);
        /* Its containers are another node's: say which, rather than "not running". */
        if (node && !streq(node, node_name(m->node)))
                return sd_bus_error_setf(error, TANK_ERROR_ON_OTHER_NODE,
                                         "pod %s runs on node %s, not on this node (%s): run this there", pod,
                                         node, node_name(m->node));
        if (isempty(container)) {
                if (p->desired && p->desired->n_containers > 0)
                        c = pod_state_find_container(p, p->desired->containers[0].name);
                else if (p->n_containers > 0)
                        c = p->containers[0];
        } else
                c = pod_state_find_container(p, container);
        if (!c) {
                if (!isempty(container) && p->desired) {
                        bool known = false;
                        for (size_t i = 0; i < p->desired->n_containers; i++)
                                known = known || streq(p->desired->containers[i].name, container);
                        if (!known)
                                return sd_bus_error_setf(error, TANK_ERROR_NO_SUCH_POD,
                                                         "pod %s has no container %s", pod, container);
                }
                return sd_bus_error_setf(error, TANK_ERROR_NOT_RUNNING, "pod %s: container %s is not running",
                                         pod, isempty(container) ? "(first)" : container);
        }
        if (c->lifecycle.phase != CONTAINER_RUNNING || c->pid <= 0 || !c->unit)
                return sd_bus_error_setf(error, TANK_ERROR_NOT_RUNNING, "pod %s: container %s is not running (%s)",
                                         pod, c->name, container_phase_to_string(c->lifecycle.phase));
        *ret = c;
        return 0;
}

static bool env_is_valid(char **env) {
        STRV_FOREACH(e, env) {
                const char *eq = strchr(*e, '=');
                if (!eq || eq == *e)
                        return false;
        }
        return true;
}

static int spawn_helper(ExecSession *s, ContainerState *c, char **argv, char **env, const char *cwd, int tty,
                        int client_child) {
        _cleanup_free_ char *run_dir = NULL, *config = NULL, *socket = NULL;
        int r;

        r = container_run_dir(s->manager->reconciler, c->pod->name, c->name, &run_dir);
        if (r < 0)
                return r;
        if (asprintf(&config, "%s/config.json", run_dir) < 0 ||
            asprintf(&socket, "%s/" EXEC_SOCKET_NAME, run_dir) < 0)
                return -ENOMEM;
        return exec_spawn(s->manager->event,
                          &(ExecSpawnParams) {
                                  .exe = &s->manager->exec_exe,
                                  .config_path = config,
                                  .workload_pid = c->pid,
                                  .unit = c->unit,
                                  .shim_socket = socket,
                                  .shim_pid = c->shim_pid,
                                  .argv = argv,
                                  .env = env,
                                  .cwd = cwd,
                                  .tty = tty,
                          },
                          client_child, &spawn_callbacks, s, &s->spawn);
}

static int method_exec(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        ExecService *svc = userdata;
        Manager *m = svc->manager;
        _cleanup_strv_free_ char **argv = NULL, **env = NULL;
        _cleanup_close_ int client_child = -EBADF;
        const char *pod, *container, *cwd;
        ContainerState *c = NULL;
        ExecSession *s;
        int cl[2], tty, r;

        r = sd_bus_message_read(call, "ss", &pod, &container);
        if (r >= 0)
                r = sd_bus_message_read_strv(call, &argv);
        if (r >= 0)
                r = sd_bus_message_read_strv(call, &env);
        if (r >= 0)
                r = sd_bus_message_read(call, "sb", &cwd, &tty);
        if (r < 0)
                return r;
        if (strv_length(argv) == 0 || strv_length(argv) > EXEC_ARGV_MAX || isempty(argv[0]))
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "argv must name a command");
        if (strv_length(env) > EXEC_ENV_MAX || !env_is_valid(env))
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "env entries must be KEY=VALUE");
        if (!isempty(cwd) && cwd[0] != '/')
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "cwd must be absolute");
        r = bus_find_running_container(m, call, pod, container, error, &c);
        if (r < 0)
                return r;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cl) < 0)
                return -errno;
        client_child = cl[1];

        s = calloc(1, sizeof(ExecSession));
        if (!s) {
                safe_close(cl[0]);
                return -ENOMEM;
        }
        s->manager = m;
        s->client_fd = cl[0];
        s->running = true;
        s->exit_status = -1;
        if (asprintf(&s->path, TANK_BUS_SESSION_PREFIX "/%" PRIu64, ++svc->next_id) < 0 ||
            !(s->pod = strdup(pod)) || !(s->container = strdup(c->name)) || !(s->unit = strdup(c->unit))) {
                exec_session_free(s);
                return -ENOMEM;
        }
        r = sd_bus_add_object_vtable(m->bus, &s->object, s->path, TANK_SESSION_INTERFACE, session_vtable, s);
        if (r < 0) {
                exec_session_free(s);
                return r;
        }
        (void) sd_bus_slot_set_destroy_callback(s->object, exec_session_free);
        /* The bus holds the only reference from now on: it frees the session
         * when it goes, or session_remove() does. */
        (void) sd_bus_slot_set_floating(s->object, 1);
        sd_bus_slot_unref(s->object);

        r = spawn_helper(s, c, argv, env, cwd, tty, client_child);
        if (r < 0) {
                session_remove(s);
                return r;
        }
        s->call = sd_bus_message_ref(call);
        (void) sd_bus_emit_object_added(m->bus, s->path);
        return 1;
}

static int connect_attach(Manager *m, ContainerState *c, int *ret) {
        _cleanup_free_ char *run_dir = NULL;
        _cleanup_close_ int dirfd = -EBADF, fd = -EBADF;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int r;

        r = container_run_dir(m->reconciler, c->pod->name, c->name, &run_dir);
        if (r < 0)
                return r;
        dirfd = open(run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return -errno;
        /* Through the dirfd: the run dir may be longer than sun_path allows. */
        (void) snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/attach", dirfd);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return -errno;
        *ret = TAKE_FD(fd);
        return 0;
}

static int method_attach(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        ExecService *svc = userdata;
        Manager *m = svc->manager;
        _cleanup_close_ int fd = -EBADF;
        const char *pod, *container;
        ContainerState *c = NULL;
        PodState *p;
        int r;

        r = sd_bus_message_read(call, "ss", &pod, &container);
        if (r < 0)
                return r;
        p = reconciler_get_pod(m->reconciler, pod);
        if (!p)
                return sd_bus_error_setf(error, TANK_ERROR_NO_SUCH_POD, "no such pod: %s", pod);
        if (p->desired)
                for (size_t i = 0; i < p->desired->n_containers; i++) {
                        const PodContainer *pc = &p->desired->containers[i];
                        if ((isempty(container) && i == 0) || streq(pc->name, container)) {
                                if (!pc->tty)
                                        return sd_bus_error_setf(error, TANK_ERROR_NOT_A_TTY,
                                                                 "pod %s: container %s has no tty (\"tty\": true in the spec)",
                                                                 pod, pc->name);
                                break;
                        }
                }
        r = bus_find_running_container(m, call, pod, container, error, &c);
        if (r < 0)
                return r;
        r = connect_attach(m, c, &fd);
        if (r == -ENOENT || r == -ECONNREFUSED)
                return sd_bus_error_setf(error, TANK_ERROR_NOT_RUNNING, "pod %s: container %s has no attach socket",
                                         pod, c->name);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "cannot connect to the container's terminal: %m");
        return sd_bus_reply_method_return(call, "h", fd);
}

static const sd_bus_vtable exec_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Exec",
                                SD_BUS_ARGS("s", pod, "s", container, "as", argv, "as", env, "s", cwd, "b", tty),
                                SD_BUS_RESULT("h", terminal, "o", session), method_exec,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Attach", SD_BUS_ARGS("s", pod, "s", container), SD_BUS_RESULT("h", terminal),
                                method_attach, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};

int bus_exec_install(Manager *m) {
        sd_bus_slot *slot = NULL;
        ExecService *svc;
        int r;

        svc = calloc(1, sizeof(ExecService));
        if (!svc)
                return log_oom();
        svc->manager = m;
        /* A vtable of its own beside the Manager's (sd-bus wants distinct userdata). */
        r = sd_bus_add_object_vtable(m->bus, &slot, TANK_BUS_PATH, TANK_MANAGER_INTERFACE, exec_vtable, svc);
        if (r < 0) {
                free(svc);
                return log_error_errno(r, "Failed to register Exec/Attach: %m");
        }
        (void) sd_bus_slot_set_destroy_callback(slot, free);
        (void) sd_bus_slot_set_floating(slot, 1);
        sd_bus_slot_unref(slot);
        return 0;
}
