# System tests: one TAP test, run-system-tests.sh, boots a tank-sandbox (a
# private systemd in namespaces) unless already under systemd, and runs every
# tests/system/test-*.sh inside it. Helper programs of those tests are
# check_PROGRAMS declared by their modules' local.mk.

TEST_EXTENSIONS = .tap
TAP_LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/tests/system/tap-driver.sh
# The runner exits non-zero when a test failed; the "not ok" lines already say so.
AM_TAP_LOG_DRIVER_FLAGS = --ignore-exit

TESTS += tests/system/run-system-tests.tap
CLEANFILES += tests/system/run-system-tests.tap

# A wrapper in the build tree that hands the runner both trees.
tests/system/run-system-tests.tap: $(top_srcdir)/tests/system/run-system-tests.sh
	$(AM_V_GEN)$(MKDIR_P) tests/system && \
	{ echo '#!/bin/sh'; \
	  echo "TANK_SRCDIR='$(abs_top_srcdir)' TANK_BUILDDIR='$(abs_top_builddir)' exec /bin/bash '$(abs_top_srcdir)/tests/system/run-system-tests.sh' \"\$$@\""; \
	} >$@.tmp && chmod +x $@.tmp && mv $@.tmp $@

clean-local: clean-system-test-logs
clean-system-test-logs:
	-rm -rf tests/system/logs

EXTRA_DIST += \
	tests/system/run-system-tests.sh \
	tests/system/tap-driver.sh \
	tests/system/lib.sh

# The seed of src/bus: slice + scope with limits over sd-bus.
check_PROGRAMS += tests/system/test-scope
tests_system_test_scope_SOURCES = tests/system/test-scope.c
tests_system_test_scope_LDADD = $(TANK_LIBS)
EXTRA_DIST += tests/system/test-scope.sh
EXTRA_DIST += tests/run-all.sh
# harness helpers and tankd's system tests
EXTRA_DIST += \
	tests/system/tank-lib.sh \
	tests/system/introspect-normalize.py \
	tests/system/test-daemon-apply.sh \
	tests/system/test-daemon-basic.sh \
	tests/system/test-daemon-bus.sh \
	tests/system/test-daemon-completed.sh \
	tests/system/test-daemon-limits.sh \
	tests/system/test-daemon-oom.sh \
	tests/system/test-daemon-replace.sh \
	tests/system/test-daemon-restart.sh \
	tests/system/test-daemon-seed.sh \
	tests/system/test-daemon-survive.sh \
	tests/system/test-daemon-volumes.sh \
	tests/system/test-tankctl-escape.sh \
	tests/system/test-userns.sh \
	tests/system/test-store-durability.sh
EXTRA_DIST += tests/system/test-image-gc.sh
EXTRA_DIST += tests/system/test-image-limits.sh
EXTRA_DIST += tests/system/test-image-pull-ready.sh
EXTRA_DIST += tests/system/test-daemon-offloop.sh
EXTRA_DIST += tests/system/test-daemon-idle.sh
EXTRA_DIST += tests/system/test-examples-run.sh
EXTRA_DIST += tests/system/test-kube.sh
EXTRA_DIST += tests/system/test-package.sh
EXTRA_DIST += tests/system/test-scale.sh

# Issue 14: the probe runners, driven for real (tcp/http into a netns, exec into a pod).
check_PROGRAMS += tests/system/probe-driver
tests_system_probe_driver_SOURCES = tests/system/probe-driver.c
tests_system_probe_driver_LDADD = $(TANK_LIBS)
EXTRA_DIST += tests/system/test-probe-run.sh tests/system/probe-servers.py
EXTRA_DIST += tests/system/test-probes.sh
EXTRA_DIST += tests/system/test-logs-events.sh
EXTRA_DIST += tests/system/test-stats.sh tests/system/test-pull-progress.sh
EXTRA_DIST += tests/system/test-probes-net.sh
EXTRA_DIST += tests/system/test-rollout.sh
EXTRA_DIST += tests/system/test-nodes.sh
EXTRA_DIST += tests/system/test-bindings.sh
EXTRA_DIST += tests/system/test-image-update.sh
