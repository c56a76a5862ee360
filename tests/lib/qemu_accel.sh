# Sourced (POSIX sh): the accelerator the QEMU runs of the tests, benches
# and scripts use.  KVM where it is usable; else QEMU's own emulator (TCG),
# which offers the guest no TSC frequency, so TSC passes the host's as the
# guest's tsc_khz= (TCG's TSC is the host's).  Sets ACCEL and TSC.
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	ACCEL="-accel kvm -cpu max,-arch-capabilities" TSC=""
else
	ACCEL="-accel tcg -cpu max"
	TSC="tsc_khz=$(awk -F': *' '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)"
fi
