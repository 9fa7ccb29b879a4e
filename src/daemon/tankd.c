/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>

#include "daemon/manager.h"
#include "kernel-features.h"
#include "log.h"
#include "rlimit-util.h"

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "Tank's daemon: keeps the pods in the store running on this host.\n\n"
               "  -h --help              Show this help\n"
               "     --version           Show package version\n"
               "     --config-dir=DIR    Read tank.conf, tank.conf.d/ and pods.d/ from DIR\n"
               "                         (default: " TANK_CONFIG_DIR_DEFAULT ")\n"
               "     --runtime-dir=DIR   Runtime state (default: /run/tank)\n"
               "\nSee tankd(8), tank.conf(5) and tank-pod(5).\n",
               program_invocation_short_name);
}

typedef struct Args {
        const char *config_dir;
        const char *runtime_dir;
} Args;

static int parse_argv(int argc, char *argv[], Args *args) {
        enum { ARG_VERSION = 0x100, ARG_CONFIG_DIR, ARG_RUNTIME_DIR };
        static const struct option options[] = {
                { "help",        no_argument,       NULL, 'h'             },
                { "version",     no_argument,       NULL, ARG_VERSION     },
                { "config-dir",  required_argument, NULL, ARG_CONFIG_DIR  },
                { "runtime-dir", required_argument, NULL, ARG_RUNTIME_DIR },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("tankd %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_CONFIG_DIR:
                        args->config_dir = optarg;
                        break;
                case ARG_RUNTIME_DIR:
                        args->runtime_dir = optarg;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                log_error("%s takes no arguments.", program_invocation_short_name);
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_free_ char *error = NULL;
        Args args = {};
        int r;

        log_set_prefix("tankd");
        log_parse_environment();

        r = parse_argv(argc, argv, &args);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        /* A few descriptors per start in flight and per client, hundreds of
         * starts at once: the soft limit of 1024 is not enough. */
        r = rlimit_nofile_bump();
        if (r < 0)
                log_warning_errno(r, "Failed to raise the soft limit on open files: %m");

        /* Before anything is started: on a kernel too old, say what is missing
         * instead of failing later inside a shim, and exit with the status
         * tankd.service does not restart on (a restart finds the same kernel). */
        r = kernel_features_check(NULL, 0, &error);
        if (r == -EOPNOTSUPP) {
                log_error("%s", strna(error));
                return KERNEL_FEATURES_EXIT_STATUS;
        }
        if (r < 0) {
                log_error_errno(r, "Cannot probe the kernel's features: %m");
                return EXIT_FAILURE;
        }

        r = manager_new(&(ManagerOptions) { .config_dir = args.config_dir, .runtime_dir = args.runtime_dir }, &m);
        if (r < 0)
                return EXIT_FAILURE;
        r = manager_run(m);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
