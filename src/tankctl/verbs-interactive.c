/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>

#include "detach.h"
#include "log.h"
#include "relay.h"
#include "spec/pod.h"
#include "strv.h"
#include "tankctl.h"
#include "time-util.h"
#include "unit-name.h"

static bool env_assignment_is_valid(const char *s) {
        const char *eq = strchr(s, '=');

        if (!eq || eq == s)
                return false;
        for (const char *p = s; p < eq; p++)
                if (!(*p == '_' || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                      (p > s && *p >= '0' && *p <= '9')))
                        return false;
        return true;
}

static int check_names(const char *verb, const char *pod, const char *container) {
        if (!pod_name_is_valid(pod))
                return usage_error(verb, "\"%s\" is not a valid pod name (a lowercase DNS label)", pod);
        if (container && !pod_name_is_valid(container))
                return usage_error(verb, "\"%s\" is not a valid container name (a lowercase DNS label)", container);
        return PARSE_CONTINUE;
}


/* The terminal fd belongs to the reply message: keep our own copy. */
static int reply_fd(sd_bus_message *reply, const char *types, int *ret, const char **ret_path) {
        int fd, r;

        r = ret_path ? sd_bus_message_read(reply, types, &fd, ret_path) : sd_bus_message_read(reply, types, &fd);
        if (r < 0)
                return r;
        fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        *ret = fd;
        return 0;
}

static int call_exec(Context *ctx, const char *pod, const char *container, char **argv, char **env,
                     const char *cwd, bool tty, int *ret_fd) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *session;
        sd_bus *bus;
        int r;

        r = ctx_bus(ctx, &bus);
        if (r != 0)
                return r;
        r = sd_bus_message_new_method_call(bus, &m, TANK_BUS_NAME, TANK_BUS_PATH, TANK_MANAGER_INTERFACE, "Exec");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", pod, strempty(container));
        if (r >= 0)
                r = sd_bus_message_append_strv(m, argv);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, env);
        if (r >= 0)
                r = sd_bus_message_append(m, "sb", strempty(cwd), tty);
        if (r < 0)
                return log_error_errno(r, "cannot build the Exec call: %m"), EXIT_FAILURE;
        r = sd_bus_call(bus, m, 60 * USEC_PER_SEC, &error, &reply);
        if (r < 0) {
                if (sd_bus_error_is_set(&error))
                        return print_bus_error(&error, pod);
                return log_error_errno(r, "Exec failed: %m"), EXIT_FAILURE;
        }
        r = reply_fd(reply, "ho", ret_fd, &session);
        if (r < 0)
                return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
        log_debug("exec session %s", session);
        return 0;
}

int verb_exec(int argc, char *argv[], Context *ctx) {
        enum { ARG_DETACH_KEYS = ARG_VERB_BASE };
        static const struct option options[] = {
                COMMON_LONG_OPTIONS,
                { "tty",         no_argument,       NULL, 't' },
                { "interactive", no_argument,       NULL, 'i' },
                { "env",         required_argument, NULL, 'e' },
                { "workdir",     required_argument, NULL, 'w' },
                { "container",   required_argument, NULL, 'c' },
                { "detach-keys", required_argument, NULL, ARG_DETACH_KEYS },
                {}
        };
        _cleanup_strv_free_ char **env = NULL;
        const char *pod = NULL, *container = NULL, *workdir = NULL;
        DetachKeys keys;
        bool tty = false;
        int c, r;

        (void) detach_keys_parse(DETACH_KEYS_DEFAULT, &keys);

        /* POD may sit between options ("exec -t web -c app -- sh"), but nothing
         * after the command may be taken as ours: "+" stops at the first
         * non-option, which is POD the first time and the command the second. */
        for (;;) {
                c = getopt_long(argc, argv, "+" COMMON_SHORT_OPTIONS "tie:w:c:", options, NULL);
                if (c < 0) {
                        if (pod || optind >= argc || streq(argv[optind - 1], "--"))
                                break;
                        pod = argv[optind++];
                        continue;
                }
                if (common_option(ctx, c))
                        continue;
                switch (c) {
                case 'h':
                        verb_help("exec");
                        return EXIT_SUCCESS;
                case 't':
                        tty = true;
                        break;
                case 'i':
                        break;   /* stdin is always forwarded; accepted for docker muscle memory */
                case 'e':
                        if (!env_assignment_is_valid(optarg))
                                return usage_error("exec", "-e %s: expected KEY=VALUE", optarg);
                        r = strv_extend(&env, optarg);
                        if (r < 0)
                                return log_oom(), EXIT_FAILURE;
                        break;
                case 'w':
                        if (optarg[0] != '/')
                                return usage_error("exec", "-w %s: the working directory must be absolute", optarg);
                        workdir = optarg;
                        break;
                case 'c':
                        container = optarg;
                        break;
                case ARG_DETACH_KEYS:
                        if (detach_keys_parse(optarg, &keys) < 0)
                                return usage_error("exec", "--detach-keys=%s: expected e.g. \"ctrl-p,ctrl-q\"", optarg);
                        break;
                default:
                        return bad_option("exec");
                }
        }
        if (!pod) {
                if (optind < argc && streq(argv[optind - 1], "--"))
                        return usage_error("exec", "missing pod name before \"--\"");
                return usage_error("exec", "missing pod name");
        }
        r = check_names("exec", pod, container);
        if (r != PARSE_CONTINUE)
                return r;
        if (optind >= argc)
                return usage_error("exec", "missing command (tankctl exec POD -- CMD...)");

        if (ctx->host)
                return log_error("exec: --host is not supported (a terminal cannot travel over ssh's bus transport)"),
                       EXIT_FAILURE;

        /* The caller's TERM first, so -e TERM=... still wins (last writer). */
        _cleanup_strv_free_ char **full_env = NULL;
        _cleanup_free_ char *term = NULL;
        if (asprintf(&term, "TERM=%s", getenv("TERM") ?: "xterm") < 0 || strv_extend(&full_env, term) < 0 ||
            strv_extend_strv(&full_env, env) < 0)
                return log_oom(), EXIT_FAILURE;

        _cleanup_close_ int fd = -EBADF;
        r = call_exec(ctx, pod, container, argv + optind, full_env, workdir, tty, &fd);
        if (r != 0)
                return r;
        return relay_run(fd, tty, &keys);
}

int verb_attach(int argc, char *argv[], Context *ctx) {
        enum { ARG_DETACH_KEYS = ARG_VERB_BASE };
        static const struct option options[] = {
                COMMON_LONG_OPTIONS,
                { "container",   required_argument, NULL, 'c' },
                { "detach-keys", required_argument, NULL, ARG_DETACH_KEYS },
                {}
        };
        const char *container = NULL;
        DetachKeys keys;
        int c, r;

        (void) detach_keys_parse(DETACH_KEYS_DEFAULT, &keys);

        while ((c = getopt_long(argc, argv, COMMON_SHORT_OPTIONS "c:", options, NULL)) >= 0) {
                if (common_option(ctx, c))
                        continue;
                switch (c) {
                case 'h':
                        verb_help("attach");
                        return EXIT_SUCCESS;
                case 'c':
                        container = optarg;
                        break;
                case ARG_DETACH_KEYS:
                        if (detach_keys_parse(optarg, &keys) < 0)
                                return usage_error("attach", "--detach-keys=%s: expected e.g. \"ctrl-p,ctrl-q\"", optarg);
                        break;
                default:
                        return bad_option("attach");
                }
        }
        if (optind + 1 != argc)
                return usage_error("attach", optind >= argc ? "missing pod name" : "exactly one pod name expected");
        r = check_names("attach", argv[optind], container);
        if (r != PARSE_CONTINUE)
                return r;

        if (ctx->host)
                return log_error("attach: --host is not supported (a terminal cannot travel over ssh's bus transport)"),
                       EXIT_FAILURE;

        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_close_ int fd = -EBADF;
        r = manager_call(ctx, "Attach", 30 * USEC_PER_SEC, argv[optind], &reply, "ss", argv[optind],
                         strempty(container));
        if (r != 0)
                return r;
        r = reply_fd(reply, "h", &fd, NULL);
        if (r < 0)
                return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
        return relay_run(fd, true, &keys);
}
