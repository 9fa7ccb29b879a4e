# src/config: tank.conf loading (see src/config/config.h for what it promises).
libtank_la_SOURCES += \
	src/config/config.h \
	src/config/config.c \
	src/config/config-values.h \
	src/config/config-files.h \
	src/config/config-files.c \
	src/config/config-internal.h \
	src/config/config-numbers.c \
	src/config/config-node.c \
	src/config/config-store.c \
	src/config/config-values.c

check_PROGRAMS += tests/unit/test-config
TESTS += tests/unit/test-config
tests_unit_test_config_SOURCES = tests/unit/test-config.c
tests_unit_test_config_LDADD = $(TANK_LIBS) $(CHECK_LIBS)
tests_unit_test_config_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
