/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "escape.h"
#include "log.h"
#include "tankctl.h"

static const struct {
        const char *name;
        int (*run)(int argc, char *argv[], Context *ctx);
        const char *synopsis;
        const char *summary;
        const char *options;   /* verb-specific lines, NULL if none */
} verbs[] = {
        { "apply", verb_apply,
          "apply -f FILE|- [-f FILE]... [--ignore-unsupported] [--if-revision=N] [--wait[=WHAT] [--timeout=SEC]]",
          "Create or replace the pods in FILE (one pod object or an array of them, or\n"
          "Kubernetes Pod YAML: a Pod, a List of Pods, documents separated by ---).\n"
          "The spec is validated locally first; nothing is sent if any pod is invalid.",
          "  -f, --filename=FILE    Read pods from FILE, \"-\" for standard input (repeatable)\n"
          "      --ignore-unsupported  Leave out Kubernetes fields Tank does not support,\n"
          "                         with one warning each, instead of refusing them\n"
          "      --if-revision=N    Only if the pod is still at revision N (get -o json:\n"
          "                         .status.revision); 0: only if it does not exist\n"
          "      --wait[=WHAT]      Then wait until every applied pod is running, or ready\n"
          "                         when one of its containers has probes or notify, and\n"
          "                         its rollout finished; fails if it failed or was reverted.\n"
          "                         WHAT: \"rollout\" (that, the default), \"ready\" (not the\n"
          "                         rollout) or \"running\" (only running)\n"
          "      --timeout=SEC      Give up waiting after SEC (e.g. 30, 500ms, 2min)\n" },
        { "get", verb_get, "get NAME [-o json|yaml]",
          "Show a pod: phase, restarts, last exit and next restart of each container.",
          "  -o, --output=FORMAT    \"json\" prints {\"spec\": ..., \"status\": ...}; \"yaml\" the spec\n"
          "                         as a Kubernetes Pod manifest that apply takes back\n" },
        { "list", verb_list, "list",
          "List pods as a table: NAME PHASE READY RESTARTS AGE.",
          "      --no-legend        Do not print the header line\n" },
        { "delete", verb_delete, "delete NAME... [--volumes]",
          "Delete pods: stop their containers, remove their units and scratch space.\n"
          "Managed volumes are kept unless --volumes is given.",
          "      --volumes          Also remove the pods' managed volumes, once the pods are gone\n" },
        { "wait", verb_wait, "wait NAME --for=running|ready|deleted [--timeout=SEC]",
          "Wait until a pod is running, ready (every container passes its readiness\n"
          "probe and sent READY=1 if it has notify), or gone. Exits 0 once it is.",
          "      --for=CONDITION    \"running\", \"ready\" or \"deleted\"\n"
          "      --timeout=SEC      Give up after SEC (e.g. 30, 500ms, 2min); default: wait forever\n" },
        { "exec", verb_exec, "exec [-t] [-e K=V]... [-w DIR] POD [-c CONTAINER] -- CMD [ARG...]",
          "Run a command beside a pod's workload, in all of its namespaces and its scope.\n"
          "Exits with the command's status (128+N when killed by signal N).",
          "  -t, --tty              Allocate a terminal (interactive shells)\n"
          "  -e, --env=K=V          Set an environment variable (repeatable, last wins)\n"
          "  -w, --workdir=DIR      Working directory inside the container\n"
          "  -c, --container=NAME   Container of the pod (default: the first)\n"
          "      --detach-keys=SEQ  Detach sequence (default \"ctrl-p,ctrl-q\")\n" },
        { "attach", verb_attach, "attach POD [-c CONTAINER] [--detach-keys=SEQ]",
          "Connect the terminal to a tty container's main process.\n"
          "Ctrl-P Ctrl-Q detaches and leaves it running.",
          "  -c, --container=NAME   Container of the pod (default: the first)\n"
          "      --detach-keys=SEQ  Detach sequence (default \"ctrl-p,ctrl-q\")\n" },
        { "logs", verb_logs, "logs POD [-c CONTAINER] [-f] [--since=TIME] [--tail=N] [--previous]",
          "Show a pod's output from the journal, across all of its restarts (the lines\n"
          "carry TANK_POD=, TANK_CONTAINER= and TANK_RESTART=). Reading the journal\n"
          "needs root or group systemd-journal (or adm).",
          "  -c, --container=NAME   Only this container\n"
          "  -f, --follow           Keep printing new output\n"
          "      --since=TIME       Only output since TIME (\"2026-12-01 20:15\", \"-10min\", \"today\")\n"
          "  -n, --tail=N           Only the last N lines (then new ones with --follow)\n"
          "  -p, --previous         Only the run before the last restart (of -c, or the first\n"
          "                         container)\n" },
        { "events", verb_events, "events [--since=TIME] [--pod=NAME] [-o json] [--no-follow]",
          "Print tankd's lifecycle events as they happen, one line each (tankd(8), EVENTS);\n"
          "with --since, those since TIME from the journal first, then the live ones.",
          "      --since=TIME       Replay the events since TIME from the journal\n"
          "      --pod=NAME         Only the events of this pod\n"
          "  -o, --output=json      One JSON object per line\n"
          "      --no-follow        Stop after the replay (needs --since)\n" },
        { "stats", verb_stats, "stats [POD...] [--no-stream] [-o json]",
          "Show the running containers' CPU, memory, pids, network and block I/O\n"
          "(of every pod, or of the pods named): every second on a terminal, once\n"
          "otherwise. CPU % is over the last second, 100 % being one core.",
          "      --no-stream        Print one sample and exit\n"
          "  -o, --output=FORMAT    \"json\": an array of the containers' counters\n" },
        { "top", verb_top, "top POD [-c CONTAINER]",
          "List a container's processes: pid and uid on the host and in the container,\n"
          "and the command line.",
          "  -c, --container=NAME   Container of the pod (default: the first)\n" },
        { "pull", verb_pull, "pull [-q] IMAGE",
          "Pull an image into tankd's image store and print its digest. The progress\n"
          "of each layer goes to stderr: a bar per layer on a terminal, one line per\n"
          "layer when it is complete otherwise.",
          "  -q, --quiet            Print only the digest\n" },
        { "images", verb_images, "images",
          "List the images in tankd's image store, their sizes and the pods that use them.",
          NULL },
        { "rmi", verb_rmi, "rmi IMAGE...",
          "Remove images (by reference or sha256: digest) that no pod uses,\n"
          "with their layers and blobs no other image shares.\n"
          "An image a pod uses is refused, naming the pods.",
          NULL },
        { "image", verb_image, "image prune",
          "Remove every image no pod uses, with its unshared layers and blobs.",
          NULL },
        { "rollout", verb_rollout, "rollout history|undo POD [--to-revision=N]",
          "Show a pod's revisions (history), or write an earlier revision's spec back\n"
          "as a new revision (undo: the newest earlier one with another spec, or N).",
          "      --to-revision=N    Undo to revision N (rollout history lists them)\n" },
        { "nodes", verb_nodes, "nodes [-o json]",
          "List the nodes of the fleet: NAME STATUS LABELS PODS MEMORY AGE.",
          "  -o, --output=json      The output format (text by default)\n" },
        { "cordon", verb_cordon, "cordon NODE",
          "Mark a node unschedulable (a persistent flag that survives its restarts).",
          NULL },
        { "uncordon", verb_uncordon, "uncordon NODE",
          "Mark a node schedulable again (and end a drain).",
          NULL },
        { "drain", verb_drain, "drain NODE [--timeout=SEC]",
          "Cordon a node and move its reschedulable pods to other nodes; list where\n"
          "each of its pods went and the ones that stay (pinned, not reschedulable).\n"
          "Fails when a reschedulable pod could not move.",
          "      --timeout=SEC      How long to wait for the moves (default 120 s)\n" },
        { "update", verb_update, "update [--dry-run]",
          "Check the tags of containers with \"image_update\": \"registry\" now; pull\n"
          "what moved and roll it out as a new revision. POD, CONTAINER, IMAGE,\n"
          "CURRENT and AVAILABLE digest of each.",
          "      --dry-run          Only list what would be updated\n" },
        { "volumes", verb_volumes, "volumes",
          "List managed volumes.",
          NULL },
        { "validate", verb_validate, "validate -f FILE|- [-f FILE]... [--ignore-unsupported] [-o json]",
          "Check pod specs (JSON or Kubernetes YAML) offline and print the Tank spec\n"
          "normalized (defaults filled), as JSON.\n"
          "On the first invalid pod, print \"FILE: PATH: REASON\" and exit 1.",
          "  -f, --filename=FILE    Read pods from FILE, \"-\" for standard input (repeatable)\n"
          "      --ignore-unsupported  Leave out Kubernetes fields Tank does not support\n"
          "  -o, --output=json      The output format (JSON is the only one)\n" },
};

static void help(void) {
        printf("tankctl [OPTIONS...] COMMAND ...\n\n"
               "Control tankd, the declarative container orchestrator.\n\n"
               "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %s\n", verbs[i].synopsis);
        printf("\nOptions:\n"
               "  -h, --help             Show this help (or COMMAND --help for a command's)\n"
               "      --version          Show the version\n"
               "  -H, --host=[USER@]HOST Talk to tankd on a remote host (over ssh)\n"
               "      --system           Talk to tankd on the local system bus (default)\n"
               "\nExit status: 0 success, 1 failure or refusal, 2 usage error;\n"
               "exec returns the command's status.\n"
               "See the tankctl(1) man page for details.\n");
}

void verb_help(const char *verb) {
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                if (!streq(verbs[i].name, verb))
                        continue;
                printf("Usage: tankctl %s\n\n%s\n\nOptions:\n%s"
                       "  -h, --help             Show this help\n",
                       verbs[i].synopsis, verbs[i].summary, strempty(verbs[i].options));
                if (!streq(verb, "validate"))
                        printf("  -H, --host=[USER@]HOST Talk to tankd on a remote host (over ssh)\n"
                               "      --system           Talk to tankd on the local system bus (default)\n");
                return;
        }
}

int common_option(Context *ctx, int c) {
        switch (c) {
        case 'H':
                ctx->host = optarg;
                return 1;
        case ARG_SYSTEM:
                ctx->host = NULL;
                return 1;
        default:
                return 0;
        }
}

int bad_option(const char *verb) {
        fprintf(stderr, "Try 'tankctl %s --help' for more information.\n", verb);
        return EXIT_USAGE;
}

int usage_error(const char *verb, const char *format, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&msg, format, ap);
        va_end(ap);
        if (r < 0)
                msg = NULL;     /* undefined after a failure */
        /* the arguments quoted back may have come from anywhere a script read them */
        fputs("tankctl: ", stderr);
        (void) fputs_escape_control(r < 0 ? "out of memory" : msg, stderr);
        fputc('\n', stderr);
        if (verb)
                return bad_option(verb);
        fputs("Try 'tankctl --help' for more information.\n", stderr);
        return EXIT_USAGE;
}

static int parse_global(int argc, char *argv[], Context *ctx) {
        enum { ARG_VERSION = ARG_VERB_BASE };
        static const struct option options[] = {
                COMMON_LONG_OPTIONS,
                { "version", no_argument, NULL, ARG_VERSION },
                {}
        };
        int c;

        /* "+": stop at the verb, whose own options are its business */
        while ((c = getopt_long(argc, argv, "+" COMMON_SHORT_OPTIONS, options, NULL)) >= 0) {
                if (common_option(ctx, c))
                        continue;
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("tankctl " PACKAGE_VERSION "\n");
                        return 0;
                default:
                        fputs("Try 'tankctl --help' for more information.\n", stderr);
                        return -EXIT_USAGE;
                }
        }
        return 1;
}

int main(int argc, char *argv[]) {
        Context ctx = {};
        const char *verb;
        int r;

        log_set_prefix("tankctl");
        log_parse_environment();

        r = parse_global(argc, argv, &ctx);
        if (r <= 0)
                return -r;

        if (optind >= argc)
                return usage_error(NULL, "missing command");
        verb = argv[optind];

        if (streq(verb, "help")) {
                if (optind + 1 >= argc) {
                        help();
                        return EXIT_SUCCESS;
                }
                for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                        if (streq(verbs[i].name, argv[optind + 1])) {
                                verb_help(verbs[i].name);
                                return EXIT_SUCCESS;
                        }
                return usage_error(NULL, "unknown command \"%s\"", argv[optind + 1]);
        }

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, verb)) {
                        _cleanup_free_ char *prog = NULL;
                        int argc_verb = argc - optind;
                        char **argv_verb = argv + optind;

                        /* getopt names argv[0] in its complaints: "tankctl get: ..." */
                        if (asprintf(&prog, "tankctl %s", verb) < 0)
                                return log_oom(), EXIT_FAILURE;
                        argv_verb[0] = prog;

                        optind = 0;   /* a full getopt reset for the verb's own parsing */
                        r = verbs[i].run(argc_verb, argv_verb, &ctx);
                        sd_bus_flush_close_unref(ctx.bus);
                        return r;
                }

        return usage_error(NULL, "unknown command \"%s\"", verb);
}
