#!/usr/bin/env bash
# Root filesystems (make bench's rootfs section, or run alone:
# tests/bench/rootfs.sh): a 64 MiB file read in the guest (readtime, 1 MiB
# calls, the second of two reads timed) from ext4 on virtio-blk and from
# the initrd (cpio), against `cat FILE > /dev/null` on the host from its
# page cache; flint's time to the guest's first instruction with a 64 MiB
# initrd and without; and the host side of putting that initrd into guest
# RAM (tests/bench/initrd_copy.c, as `make bench-initrd`).  Rounds
# interleave flint, QEMU and the host.  ROUNDS=N overrides their number.
# shellcheck source=tests/bench/lib.sh
source "$(dirname "$0")/lib.sh"

echo "== rootfs: a 64 MiB file from ext4 and from the initrd, in the guest and on the host"
for f in build/guest/readtime.elf build/guest/hello.elf build/bench/initrd_copy; do
	[ -f "$f" ] || { echo "   not measured: $f missing (make bench builds it)"; exit 0; }
done
if [ -n "$KVM" ]; then
	rounds=${ROUNDS:-5} boots=${BOOTS:-20}
else
	rounds=${ROUNDS:-2} boots=0
fi

# The images: one 64 MiB file of random bytes (the same file in both), made once.
R=$OUT/rootfs
FILE=big64.bin
if [ ! -s "$R/big.ext4" ] || [ ! -s "$R/big.cpio" ]; then
	rm -rf "$R" && mkdir -p "$R/tree"
	head -c 64M /dev/urandom >"$R/tree/$FILE"
	rootfs/mkimage --format cpio "$R/tree" "$R/big.cpio"
	rootfs/mkimage --format ext4 "$R/tree" "$R/big.ext4"
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
S=$TMP/samples
: >"$S"

# rt_ini NAME KERNEL_LINES CMDLINE [SECTIONS]: readtime under flint (as tests/integration/rootfs.sh boots it).
rt_ini() {
	{
		printf '[machine]\nmemory = 256M\n[kernel]\npath = %s\n' "$PWD/build/guest/readtime.elf"
		printf '%b' "$2"
		printf 'cmdline = %s\n' "$3"
		printf '%b' "${4:-}"
	} >"$TMP/$1.ini"
}
rt_ini initrd "initrd = $PWD/$R/big.cpio\n" "-- /$FILE"
rt_ini ext4 "" "root=/dev/vda -- /$FILE" "[drive.root]\npath = $PWD/$R/big.ext4\nreadonly = true\n"
# hello with a 64 MiB initrd and without: only the boot timeline counts.
printf '[machine]\nmemory = 256M\n[kernel]\npath = %s\n' "$PWD/build/guest/hello.elf" >"$TMP/bare.ini"
{ cat "$TMP/bare.ini"; echo "initrd = $PWD/$R/big.cpio"; } >"$TMP/withinrd.ini"
# Checked everywhere: `flint check` needs no KVM.
for i in initrd ext4 bare withinrd; do
	"$FLINT" check "$TMP/$i.ini" >"$TMP/check" 2>&1 || { echo "   flint check: $(cat "$TMP/check")"; exit 1; }
done

host_cat() { # the host reading the file from its page cache, the exec of an empty cat subtracted
	cat "$R/tree/$FILE" >/dev/null
	python3 tests/bench/interleave.py 5 --base empty "empty=cat /dev/null" "cat=cat $R/tree/$FILE" >"$TMP/cat"
	parse_host_cat <"$TMP/cat" >>"$S"
}
flint_reads() {
	timeout 120 "$FLINT" run "$TMP/initrd.ini" 2>"$TMP/err" | parse_readtime initrd_MBps flint >>"$S" || true
	timeout 120 "$FLINT" run "$TMP/ext4.ini" 2>"$TMP/err" | parse_readtime ext4_MBps flint >>"$S" || true
}
qemu_reads() {
	# shellcheck disable=SC2086
	timeout 300 $QEMU_BASE -m 256M -nographic -serial stdio -kernel build/guest/readtime.elf \
		-initrd "$R/big.cpio" -append "$QEMU_TSC -- /$FILE" 2>"$TMP/err" | parse_readtime initrd_MBps qemu >>"$S" || true
	# shellcheck disable=SC2086
	timeout 300 $QEMU_BASE -m 256M -nographic -serial stdio -kernel build/guest/readtime.elf \
		-drive "id=d0,file=$R/big.ext4,format=raw,if=none,readonly=on" -device virtio-blk-device,drive=d0 \
		-append "$QEMU_TSC root=/dev/vda -- /$FILE" 2>"$TMP/err" | parse_readtime ext4_MBps qemu >>"$S" || true
}
flint_boots() { # with and without the initrd, alternating
	for _ in $(seq "$boots"); do
		"$FLINT" run "$TMP/withinrd.ini" --stats=json 2>&1 >/dev/null | parse_entry first_insn_us flint >>"$S" || true
		"$FLINT" run "$TMP/bare.ini" --stats=json 2>&1 >/dev/null | parse_entry first_insn_us no-initrd >>"$S" || true
	done
}

echo "   $rounds rounds: host cat (5 runs), $QEMU_LABEL ext4 and initrd${KVM:+, flint ext4 and initrd, $boots flint boots with and without the initrd}"
for r in $(seq "$rounds"); do
	if [ $((r % 2)) -eq 1 ]; then
		host_cat
		[ -z "$KVM" ] || { flint_reads; flint_boots; }
		qemu_reads
	else
		qemu_reads
		[ -z "$KVM" ] || { flint_boots; flint_reads; }
		host_cat
	fi
done
cp "$S" "$OUT/rootfs-samples.txt"

echo "   peer: the host's own cat from its page cache (exec of an empty cat subtracted); QEMU: $QEMU_LABEL"
summary "$S" \
	"ext4_MBps|64 MiB from ext4 on virtio-blk (MB/s)|host|-|ratio>=0.5" \
	"initrd_MBps|64 MiB from the initrd (MB/s)|host|-|ratio>=0.9" \
	"ext4_MBps|64 MiB from ext4, flint vs QEMU (MB/s)|qemu|-|-" \
	"initrd_MBps|64 MiB from the initrd, flint vs QEMU (MB/s)|qemu|-|-" \
	"first_insn_us|first guest instruction, 64 MiB initrd vs none (µs)|no-initrd|-|ratio<=1.2"
if [ -z "$KVM" ]; then
	no_kvm_note "readtime in flint from ext4 (target >= 50 % of the host's cat) and from the initrd (target >= 90 %)" \
		"time to the first guest instruction with a 64 MiB initrd vs without (target <= 1.2x)"
	echo "   (the QEMU figures above are TCG: no ratio is drawn from them)"
fi
echo "   samples: $OUT/rootfs-samples.txt"

echo "-- putting a 64 MiB initrd into guest RAM, host side only (build/bench/initrd_copy, 15 runs)"
build/bench/initrd_copy "$R/big.cpio" 15 | sed 's/^/   /'
