# unit tests (check library): each module adds its test programs here or in its own local.mk

# the end of every unit test's main()
EXTRA_DIST += tests/unit/check-run.h

# tests/system/lib.sh's cgroup_value on fake unified and hybrid trees
TESTS += tests/unit/test-cgroup-value.sh
EXTRA_DIST += tests/unit/test-cgroup-value.sh

# the module layering of docs/ARCHITECTURE.md, read from the #include lines
TESTS += tests/unit/test-layering.sh
EXTRA_DIST += tests/unit/test-layering.sh
