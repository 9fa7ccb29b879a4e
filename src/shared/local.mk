libtank_la_SOURCES += \
	src/shared/macro.h \
	src/shared/log.h \
	src/shared/log.c \
	src/shared/strv.h \
	src/shared/strv.c \
	src/shared/escape.h \
	src/shared/escape.c \
	src/shared/unit-name.h \
	src/shared/unit-name.c \
	src/shared/bus-names.h \
	src/shared/hashmap.h \
	src/shared/hashmap.c \
	src/shared/time-util.h \
	src/shared/time-util.c \
	src/shared/fs-util.h \
	src/shared/fs-util.c \
	src/shared/error-util.h \
	src/shared/error-util.c \
	src/shared/fs-type.h \
	src/shared/fs-type.c \
	src/shared/sealed-exec.h \
	src/shared/sealed-exec.c \
	src/shared/kernel-features.h \
	src/shared/kernel-features.c \
	src/shared/cgroup-util.h \
	src/shared/cgroup-util.c \
	src/shared/pidfd-util.h \
	src/shared/pidfd-util.c \
	src/shared/socket-util.h \
	src/shared/socket-util.c \
	src/shared/thread-job.h \
	src/shared/thread-job.c \
	src/shared/rm-rf-async.h \
	src/shared/rm-rf-async.c \
	src/shared/rlimit-util.h \
	src/shared/rlimit-util.c \
	src/shared/subid.h \
	src/shared/subid.c \
	src/shared/node-name.h \
	src/shared/node-name.c \
	src/shared/json-guard.h \
	src/shared/json-guard.c \
	src/shared/journal-send.h \
	src/shared/journal-send.c

check_PROGRAMS += tests/unit/test-shared
TESTS += tests/unit/test-shared
tests_unit_test_shared_SOURCES = tests/unit/test-shared.c
tests_unit_test_shared_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_shared_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test-journal-send
TESTS += tests/unit/test-journal-send
tests_unit_test_journal_send_SOURCES = tests/unit/test-journal-send.c
tests_unit_test_journal_send_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_journal_send_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test-json
TESTS += tests/unit/test-json
tests_unit_test_json_SOURCES = tests/unit/test-json.c
tests_unit_test_json_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_json_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test-kernel-features
TESTS += tests/unit/test-kernel-features
tests_unit_test_kernel_features_SOURCES = tests/unit/test-kernel-features.c
# The test runs tankd itself under a filter that makes the kernel look old.
tests_unit_test_kernel_features_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	-DTANKD_PATH=\"$(abs_top_builddir)/tankd\"
tests_unit_test_kernel_features_LDADD = $(TANK_LIBS) $(CHECK_LIBS)
EXTRA_tests_unit_test_kernel_features_DEPENDENCIES = tankd$(EXEEXT)

check_PROGRAMS += tests/unit/test-cgroup-util
TESTS += tests/unit/test-cgroup-util
tests_unit_test_cgroup_util_SOURCES = tests/unit/test-cgroup-util.c
tests_unit_test_cgroup_util_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_cgroup_util_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test-thread-job
TESTS += tests/unit/test-thread-job
tests_unit_test_thread_job_SOURCES = tests/unit/test-thread-job.c
tests_unit_test_thread_job_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_thread_job_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test-subid
TESTS += tests/unit/test-subid
tests_unit_test_subid_SOURCES = tests/unit/test-subid.c
tests_unit_test_subid_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_subid_LDADD = $(TANK_LIBS) $(CHECK_LIBS)
