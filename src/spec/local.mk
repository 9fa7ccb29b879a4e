# src/spec: the pod spec (pod.h), image references (reference.h) and the OCI
# image config rules (oci.h). See the headers for what each promises.
spec_sources = \
	src/spec/pod.h \
	src/spec/pod.c \
	src/spec/container-fields.h \
	src/spec/container-fields.c \
	src/spec/reference.h \
	src/spec/reference.c \
	src/spec/image-pin.h \
	src/spec/image-pin.c \
	src/spec/oci.h \
	src/spec/oci.c \
	src/spec/json.h \
	src/spec/json.c \
	src/spec/parse-util.h \
	src/spec/parse-util.c \
	src/spec/parse.c \
	src/spec/parse-probe.c \
	src/spec/placement-field.h \
	src/spec/placement-field.c \
	src/spec/rollout-field.h \
	src/spec/rollout-field.c \
	src/spec/spec-util.h \
	src/spec/spec-util.c \
	src/spec/serialize.c \
	src/spec/hash.c \
	src/spec/yaml-tree.h \
	src/spec/yaml-tree.c \
	src/spec/kube.h \
	src/spec/kube.c \
	src/spec/kube-container.c \
	src/spec/kube-util.h \
	src/spec/kube-util.c \
	src/spec/kube-quantity.c \
	src/spec/kube-probe.c \
	src/spec/kube-out.c \
	src/spec/kube-limits.c
libtank_la_SOURCES += $(spec_sources)

spec_tests = \
	tests/unit/test-spec \
	tests/unit/test-spec-valid \
	tests/unit/test-spec-fields \
	tests/unit/test-reference \
	tests/unit/test-image-pin \
	tests/unit/test-oci \
	tests/unit/test-kube
check_PROGRAMS += $(spec_tests)
TESTS += $(spec_tests)

tests_unit_test_spec_SOURCES = tests/unit/test-spec.c
tests_unit_test_spec_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_spec_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

tests_unit_test_spec_valid_SOURCES = tests/unit/test-spec-valid.c
tests_unit_test_spec_valid_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_spec_valid_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

tests_unit_test_spec_fields_SOURCES = tests/unit/test-spec-fields.c
tests_unit_test_spec_fields_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_spec_fields_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

tests_unit_test_reference_SOURCES = tests/unit/test-reference.c
tests_unit_test_reference_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_reference_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

tests_unit_test_image_pin_SOURCES = tests/unit/test-image-pin.c
tests_unit_test_image_pin_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_image_pin_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

tests_unit_test_kube_SOURCES = tests/unit/test-kube.c
tests_unit_test_kube_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_kube_LDADD = $(TANK_LIBS) $(CHECK_LIBS)
EXTRA_DIST += tests/kube

tests_unit_test_oci_SOURCES = tests/unit/test-oci.c
tests_unit_test_oci_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_oci_LDADD = $(TANK_LIBS) $(CHECK_LIBS)

# libFuzzer target: ./configure --enable-fuzzing CC=clang, then
#   make tests/fuzz/fuzz-spec
#   tests/fuzz/fuzz-spec -max_total_time=600 -dict=$(srcdir)/tests/fuzz/fuzz-spec.dict \
#           CORPUS_DIR $(srcdir)/tests/fuzz/corpus-spec
# The spec sources are compiled into the target itself rather than taken from
# libtank.la, so that they carry libFuzzer's coverage instrumentation (and the
# target does not depend on the rest of the tree building with clang).
EXTRA_DIST += tests/fuzz/corpus-spec tests/fuzz/fuzz-spec.dict tests/fuzz/corpus-kube tests/fuzz/fuzz-kube.dict
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz-spec
tests_fuzz_fuzz_spec_SOURCES = tests/fuzz/fuzz-spec.c $(spec_sources) src/shared/strv.c src/shared/json-guard.c
tests_fuzz_fuzz_spec_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
tests_fuzz_fuzz_spec_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_spec_LDADD = $(YAJL_LIBS) $(YAML_LIBS) $(CRYPTO_LIBS)

# The Kubernetes YAML front end, the same way:
#   make tests/fuzz/fuzz-kube
#   tests/fuzz/fuzz-kube -max_total_time=600 -dict=$(srcdir)/tests/fuzz/fuzz-kube.dict \
#           CORPUS_DIR $(srcdir)/tests/fuzz/corpus-kube
noinst_PROGRAMS += tests/fuzz/fuzz-kube
tests_fuzz_fuzz_kube_SOURCES = tests/fuzz/fuzz-kube.c $(spec_sources) src/shared/strv.c src/shared/json-guard.c
tests_fuzz_fuzz_kube_CFLAGS = $(tests_fuzz_fuzz_spec_CFLAGS)
tests_fuzz_fuzz_kube_LDFLAGS = $(tests_fuzz_fuzz_spec_LDFLAGS)
tests_fuzz_fuzz_kube_LDADD = $(tests_fuzz_fuzz_spec_LDADD)
endif
