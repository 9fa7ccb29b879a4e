/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tankctl pull: StartPull, then the pull object's signals (pull-progress.h)
 * until it finished; the digest on stdout, the progress on stderr. */

#include "log.h"
#include "pull-progress.h"
#include "tankctl.h"

int verb_pull(int argc, char *argv[], Context *ctx) {
        static const struct option options[] = {
                COMMON_LONG_OPTIONS,
                { "quiet", no_argument, NULL, 'q' },
                {}
        };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(pull_progress_freep) PullProgress *pp = NULL;
        bool quiet = false;
        const char *path;
        sd_bus *bus;
        int c, r;

        while ((c = getopt_long(argc, argv, COMMON_SHORT_OPTIONS "q", options, NULL)) >= 0) {
                if (common_option(ctx, c))
                        continue;
                switch (c) {
                case 'h':
                        verb_help("pull");
                        return EXIT_SUCCESS;
                case 'q':
                        quiet = true;
                        break;
                default:
                        return bad_option("pull");
                }
        }
        if (optind + 1 != argc)
                return usage_error("pull", optind >= argc ? "missing image reference" : "exactly one image expected");

        r = ctx_bus(ctx, &bus);
        if (r != 0)
                return r;
        /* The match before the call: no signal of this pull can be missed. */
        r = pull_progress_new(bus, &pp);
        if (r < 0)
                return log_error_errno(r, "cannot subscribe to tankd's pull signals: %m"), EXIT_FAILURE;
        pull_progress_set_quiet(pp, quiet);
        r = manager_call(ctx, "StartPull", 0, argv[optind], &reply, "s", argv[optind]);
        if (r != 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return log_error_errno(r, "bad reply from tankd: %m"), EXIT_FAILURE;
        return pull_progress_follow(pp, path, argv[optind]);
}
