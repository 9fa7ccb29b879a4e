libtank_la_SOURCES += \
	src/reconcile/backoff.h \
	src/reconcile/backoff.c

check_PROGRAMS += tests/unit/test-backoff
TESTS += tests/unit/test-backoff
tests_unit_test_backoff_SOURCES = tests/unit/test-backoff.c
tests_unit_test_backoff_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_backoff_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

libtank_la_SOURCES += \
	src/reconcile/podstate.h \
	src/reconcile/podstate.c \
	src/reconcile/reconciler.h \
	src/reconcile/reconciler-internal.h \
	src/reconcile/reconciler.c \
	src/reconcile/events.h \
	src/reconcile/events.c \
	src/reconcile/launch.h \
	src/reconcile/launch.c \
	src/reconcile/launch-internal.h \
	src/reconcile/launch-config.c \
	src/reconcile/launch-network.c \
	src/reconcile/launch-spawn.c \
	src/reconcile/shim-mntns.h \
	src/reconcile/shim-mntns.c \
	src/reconcile/launch-scope.c \
	src/reconcile/admission.h \
	src/reconcile/admission.c \
	src/reconcile/records.h \
	src/reconcile/records.c \
	src/reconcile/unpack.h \
	src/reconcile/unpack.c \
	src/reconcile/reconcile.h \
	src/reconcile/reconcile.c \
	src/reconcile/exits.c \
	src/reconcile/steps.h \
	src/reconcile/lifecycle.h \
	src/reconcile/lifecycle.c \
	src/reconcile/health.h \
	src/reconcile/health.c \
	src/reconcile/rollout.h \
	src/reconcile/rollout.c \
	src/reconcile/rollout-run.h \
	src/reconcile/rollout-run.c \
	src/reconcile/rollout-internal.h \
	src/reconcile/rollout-store.c \
	src/reconcile/probes.c \
	src/reconcile/probes.h \
	src/reconcile/userns.h \
	src/reconcile/userns.c \
	src/reconcile/adopt.c \
	src/reconcile/notify.h \
	src/reconcile/notify.c \
	src/reconcile/notify-setup.h \
	src/reconcile/notify-setup.c

check_PROGRAMS += tests/unit/test-notify
TESTS += tests/unit/test-notify
tests_unit_test_notify_SOURCES = tests/unit/test-notify.c
tests_unit_test_notify_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_notify_LDADD = $(TANK_LIBS) $(CHECK_LIBS)
EXTRA_DIST += tests/system/test-notify.sh

check_PROGRAMS += tests/unit/test-lifecycle
TESTS += tests/unit/test-lifecycle
tests_unit_test_lifecycle_SOURCES = tests/unit/test-lifecycle.c
tests_unit_test_lifecycle_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_lifecycle_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test-rollout
TESTS += tests/unit/test-rollout
tests_unit_test_rollout_SOURCES = tests/unit/test-rollout.c
tests_unit_test_rollout_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_rollout_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test-health
TESTS += tests/unit/test-health
tests_unit_test_health_SOURCES = tests/unit/test-health.c
tests_unit_test_health_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_health_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test-final-record
TESTS += tests/unit/test-final-record
tests_unit_test_final_record_SOURCES = tests/unit/test-final-record.c
tests_unit_test_final_record_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_final_record_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test-unpack
TESTS += tests/unit/test-unpack
tests_unit_test_unpack_SOURCES = tests/unit/test-unpack.c
tests_unit_test_unpack_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_unpack_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

# One tank-exec run: shared by the Exec sessions and exec probes.
libtank_la_SOURCES += \
	src/reconcile/exec-spawn.h \
	src/reconcile/exec-spawn.c

# Issue 14: the probe runners.
libtank_la_SOURCES += \
	src/reconcile/probe-run.h \
	src/reconcile/probe-internal.h \
	src/reconcile/probe-run.c \
	src/reconcile/probe-net.c \
	src/reconcile/probe-exec.c

check_PROGRAMS += tests/unit/test-probe-run tests/unit/fake-tank-exec
TESTS += tests/unit/test-probe-run
tests_unit_test_probe_run_SOURCES = tests/unit/test-probe-run.c
tests_unit_test_probe_run_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	-DFAKE_TANK_EXEC=\"$(abs_top_builddir)/tests/unit/fake-tank-exec\"
tests_unit_test_probe_run_LDADD = $(TANK_LIBS) $(CHECK_LIBS)
tests_unit_fake_tank_exec_SOURCES = tests/unit/fake-tank-exec.c
