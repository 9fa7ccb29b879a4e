/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test driver for image pulls (tankctl pull needs the daemon):
 *   pull-driver --data DIR [--mirror "DOMAIN URL"]... [--insecure HOST]...
 *               [--auth-file FILE] [--platform os/arch[/variant]] [--unpack]
 *               [--attempts N] [--backoff-ms N] [--abort-after-ms N] [--no-sync]
 *               [--stall-s N] [--max-unpacked-layer-size BYTES] [--progress] REF...
 * Pulls all REFs concurrently on one sd-event loop; prints "REF DIGEST" per
 * success, "REF: error: MESSAGE" per failure; exits 0 only if all succeeded.
 * --abort-after-ms tears everything down mid-pull (exit 3), as a daemon
 * shutting down would. --max-unpacked-layer-size sets that [Images] limit
 * (and so the layer scans of pull.h). --progress installs a pull observer
 * (pull.h) and prints on stderr how many reports it had, for
 * bench/pull-progress. */

#include <getopt.h>
#include <systemd/sd-event.h>

#include "image/layer.h"
#include "image/pull.h"
#include "log.h"
#include "strv.h"

typedef struct Job {
        const char *ref;
        int *pending;
        int *failed;
        sd_event *event;
} Job;

static void on_done(int r, const char *digest, const char *error_message, void *userdata) {
        Job *j = userdata;

        if (r < 0) {
                fprintf(stderr, "%s: error: %s\n", j->ref, error_message);
                (*j->failed)++;
        } else
                printf("%s %s\n", j->ref, digest);
        if (--*j->pending == 0)
                sd_event_exit(j->event, 0);
}

typedef struct ProgressCount {
        unsigned layer, finished;
} ProgressCount;

static void count_layer(void *userdata, const char *key, const char *layer_digest, PullLayerState state,
                        uint64_t done, uint64_t total) {
        ((ProgressCount *) userdata)->layer++;
}

static void count_finished(void *userdata, const char *key, int r, const char *digest, const char *error_message) {
        ((ProgressCount *) userdata)->finished++;
}

static int on_abort(sd_event_source *s, uint64_t usec, void *userdata) {
        *(int *) userdata = 1;
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int unpack_hook(void *userdata, int blob_fd, const char *media_type,
                       const char *digest, const char *diff_id, char **ret_error) {
        return layer_store_unpack(userdata, blob_fd, media_type, diff_id, ret_error);
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "data",       required_argument, NULL, 'd' },
                { "mirror",     required_argument, NULL, 'm' },
                { "insecure",   required_argument, NULL, 'i' },
                { "auth-file",  required_argument, NULL, 'a' },
                { "platform",   required_argument, NULL, 'p' },
                { "unpack",     no_argument,       NULL, 'u' },
                { "attempts",   required_argument, NULL, 'n' },
                { "backoff-ms", required_argument, NULL, 'b' },
                { "abort-after-ms", required_argument, NULL, 'x' },
                { "no-sync",    no_argument,       NULL, 's' },
                { "stall-s",    required_argument, NULL, 't' },
                { "max-unpacked-layer-size", required_argument, NULL, 'U' },
                { "progress",   no_argument,       NULL, 'P' },
                {}
        };
        _cleanup_(layer_store_freep) LayerStore *layers = NULL;
        _cleanup_(blobstore_freep) BlobStore *store = NULL;
        _cleanup_(registry_freep) Registry *reg = NULL;
        _cleanup_(puller_freep) Puller *puller = NULL;
        _cleanup_strv_free_ char **mirrors = NULL, **insecure = NULL;
        const char *data = NULL, *auth = NULL, *platform = NULL;
        RegistryOptions opts = {};
        ImageLimits limits = IMAGE_LIMITS_NONE;
        sd_event *event = NULL;
        bool unpack = false, no_sync = false, progress = false;
        ProgressCount counted = {};
        uint64_t abort_ms = 0;
        int c, r, pending = 0, failed = 0, aborted = 0;
        Job *jobs;

        log_parse_environment();
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'd': data = optarg; break;
                case 'm': if (strv_extend(&mirrors, optarg) < 0) return 1; break;
                case 'i': if (strv_extend(&insecure, optarg) < 0) return 1; break;
                case 'a': auth = optarg; break;
                case 'p': platform = optarg; break;
                case 'u': unpack = true; break;
                case 'n': opts.max_attempts = (unsigned) atoi(optarg); break;
                case 'b': opts.backoff_base_usec = (uint64_t) atoi(optarg) * 1000U; break;
                case 'x': abort_ms = (uint64_t) atoi(optarg); break;
                case 's': no_sync = true; break;
                case 'P': progress = true; break;
                case 't': opts.stall_timeout_usec = (uint64_t) atoi(optarg) * 1000000U; break;
                case 'U': limits.max_unpacked_layer_size = strtoull(optarg, NULL, 10); break;
                default: return 2;
                }
        if (!data || optind >= argc) {
                fprintf(stderr, "usage: pull-driver --data DIR [options] REF...\n");
                return 2;
        }

        r = sd_event_default(&event);
        if (r < 0)
                return log_error_errno(r, "sd_event: %m"), 1;
        r = registry_new(event, &opts, &reg);
        if (r < 0)
                return log_error_errno(r, "registry_new: %m"), 1;
        STRV_FOREACH(m, mirrors) {
                _cleanup_free_ char *dom = strndup(*m, strcspn(*m, " "));
                const char *url = *m + strcspn(*m, " ");
                r = dom ? registry_add_mirror(reg, dom, url + strspn(url, " ")) : -ENOMEM;
                if (r < 0)
                        return log_error_errno(r, "bad --mirror %s: %m", *m), 1;
        }
        STRV_FOREACH(h, insecure)
                if (registry_add_insecure(reg, *h) < 0)
                        return log_error("bad --insecure %s", *h), 1;
        if (auth) {
                _cleanup_free_ char *err = NULL;
                r = registry_load_auth_file(reg, auth, &err);
                if (r < 0)
                        return log_error_errno(r, "%s: %s", auth, err ?: "cannot load"), 1;
        }
        r = blobstore_open(data, &store);
        if (r < 0)
                return log_error_errno(r, "blob store %s: %m", data), 1;
        r = puller_new(event, reg, store, &puller);
        if (r < 0)
                return log_error_errno(r, "puller: %m"), 1;
        puller_set_limits(puller, &limits);
        if (platform) {
                _cleanup_strv_free_ char **parts = NULL;
                char *s = strdupa(platform), *tok, *save = NULL;
                for (tok = strtok_r(s, "/", &save); tok; tok = strtok_r(NULL, "/", &save))
                        if (strv_extend(&parts, tok) < 0)
                                return 1;
                if (strv_length(parts) < 2 || puller_set_platform(puller, parts[0], parts[1], parts[2]) < 0)
                        return log_error("bad --platform %s", platform), 1;
        }
        if (unpack) {
                r = layer_store_open(data, &layers);
                if (r < 0)
                        return log_error_errno(r, "layer store: %m"), 1;
                if (no_sync)
                        layer_store_set_sync(layers, false);
                puller_set_layer_hook(puller, unpack_hook, layers);
        }

        if (progress)
                puller_set_observer(puller, &(PullObserver) { .layer = count_layer, .finished = count_finished },
                                    &counted);

        jobs = calloc(argc - optind, sizeof(Job));
        if (!jobs)
                return 1;
        for (int i = optind; i < argc; i++) {
                _cleanup_free_ char *err = NULL;
                Job *j = &jobs[i - optind];

                *j = (Job) { .ref = argv[i], .pending = &pending, .failed = &failed, .event = event };
                pending++;
                r = image_pull(puller, argv[i], on_done, j, NULL, &err);
                if (r < 0) {
                        fprintf(stderr, "%s: error: %s\n", argv[i], err ?: strerror(-r));
                        pending--;
                        failed++;
                }
        }
        if (abort_ms > 0) {
                r = sd_event_add_time_relative(event, NULL, CLOCK_MONOTONIC, abort_ms * 1000U, 1,
                                               on_abort, &aborted);
                if (r < 0)
                        return log_error_errno(r, "timer: %m"), 1;
        }
        if (pending > 0)
                (void) sd_event_loop(event);

        if (progress)
                fprintf(stderr, "progress: %u layer reports, %u finished\n", counted.layer, counted.finished);
        puller = puller_free(puller);
        reg = registry_free(reg);
        sd_event_unref(event);
        free(jobs);
        return aborted ? 3 : failed > 0 ? 1 : 0;
}
