/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* tankctl: the command line client (man tankctl(1)). It talks to tankd only
 * over D-Bus (org.tank.Tank1 on the system bus, or a remote one with -H);
 * `validate` works offline.
 *
 * Every verb is `int verb_X(int argc, char *argv[], Context *ctx)` with argv[0]
 * being the verb's name, and returns the process exit status: EXIT_SUCCESS,
 * EXIT_FAILURE (refused or failed, after one line on stderr), or EXIT_USAGE. */

#include <getopt.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <yajl/yajl_tree.h>

#include "bus-names.h"
#include "macro.h"

#define EXIT_USAGE 2
/* Returned by option parsers to mean "go on"; anything else is an exit status. */
#define PARSE_CONTINUE (-1)


typedef struct Context {
        const char *host;       /* -H: [USER@]HOST[:PORT] reached over ssh; NULL: local */
        sd_bus *bus;            /* connected lazily by ctx_bus() */
} Context;

/* Options every verb accepts: -h/--help, -H/--host, --system. */
enum {
        ARG_SYSTEM = 0x100,
        ARG_VERB_BASE,          /* verbs number their own long-only options from here */
};
#define COMMON_LONG_OPTIONS                                        \
        { "help",   no_argument,       NULL, 'h' },                \
        { "host",   required_argument, NULL, 'H' },                \
        { "system", no_argument,       NULL, ARG_SYSTEM }
#define COMMON_SHORT_OPTIONS "hH:"

/* Handle -H or --system; 1 if c was one of them, 0 if not. Verbs handle 'h'
 * themselves (verb_help(argv[0]) and EXIT_SUCCESS). */
int common_option(Context *ctx, int c);
/* getopt's own complaint was printed already: point at the help, EXIT_USAGE. */
int bad_option(const char *verb);
int usage_error(const char *verb, const char *format, ...) _printf_(2, 3);

/* Connect on first use. Returns 0, or EXIT_FAILURE after printing why. */
int ctx_bus(Context *ctx, sd_bus **ret);

/* Drops a match of ours without a RemoveMatch call: the connection is closed
 * when the verb returns, and dbus-daemon drops a closed connection's matches
 * itself (a call and its reply per match saved at every exit). The bus keeps
 * the slot until then, and its handler is called with NULL userdata should a
 * signal still be dispatched: every handler given to it must return at once
 * on NULL. Returns NULL. */
sd_bus_slot *match_slot_release(sd_bus_slot *slot);

/* Call a Manager method. On failure prints one line (mapping "tankd is not
 * there" errors to one fixed sentence) and returns EXIT_FAILURE; prefix, when
 * non-NULL, goes before the daemon's message ("web: ..."). */
int manager_call(Context *ctx, const char *method, uint64_t timeout_usec, const char *prefix,
                 sd_bus_message **ret_reply, const char *types, ...);
/* Same, but an error reply is returned as -1 with *ret_error set, for the
 * caller to inspect by name; unreachability and transport failures are still
 * printed here and give EXIT_FAILURE. */
int manager_call_raw(Context *ctx, const char *method, uint64_t timeout_usec, sd_bus_error *ret_error,
                     sd_bus_message **ret_reply, const char *types, ...);
/* n calls of a method taking one string (args[i]), up to 64 awaiting their
 * replies at once rather than one round trip after the other: replies[i] or
 * errors[i] is set for each, as manager_call_raw() would. 0, or EXIT_FAILURE
 * (printed) when the bus itself failed. */
int manager_call_batch(Context *ctx, const char *method, char *const *args, size_t n, sd_bus_message **replies,
                       sd_bus_error *errors);
bool bus_error_is_unreachable(const sd_bus_error *e);
int print_bus_error(const sd_bus_error *e, const char *prefix);
int bus_connect_error(int r, const char *host);

/* Read a whole file ("-" is stdin) of at most max bytes. Prints its own error. */
int read_input(const char *path, size_t max, char **ret, size_t *ret_len);
const char *input_name(const char *path);   /* "<stdin>" for "-" */

/* Timestamps and spans for humans: "42s", "5m", "3h", "2d". */
uint64_t now_realtime(void);
void format_age(char *buf, size_t n, uint64_t usec);
#define AGE_MAX 32
/* Sizes for humans: "512B", "1.5KiB", "64.0MiB" (verbs-pods.c). */
void format_bytes(char *buf, size_t n, uint64_t bytes);

/* JSON helpers on yajl trees. */
const char *json_string(yajl_val v, const char *key);      /* NULL if absent or not a string */
bool json_int(yajl_val v, const char *key, long long *ret);
/* JSON strings are escaped as JSON (C1 controls as \\u0080..\\u009f too), so
 * that -o json never carries a control character to the terminal either. */
int json_pretty_print(FILE *f, const char *key1, yajl_val v1, const char *key2, yajl_val v2);
/* One string as JSON, escaped the same way. */
void json_print_string(FILE *f, const char *s);
/* Every string of v (keys too) through str_escape_control(), for text output:
 * all of it came from tankd, and most of that from images, registries and
 * containers. 0, -ENOMEM, -E2BIG (nested too deep). */
int json_escape_strings(yajl_val v);

/* `get`'s text output (pod-print.c): the number of containers in a spec, and
 * one pod's spec and status as the human-readable summary on stdout. */
size_t spec_n_containers(yajl_val spec);
void print_pod(const char *name, yajl_val spec, yajl_val status);

int verb_validate(int argc, char *argv[], Context *ctx);
int verb_apply(int argc, char *argv[], Context *ctx);
int verb_get(int argc, char *argv[], Context *ctx);
int verb_list(int argc, char *argv[], Context *ctx);
int verb_delete(int argc, char *argv[], Context *ctx);
int verb_wait(int argc, char *argv[], Context *ctx);
int verb_pull(int argc, char *argv[], Context *ctx);
int verb_images(int argc, char *argv[], Context *ctx);
int verb_rmi(int argc, char *argv[], Context *ctx);
int verb_image(int argc, char *argv[], Context *ctx);
int verb_volumes(int argc, char *argv[], Context *ctx);
int verb_exec(int argc, char *argv[], Context *ctx);
int verb_attach(int argc, char *argv[], Context *ctx);
int verb_logs(int argc, char *argv[], Context *ctx);
int verb_events(int argc, char *argv[], Context *ctx);
int verb_stats(int argc, char *argv[], Context *ctx);
int verb_top(int argc, char *argv[], Context *ctx);
int verb_rollout(int argc, char *argv[], Context *ctx);
int verb_nodes(int argc, char *argv[], Context *ctx);
int verb_cordon(int argc, char *argv[], Context *ctx);
int verb_uncordon(int argc, char *argv[], Context *ctx);
int verb_drain(int argc, char *argv[], Context *ctx);
int verb_update(int argc, char *argv[], Context *ctx);

/* verbs-rollout.c: get's Rollout line, and apply --wait's wait for the
 * rollout of the revisions it wrote (subscribe with _new() before the first
 * Apply, _add() each pod right after its Apply, _run() at the end: 0, or
 * EXIT_FAILURE after one line per revision that failed or was reverted). */
void print_rollout(yajl_val status);
typedef struct RolloutWatch RolloutWatch;
int rollout_watch_new(Context *ctx, RolloutWatch **ret);
RolloutWatch *rollout_watch_free(RolloutWatch *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(RolloutWatch *, rollout_watch_free);
int rollout_watch_add(RolloutWatch *w, Context *ctx, const char *name);
int rollout_watch_run(RolloutWatch *w, Context *ctx, uint64_t deadline);

/* Per-verb help text, printed by common_option('h') and `tankctl help VERB`. */
void verb_help(const char *verb);
