/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "escape.h"
#include "log.h"
#include "pod-wait.h"
#include "pull-progress.h"
#include "spec/reference.h"
#include "strv.h"
#include "tankctl.h"

#define LABEL_LEN 12

typedef struct Layer {
        char *digest;
        char label[LABEL_LEN + 1];      /* hex digits only: safe to print */
        char state[16];
        uint64_t done, total;
        uint64_t start_usec, end_usec;
        bool printed;                   /* off a terminal: its one line is out */
} Layer;

struct PullProgress {
        sd_bus *bus;
        sd_bus_slot *match, *owner_match;
        bool tty, quiet;

        char *follow;                   /* the one pull object shown, or NULL */
        char **images;                  /* else: the pulls of these image keys */
        char **shown, **ignored;        /* pull objects looked at */

        Layer *layers;
        size_t n_layers, drawn;

        bool finished, gone;
        char *digest, *error;
};

static void layer_done(Layer *l) {
        free(l->digest);
}

PullProgress *pull_progress_free(PullProgress *pp) {
        if (!pp)
                return NULL;
        match_slot_release(pp->match);
        match_slot_release(pp->owner_match);
        sd_bus_unref(pp->bus);
        free(pp->follow);
        strv_free(pp->images);
        strv_free(pp->shown);
        strv_free(pp->ignored);
        for (size_t i = 0; i < pp->n_layers; i++)
                layer_done(&pp->layers[i]);
        free(pp->layers);
        free(pp->digest);
        free(pp->error);
        free(pp);
        return NULL;
}

static unsigned terminal_width(void) {
        struct winsize ws;

        if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_col == 0)
                return 80;
        return ws.ws_col;
}

static void print_layer(const PullProgress *pp, const Layer *l, uint64_t now) {
        char done[32], total[32], rate[32] = "";
        uint64_t end = l->end_usec ?: now;

        if (streq(l->state, "exists")) {
                fprintf(stderr, "%s: exists", l->label);
                return;
        }
        format_bytes(done, sizeof done, l->done);
        format_bytes(total, sizeof total, l->total);
        if (l->start_usec > 0 && end > l->start_usec + 50000) {
                format_bytes(rate, sizeof rate - 2,
                             (uint64_t) ((double) l->done * 1e6 / (double) (end - l->start_usec)));
                strcat(rate, "/s");
        }
        if (!pp->tty) {
                fprintf(stderr, "%s: %s %s %s", l->label, l->state, total, rate);
                return;
        }

        unsigned pct = l->total > 0 ? (unsigned) MIN(l->done * 100 / l->total, (uint64_t) 100) : 0;
        /* label ": [" bar "] " sizes pct rate: about 52 columns besides the
         * bar. A line must never wrap, or redrawing in place goes wrong: on
         * a narrow terminal the bar goes first, then the rate. */
        int cols = (int) terminal_width(), width = MIN(cols - 52, 50);
        int fill = l->total > 0 && width > 0 ? (int) ((uint64_t) width * MIN(l->done, l->total) / l->total) : 0;

        fprintf(stderr, "%s: ", l->label);
        if (width >= 10) {
                fputc('[', stderr);
                for (int i = 0; i < width; i++)
                        fputc(i < fill ? '=' : i == fill ? '>' : ' ', stderr);
                fputs("] ", stderr);
        }
        fprintf(stderr, "%9s/%-9s %3u%%", done, total, pct);
        if (cols >= 52)
                fprintf(stderr, " %s", rate);
}

/* On a terminal every layer's line is redrawn in place: up to the first,
 * then each one cleared and written again. */
static void draw(PullProgress *pp, Layer *changed) {
        uint64_t now = now_monotonic();

        if (pp->quiet)
                return;
        if (!pp->tty) {
                if (changed->printed || (!streq(changed->state, "exists") && !streq(changed->state, "complete")))
                        return;
                changed->printed = true;
                print_layer(pp, changed, now);
                fputc('\n', stderr);
                return;
        }
        if (pp->drawn > 0)
                fprintf(stderr, "\033[%zuA", pp->drawn);
        for (size_t i = 0; i < pp->n_layers; i++) {
                fputs("\r\033[K", stderr);
                print_layer(pp, &pp->layers[i], now);
                fputc('\n', stderr);
        }
        pp->drawn = pp->n_layers;
        fflush(stderr);
}

static int update_layer(PullProgress *pp, const char *digest, const char *state, uint64_t done, uint64_t total) {
        const char *hex = startswith(digest, "sha256:") ?: digest;
        Layer *l = NULL;

        for (size_t i = 0; i < pp->n_layers; i++)
                if (streq(pp->layers[i].digest, digest))
                        l = &pp->layers[i];
        if (!l) {
                Layer *a = reallocarray(pp->layers, pp->n_layers + 1, sizeof(Layer));
                size_t k = 0;

                if (!a)
                        return -ENOMEM;
                pp->layers = a;
                l = &pp->layers[pp->n_layers];
                *l = (Layer) { .digest = strdup(digest) };
                if (!l->digest)
                        return -ENOMEM;
                pp->n_layers++;
                /* Only hex digits reach the terminal. */
                for (const char *c = hex; *c && k < LABEL_LEN; c++)
                        if (strchr("0123456789abcdef", *c))
                                l->label[k++] = *c;
                l->label[k] = '\0';
        }
        if (!streq(state, "exists") && !streq(state, "downloading") && !streq(state, "complete"))
                state = "downloading";
        if (streq(l->state, "complete") && !streq(state, "complete"))
                return 0;       /* a late report of a finished layer */
        snprintf(l->state, sizeof l->state, "%s", state);
        l->done = done;
        l->total = total;
        if (l->start_usec == 0 && streq(state, "downloading"))
                l->start_usec = now_monotonic();
        if (streq(state, "complete") && l->end_usec == 0)
                l->end_usec = now_monotonic();
        draw(pp, l);
        return 0;
}

/* apply --wait: is the pull at path one of ours? Asked once per object. */
static bool path_wanted(PullProgress *pp, const char *path) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *image = NULL;
        bool want;

        if (pp->follow)
                return streq(pp->follow, path);
        if (strv_contains(pp->shown, path))
                return true;
        if (strv_contains(pp->ignored, path))
                return false;
        /* An object already gone cannot be attributed: it is not shown. */
        want = sd_bus_get_property_string(pp->bus, TANK_BUS_NAME, path, TANK_PULL_INTERFACE, "Image", &error,
                                          &image) >= 0 &&
                strv_contains(pp->images, image);
        (void) strv_extend(want ? &pp->shown : &pp->ignored, path);
        return want;
}

static int on_pull_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        PullProgress *pp = userdata;
        const char *path = sd_bus_message_get_path(m);
        int r;

        if (!pp)
                return 0;   /* released (match_slot_release()) */
        if (!path || !path_wanted(pp, path))
                return 0;
        if (sd_bus_message_is_signal(m, TANK_PULL_INTERFACE, "Progress")) {
                const char *layer, *state;
                uint64_t done, total;

                r = sd_bus_message_read(m, "sstt", &layer, &state, &done, &total);
                if (r < 0)
                        return 0;       /* not ours to judge: ignore a malformed signal */
                r = update_layer(pp, layer, state, done, total);
                if (r < 0)
                        return log_oom();
        } else if (sd_bus_message_is_signal(m, TANK_PULL_INTERFACE, "Finished") && pp->follow) {
                const char *digest, *name, *message;

                r = sd_bus_message_read(m, "sss", &digest, &name, &message);
                if (r < 0)
                        return 0;
                pp->finished = true;
                if (!isempty(name))
                        pp->error = strdup(isempty(message) ? name : message);
                else
                        pp->digest = strdup(digest);
                if (!pp->error && !pp->digest)
                        return log_oom();
        }
        return 0;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        PullProgress *pp = userdata;
        const char *name, *old, *new;

        if (!pp)
                return 0;   /* released (match_slot_release()) */
        if (sd_bus_message_read(m, "sss", &name, &old, &new) >= 0 && isempty(new))
                pp->gone = true;
        return 0;
}

int pull_progress_new(sd_bus *bus, PullProgress **ret) {
        _cleanup_(pull_progress_freep) PullProgress *pp = NULL;
        int r;

        pp = calloc(1, sizeof *pp);
        if (!pp)
                return -ENOMEM;
        pp->bus = sd_bus_ref(bus);
        pp->tty = isatty(STDERR_FILENO);
        /* Asynchronous, without waiting for the answers (two round trips
         * before every apply): the bus handles a connection's messages in
         * order, so the matches are in place before the call that starts the
         * pull is seen. A match the bus refuses ends the connection. */
        r = sd_bus_add_match_async(bus, &pp->match,
                                   "type='signal',sender='" TANK_BUS_NAME "',interface='" TANK_PULL_INTERFACE "',"
                                   "path_namespace='" TANK_BUS_PULL_PREFIX "'",
                                   on_pull_signal, NULL, pp);
        if (r < 0)
                return r;
        r = sd_bus_add_match_async(bus, &pp->owner_match,
                                   "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                                   "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='"
                                   TANK_BUS_NAME "'",
                                   on_owner_changed, NULL, pp);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(pp);
        return 0;
}

void pull_progress_set_quiet(PullProgress *pp, bool quiet) {
        pp->quiet = quiet;
}

int pull_progress_add_image(PullProgress *pp, const char *reference) {
        _cleanup_(image_reference_freep) ImageReference *ref = NULL;
        _cleanup_free_ char *key = NULL;
        int r;

        r = image_reference_parse(reference, &ref, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : 0;   /* tankd refuses it; nothing to show */
        r = image_reference_key(ref, &key);
        if (r < 0)
                return r;
        if (strv_contains(pp->images, key))
                return 0;
        return strv_consume(&pp->images, TAKE_PTR(key));
}

int pull_progress_follow(PullProgress *pp, const char *path, const char *prefix) {
        int r;

        pp->follow = strdup(path);
        if (!pp->follow)
                return log_oom(), EXIT_FAILURE;
        while (!pp->finished && !pp->gone) {
                r = sd_bus_process(pp->bus, NULL);
                if (r < 0)
                        return log_error_errno(r, "lost the connection to tankd: %m"), EXIT_FAILURE;
                if (r > 0)
                        continue;
                r = sd_bus_wait(pp->bus, UINT64_MAX);
                if (r < 0 && r != -EINTR)
                        return log_error_errno(r, "lost the connection to tankd: %m"), EXIT_FAILURE;
        }
        if (!pp->finished)
                return log_error("%s: tankd went away during the pull", prefix), EXIT_FAILURE;
        if (pp->error)
                return log_error("%s: %s", prefix, pp->error), EXIT_FAILURE;
        (void) fputs_escape_control(pp->digest, stdout);
        putchar('\n');
        return EXIT_SUCCESS;
}
