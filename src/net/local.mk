libtank_la_SOURCES += \
	src/net/netns.h \
	src/net/netns.c \
	src/net/nl-util.h \
	src/net/nl-util.c \
	src/net/host.h \
	src/net/host.c \
	src/net/host-static.c \
	src/net/host-auto.c \
	src/net/resolved-watch.c \
	src/net/netmode.h \
	src/net/netmode.c \
	src/net/netmode-none.c \
	src/net/netmode-host.c \
	src/net/netmode-macvlan.c \
	src/net/pod-network.h \
	src/net/pod-network.c \
	src/net/pod-files.c

check_PROGRAMS += tests/unit/test-net
TESTS += tests/unit/test-net
tests_unit_test_net_SOURCES = tests/unit/test-net.c
tests_unit_test_net_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_net_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

# bench/net: not run by make check (timings are not tests); run it as root:
#   ./bench/net/bench-net [N]
noinst_PROGRAMS += bench/net/bench-net
bench_net_bench_net_SOURCES = bench/net/bench-net.c
bench_net_bench_net_LDADD = $(TANK_LIBS)

check_PROGRAMS += tests/unit/test-net-resolved
TESTS += tests/unit/test-net-resolved
tests_unit_test_net_resolved_SOURCES = tests/unit/test-net-resolved.c
tests_unit_test_net_resolved_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_net_resolved_LDADD = $(TANK_LIBS) $(CHECK_LIBS)
# system test (run by run-system-tests.sh)
EXTRA_DIST += tests/system/test-net.sh
