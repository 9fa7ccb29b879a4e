# src/shim: tank-shim, the per-container monitor, and the tankd<->shim contract
# (shim-config.h, exit-record.h) that libtank carries for tankd.
libtank_la_SOURCES += \
	src/shim/shim-config.h \
	src/shim/shim-config.c \
	src/shim/exit-record.h \
	src/shim/exit-record.c \
	src/shim/json-util.h \
	src/shim/json-util.c

check_PROGRAMS += tests/unit/test-shim-config
TESTS += tests/unit/test-shim-config
tests_unit_test_shim_config_SOURCES = tests/unit/test-shim-config.c
tests_unit_test_shim_config_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/shim
tests_unit_test_shim_config_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_shim_config_LDADD = $(TANK_LIBS) $(CHECK_LIBS)
