# src/tankctl: the command line client (see src/tankctl/tankctl.h), its man
# pages and the examples check.
bin_PROGRAMS += tankctl
tankctl_SOURCES = \
	src/tankctl/tankctl.h \
	src/tankctl/tankctl.c \
	src/tankctl/tankctl-bus.c \
	src/tankctl/tankctl-util.c \
	src/tankctl/verbs-spec.c \
	src/tankctl/verbs-pods.c \
	src/tankctl/verbs-rollout.c \
	src/tankctl/verbs-nodes.c \
	src/tankctl/verbs-update.c \
	src/tankctl/pod-print.c \
	src/tankctl/pod-wait.h \
	src/tankctl/pod-wait.c \
	src/tankctl/verbs-interactive.c \
	src/tankctl/detach.h \
	src/tankctl/detach.c \
	src/tankctl/id-window.h \
	src/tankctl/id-window.c
tankctl_LDADD = $(TANK_LIBS)

check_PROGRAMS += tests/unit/test-tankctl-detach
TESTS += tests/unit/test-tankctl-detach
tests_unit_test_tankctl_detach_SOURCES = \
	tests/unit/test-tankctl-detach.c \
	src/tankctl/detach.h \
	src/tankctl/detach.c
tests_unit_test_tankctl_detach_LDADD = $(TANK_LIBS) $(CHECK_LIBS)
tests_unit_test_tankctl_detach_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

check_PROGRAMS += tests/unit/test-id-window
TESTS += tests/unit/test-id-window
tests_unit_test_id_window_SOURCES = \
	tests/unit/test-id-window.c \
	src/tankctl/id-window.h \
	src/tankctl/id-window.c
tests_unit_test_id_window_LDADD = $(TANK_LIBS) $(CHECK_LIBS)
tests_unit_test_id_window_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

# every example must validate (tests/unit/test-examples.sh runs tankctl validate)
TESTS += tests/unit/test-examples.sh
EXTRA_DIST += tests/unit/test-examples.sh

# the command line itself: help, usage errors, "tankd is not reachable"
TESTS += tests/unit/test-tankctl.sh
EXTRA_DIST += tests/unit/test-tankctl.sh

dist_man_MANS += \
	man/tankctl.1 \
	man/tankd.8 \
	man/tank.conf.5 \
	man/tank-pod.5

# the man pages format cleanly and cover every command and key
TESTS += tests/unit/test-man.sh
EXTRA_DIST += tests/unit/test-man.sh

# exec/attach: the terminal relay (issue 8)
tankctl_SOURCES += \
	src/tankctl/relay.h \
	src/tankctl/relay.c

# logs and events from the journal and tankd's Event signal (issue 19)
tankctl_SOURCES += \
	src/tankctl/journal-util.h \
	src/tankctl/journal-util.c \
	src/tankctl/verbs-logs.c \
	src/tankctl/verbs-events.c

# bash completion (shell-completion/bash/tankctl)
TESTS += tests/unit/test-completion.sh
EXTRA_DIST += tests/unit/test-completion.sh

# stats and top (issue 19)
tankctl_SOURCES += \
	src/tankctl/verbs-stats.c \
	src/tankctl/verbs-top.c

# pulls with their progress (issue 19)
tankctl_SOURCES += \
	src/tankctl/verbs-pull.c \
	src/tankctl/pull-progress.h \
	src/tankctl/pull-progress.c
