/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tankctl update [--dry-run]: image auto-update now (issue 16). */
#include <stdlib.h>

#include "escape.h"
#include "log.h"
#include "tankctl.h"

/* Pulls happen before the answer: give them time. */
#define UPDATE_TIMEOUT_USEC (30ULL * 60ULL * 1000000ULL)

int verb_update(int argc, char *argv[], Context *ctx) {
        enum { ARG_DRY_RUN = ARG_VERB_BASE };
        static const struct option options[] = {
                COMMON_LONG_OPTIONS,
                { "dry-run", no_argument, NULL, ARG_DRY_RUN },
                {}
        };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        bool dry_run = false, header = false;
        int c, r;

        while ((c = getopt_long(argc, argv, COMMON_SHORT_OPTIONS, options, NULL)) >= 0) {
                if (common_option(ctx, c))
                        continue;
                switch (c) {
                case 'h':
                        verb_help("update");
                        return EXIT_SUCCESS;
                case ARG_DRY_RUN:
                        dry_run = true;
                        break;
                default:
                        return bad_option("update");
                }
        }
        if (optind < argc)
                return usage_error("update", "unexpected argument \"%s\"", argv[optind]);

        r = manager_call(ctx, "CheckUpdates", UPDATE_TIMEOUT_USEC, NULL, &reply, "b", dry_run);
        if (r != 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(sssss)");
        if (r < 0)
                return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
        for (;;) {
                _cleanup_free_ char *eimage = NULL;
                const char *pod, *container, *image, *current, *available;

                r = sd_bus_message_read(reply, "(sssss)", &pod, &container, &image, &current, &available);
                if (r == 0)
                        break;
                if (r < 0)
                        return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
                if (!header) {
                        printf("%-20s  %-16s  %-48s  %-71s  %s\n", "POD", "CONTAINER", "IMAGE", "CURRENT",
                               "AVAILABLE");
                        header = true;
                }
                /* The image comes from a spec: names are labels, digests were checked. */
                eimage = str_escape_control(image);
                if (!eimage)
                        return log_oom(), EXIT_FAILURE;
                printf("%-20s  %-16s  %-48s  %-71s  %s\n", pod, container, eimage, current, available);
        }
        if (!header && isatty(STDOUT_FILENO))
                printf(dry_run ? "No image updates available.\n" : "No images updated.\n");
        return EXIT_SUCCESS;
}
