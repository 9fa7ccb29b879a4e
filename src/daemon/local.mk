libtank_la_SOURCES += \
	src/daemon/manager.h \
	src/daemon/manager.c \
	src/daemon/store-setup.c \
	src/daemon/store-server.h \
	src/daemon/store-server.c \
	src/daemon/bus-api.h \
	src/daemon/bus-api.c \
	src/daemon/bus-pod.c \
	src/daemon/bus-rollout.h \
	src/daemon/bus-rollout.c \
	src/daemon/image-update.h \
	src/daemon/image-update.c \
	src/daemon/seed.h \
	src/daemon/seed.c \
	src/daemon/seccomp-program.h \
	src/daemon/seccomp-program.c \
	src/daemon/volumes.h \
	src/daemon/volumes.c \
	src/daemon/node.h \
	src/daemon/node.c \
	src/daemon/bus-nodes.h \
	src/daemon/bus-nodes.c \
	src/daemon/schedule.h \
	src/daemon/schedule.c \
	src/daemon/scheduler.h \
	src/daemon/scheduler.c \
	src/daemon/scheduler-internal.h \
	src/daemon/scheduler-pass.c \
	src/daemon/pod-status.h \
	src/daemon/pod-status.c

sbin_PROGRAMS += tankd
tankd_SOURCES = src/daemon/tankd.c
tankd_LDADD = $(TANK_LIBS)

# Exec and Attach (issue 8)
libtank_la_SOURCES += \
	src/daemon/bus-exec.h \
	src/daemon/bus-exec.c

# startup benchmark; tools that run and install tankd
EXTRA_DIST += bench/startup/run.sh tools/tank-up tools/install-deps.sh

# H11: image GC on the bus (RemoveImage, PruneImages, ImagesWithUsers)
libtank_la_SOURCES += src/daemon/bus-images.h src/daemon/bus-images.c

# Lifecycle events on the bus (issue 19): the Manager's Event signal
libtank_la_SOURCES += src/daemon/bus-events.h src/daemon/bus-events.c
# issue 19: Stats and Top (resource counters and processes of containers)
libtank_la_SOURCES += \
	src/daemon/container-stats.h \
	src/daemon/container-stats.c \
	src/daemon/bus-stats.h \
	src/daemon/bus-stats.c \
	src/daemon/bus-pull.h \
	src/daemon/bus-pull.c

check_PROGRAMS += tests/unit/test-container-stats
TESTS += tests/unit/test-container-stats
tests_unit_test_container_stats_SOURCES = tests/unit/test-container-stats.c
tests_unit_test_container_stats_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_container_stats_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

# issue 17: the scheduler's decision
check_PROGRAMS += tests/unit/test-schedule
TESTS += tests/unit/test-schedule
tests_unit_test_schedule_SOURCES = tests/unit/test-schedule.c
tests_unit_test_schedule_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_schedule_LDADD = $(TANK_LIBS) $(CHECK_LIBS)
