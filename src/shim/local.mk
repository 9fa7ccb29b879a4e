# src/shim: tank-shim, the per-container monitor, and the tankd<->shim contract
# (shim-config.h, exit-record.h) that libtank carries for tankd.
libtank_la_SOURCES += \
	src/shim/shim-config.h \
	src/shim/shim-config.c \
	src/shim/exit-record.h \
	src/shim/exit-record.c \
	src/shim/attach-protocol.h \
	src/shim/json-util.h \
	src/shim/json-util.c

check_PROGRAMS += tests/unit/test-shim-config
TESTS += tests/unit/test-shim-config
tests_unit_test_shim_config_SOURCES = tests/unit/test-shim-config.c
tests_unit_test_shim_config_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/shim
tests_unit_test_shim_config_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_shim_config_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test-shim-user
TESTS += tests/unit/test-shim-user
tests_unit_test_shim_user_SOURCES = tests/unit/test-shim-user.c
tests_unit_test_shim_user_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/shim
tests_unit_test_shim_user_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_shim_user_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test-seccomp
TESTS += tests/unit/test-seccomp
tests_unit_test_seccomp_SOURCES = tests/unit/test-seccomp.c
tests_unit_test_seccomp_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/shim
tests_unit_test_seccomp_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_seccomp_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

# The workload side lives in libtank too, so unit tests can reach user.c
# (and tankd the seccomp policy, which it builds once at start).
libtank_la_SOURCES += \
	src/shim/container.h \
	src/shim/security.h \
	src/shim/mounts.c \
	src/shim/overlay.h \
	src/shim/overlay.c \
	src/shim/user.c \
	src/shim/userns.c \
	src/shim/security.c \
	src/shim/execve-path.c

pkglibexec_PROGRAMS += tank-shim
tank_shim_SOURCES = \
	src/shim/shim.c \
	src/shim/monitor.h \
	src/shim/monitor.c \
	src/shim/workload.h \
	src/shim/workload.c \
	src/shim/attach.h \
	src/shim/attach.c \
	src/shim/exec-server.h \
	src/shim/exec-server.c \
	src/shim/log-relay.h \
	src/shim/log-relay.c
tank_shim_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/shim
# Only the libraries the shim uses (it is mapped twice per start: the
# sealed re-exec), not all of TANK_LIBS. Not libyaml: the spec's field table,
# which the shim's spec parser iterates, keeps clear of the Kubernetes code
# (src/spec/kube-limits.c).
tank_shim_LDADD = libtank.la $(SYSTEMD_LIBS) $(YAJL_LIBS) $(SECCOMP_LIBS)

# System test helpers: the launcher plays tankd's side of the protocol; the
# probe is static (no sanitizer runtime) so it runs inside a busybox rootfs.
# tests/system/test-shim.sh itself runs through run-system-tests.sh.
check_PROGRAMS += tests/system/shim-launch tests/system/shim-probe tests/system/shim-attach
tests_system_shim_launch_SOURCES = tests/system/shim-launch.c
tests_system_shim_attach_SOURCES = tests/system/shim-attach.c
tests_system_shim_probe_SOURCES = tests/system/shim-probe.c
tests_system_shim_probe_CFLAGS = $(WARN_CFLAGS)
tests_system_shim_probe_LDFLAGS = -all-static
EXTRA_DIST += tests/system/test-shim.sh

# tank-exec: tankd's helper for Exec (src/shim/exec-protocol.h).
pkglibexec_PROGRAMS += tank-exec
tank_exec_SOURCES = \
	src/shim/exec-protocol.h \
	src/shim/exec.c \
	src/shim/exec-relay.h \
	src/shim/exec-relay.c
tank_exec_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/shim
tank_exec_LDADD = libtank.la $(SYSTEMD_LIBS) $(YAJL_LIBS) $(SECCOMP_LIBS)
# exec/attach system tests (run by run-system-tests.sh) and their PTY driver
EXTRA_DIST += tests/system/test-exec.sh tests/system/test-attach.sh tests/system/pty-drive.py

check_PROGRAMS += tests/unit/test-exec-relay
TESTS += tests/unit/test-exec-relay
tests_unit_test_exec_relay_SOURCES = \
	tests/unit/test-exec-relay.c \
	src/shim/exec-relay.h \
	src/shim/exec-relay.c
tests_unit_test_exec_relay_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/shim
tests_unit_test_exec_relay_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_exec_relay_LDADD = $(TANK_LIBS) $(CHECK_LIBS) -lutil

# exec latency benchmark
EXTRA_DIST += bench/exec/run.sh

# container output throughput through the relay, beside a journald stream (issue 19)
EXTRA_DIST += bench/logs/run.sh
