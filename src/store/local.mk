# src/store: the desired-state store client on etcd (store.h), the typed pod layer
# (pods.h) and the standalone etcd unit (etcd-server.h). See the headers.
libtank_la_SOURCES += \
	src/store/base64.h \
	src/store/base64.c \
	src/store/json-stream.h \
	src/store/json-stream.c \
	src/store/etcd-json.h \
	src/store/etcd-json.c \
	src/store/store.h \
	src/store/store-internal.h \
	src/store/store-http.c \
	src/store/store.c \
	src/store/watch.c \
	src/store/pods.h \
	src/store/pods.c \
	src/store/userns.h \
	src/store/userns.c \
	src/store/lease.h \
	src/store/lease.c \
	src/store/nodes.h \
	src/store/nodes.c \
	src/store/bindings.h \
	src/store/bindings.c \
	src/store/status.h \
	src/store/status.c \
	src/store/history.h \
	src/store/history.c \
	src/store/etcd-server.h \
	src/store/etcd-server.c

check_PROGRAMS += tests/unit/test-rollout-history
TESTS += tests/unit/test-rollout-history
tests_unit_test_rollout_history_SOURCES = tests/unit/test-rollout-history.c
tests_unit_test_rollout_history_LDADD = $(TANK_LIBS) $(CHECK_LIBS)
tests_unit_test_rollout_history_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

check_PROGRAMS += tests/unit/test-store tests/unit/test-store-http
TESTS += tests/unit/test-store tests/unit/test-store-http
tests_unit_test_store_SOURCES = tests/unit/test-store.c
tests_unit_test_store_LDADD = $(TANK_LIBS) $(CHECK_LIBS)
tests_unit_test_store_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_store_http_SOURCES = tests/unit/test-store-http.c
tests_unit_test_store_http_LDADD = $(TANK_LIBS) $(CHECK_LIBS) -lpthread
tests_unit_test_store_http_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

# driver of the store system tests (tests/system/test-store-*.sh)
check_PROGRAMS += tests/system/store-driver
tests_system_store_driver_SOURCES = tests/system/store-driver.c
tests_system_store_driver_LDADD = $(TANK_LIBS)
EXTRA_DIST += tests/system/test-store-etcd.sh tests/system/test-store-standalone.sh \
	tests/system/test-store-cluster.sh

# bench/store: client vs raw curl against one etcd (bench/store/run.sh)
noinst_PROGRAMS += bench/store/store-bench
bench_store_store_bench_SOURCES = bench/store/store-bench.c
bench_store_store_bench_LDADD = $(TANK_LIBS) -lpthread
noinst_PROGRAMS += bench/fleet-sim/fleet-sim
bench_fleet_sim_fleet_sim_SOURCES = bench/fleet-sim/fleet-sim.c
bench_fleet_sim_fleet_sim_LDADD = $(TANK_LIBS)
EXTRA_DIST += bench/store/run.sh
