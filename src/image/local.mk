# src/image: see the module header for what it promises.

# H6: layer store, extraction, whiteouts, root filesystems
libtank_la_SOURCES += \
	src/image/layer.c src/image/layer.h \
	src/image/limits.c src/image/limits.h \
	src/image/extract.c src/image/extract.h \
	src/image/extract-meta.c src/image/extract-internal.h \
	src/image/whiteout.c src/image/whiteout.h \
	src/image/rootfs.c src/image/rootfs.h

# H6 tests; layer-tartest builds tar layers in memory (test-only, not in libtank)
check_PROGRAMS += tests/unit/test-extract
TESTS += tests/unit/test-extract
tests_unit_test_extract_SOURCES = tests/unit/test-extract.c \
	src/image/layer-tartest.c src/image/layer-tartest.h
tests_unit_test_extract_LDADD = $(TANK_LIBS) $(CHECK_LIBS)
tests_unit_test_extract_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
check_PROGRAMS += tests/unit/test-layer-rootfs
TESTS += tests/unit/test-layer-rootfs
tests_unit_test_layer_rootfs_SOURCES = tests/unit/test-layer-rootfs.c \
	src/image/layer-tartest.c src/image/layer-tartest.h
tests_unit_test_layer_rootfs_LDADD = $(TANK_LIBS) $(CHECK_LIBS) -lpthread
tests_unit_test_layer_rootfs_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
# driver for tests/system/test-image-layers*.sh and bench/extract; its source is
# under tests/ because its mount command uses the shim's overlay (shim/overlay.h)
check_PROGRAMS += src/image/layer-tool
src_image_layer_tool_SOURCES = tests/system/layer-tool.c
src_image_layer_tool_LDADD = $(TANK_LIBS)
# end H6

# H5: registry client, pulls, blob store
libtank_la_SOURCES += \
	src/image/registry.c src/image/registry.h src/image/registry-internal.h \
	src/image/registry-fetch.c src/image/registry-auth.c \
	src/image/registry-json.c src/image/registry-json.h \
	src/image/auth.c src/image/auth.h \
	src/image/manifest.c src/image/manifest.h \
	src/image/platform.c src/image/platform.h \
	src/image/blobstore.c src/image/blobstore.h \
	src/image/pull.c src/image/pull.h \
	src/image/pull-internal.h src/image/pull-limits.c src/image/pull-store.c

# H5: test driver for the system tests (tankctl pull needs the daemon)
check_PROGRAMS += tests/system/pull-driver
tests_system_pull_driver_SOURCES = tests/system/pull-driver.c
tests_system_pull_driver_LDADD = $(TANK_LIBS)

# H5: unit tests
check_PROGRAMS += tests/unit/test-registry tests/unit/test-platform
TESTS += tests/unit/test-registry tests/unit/test-platform
tests_unit_test_registry_SOURCES = tests/unit/test-registry.c
tests_unit_test_registry_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_registry_LDADD = $(TANK_LIBS) $(CHECK_LIBS)
tests_unit_test_platform_SOURCES = tests/unit/test-platform.c
tests_unit_test_platform_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_platform_LDADD = $(TANK_LIBS) $(CHECK_LIBS)
EXTRA_DIST += tests/system/registry-lib.sh tests/system/test-image-pull.sh bench/pull/run.sh
# layer-tool system test and the extraction benchmark
EXTRA_DIST += tests/system/test-image-layers.sh bench/extract/run.sh

# H11: image garbage collection (issue 4)
libtank_la_SOURCES += src/image/gc.c src/image/gc.h
check_PROGRAMS += tests/unit/test-image-gc
TESTS += tests/unit/test-image-gc
tests_unit_test_image_gc_SOURCES = tests/unit/test-image-gc.c \
	src/image/layer-tartest.c src/image/layer-tartest.h
tests_unit_test_image_gc_LDADD = $(TANK_LIBS) $(CHECK_LIBS)
tests_unit_test_image_gc_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

# issue 13: [Images] byte limits at extraction and at the pull's scan
check_PROGRAMS += tests/unit/test-image-limits
TESTS += tests/unit/test-image-limits
tests_unit_test_image_limits_SOURCES = tests/unit/test-image-limits.c \
	src/image/layer-tartest.c src/image/layer-tartest.h
tests_unit_test_image_limits_LDADD = $(TANK_LIBS) $(CHECK_LIBS)
tests_unit_test_image_limits_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

# bench/pull-progress: what a pull observer costs the puller (issue 19)
EXTRA_DIST += bench/pull-progress/run.sh
