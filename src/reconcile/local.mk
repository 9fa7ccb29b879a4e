libtank_la_SOURCES += \
	src/reconcile/backoff.h \
	src/reconcile/backoff.c

check_PROGRAMS += tests/unit/test-backoff
TESTS += tests/unit/test-backoff
tests_unit_test_backoff_SOURCES = tests/unit/test-backoff.c
tests_unit_test_backoff_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_backoff_LDADD = $(TANK_LIBS) $(CHECK_LIBS)
