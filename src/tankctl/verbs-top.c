/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tankctl top: a container's processes from Manager.Top (src/daemon/bus-stats.h),
 * with their pids and uids both on the host and inside the container (its PID
 * and user namespaces), like podman top's hpid/pid and huser/user. */

#include <inttypes.h>
#include <stdio.h>

#include "escape.h"
#include "log.h"
#include "spec/pod.h"
#include "tankctl.h"

int verb_top(int argc, char *argv[], Context *ctx) {
        enum { ARG_CONTAINER = 'c' };
        static const struct option options[] = {
                COMMON_LONG_OPTIONS,
                { "container", required_argument, NULL, ARG_CONTAINER },
                {}
        };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *pod, *container = "";
        int c, r;

        while ((c = getopt_long(argc, argv, COMMON_SHORT_OPTIONS "c:", options, NULL)) >= 0) {
                if (common_option(ctx, c))
                        continue;
                switch (c) {
                case 'h':
                        verb_help("top");
                        return EXIT_SUCCESS;
                case ARG_CONTAINER:
                        container = optarg;
                        break;
                default:
                        return bad_option("top");
                }
        }
        if (optind + 1 != argc)
                return usage_error("top", optind >= argc ? "missing pod name" : "exactly one pod name expected");
        pod = argv[optind];
        if (!pod_name_is_valid(pod))
                return usage_error("top", "\"%s\" is not a valid pod name", pod);
        if (!isempty(container) && !pod_name_is_valid(container))
                return usage_error("top", "\"%s\" is not a valid container name", container);

        r = manager_call(ctx, "Top", 0, pod, &reply, "ss", pod, container);
        if (r != 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(uuuus)");
        if (r < 0)
                return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
        printf("%8s %8s %8s %8s %s\n", "HOSTPID", "PID", "HOSTUID", "UID", "COMMAND");
        for (;;) {
                _cleanup_free_ char *cmd = NULL;
                uint32_t hpid, pid, huid, uid;
                const char *command;

                r = sd_bus_message_read(reply, "(uuuus)", &hpid, &pid, &huid, &uid, &command);
                if (r < 0)
                        return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
                if (r == 0)
                        break;
                /* The container wrote its own command line. */
                cmd = str_escape_control(command);
                if (!cmd)
                        return log_oom(), EXIT_FAILURE;
                printf("%8" PRIu32 " %8" PRIu32 " %8" PRIu32 " %8" PRIu32 " %s\n", hpid, pid, huid, uid, cmd);
        }
        return EXIT_SUCCESS;
}
