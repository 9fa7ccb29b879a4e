# benchmarks
# bench/fleet: the scheduler on the fleet tests' three sandboxes (a script
# on the host, as root; not part of make check or tests/run-all.sh).
EXTRA_DIST += bench/fleet/run.sh
