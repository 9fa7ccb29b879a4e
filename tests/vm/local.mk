# The VM test bed (tests/vm/): Debian 12 as users boot it, in qemu. Run by
# tests/run-all.sh after the builds (not by make check: it needs the plain
# build installed with DESTDIR and takes a whole VM boot).
EXTRA_DIST += \
	tests/vm/build-image.sh \
	tests/vm/run-vm-tests.sh \
	tests/vm/guest-job.sh \
	tests/vm/test-reboot.sh \
	tests/vm/guest/etc/fstab \
	tests/vm/guest/etc/tank-vm-testbed \
	tests/vm/guest/etc/systemd/system/tank-vm-job.service \
	tests/vm/guest/etc/systemd/journald.conf.d/tank-vm.conf
