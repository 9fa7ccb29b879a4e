# The fleet tests (tests/fleet/): several nodes, each a tank sandbox, on one
# test LAN. Run by tests/run-all.sh after the builds (not by make check: they
# boot sandboxes of their own, on the host).
EXTRA_DIST += \
	tests/fleet/fleet-lib.sh \
	tests/fleet/run-fleet-tests.sh \
	tests/fleet/test-fleet-nodes.sh \
	tests/fleet/test-fleet-failover.sh \
	tests/fleet/test-fleet-peers.sh \
	tests/fleet/test-fleet-placement.sh \
	tests/fleet/test-fleet-takeover.sh
