#!/usr/bin/env bash
# Images and the files guests read from them: rootfs/mkimage (errors,
# reproducibility), the guest's VFS under QEMU TCG (runs here: ls -R and
# sha256 of every file against the host's own tools), flint check's
# initrd errors, and booting through flint (SKIP without KVM).
source "$(dirname "$0")/lib.sh"
MKIMAGE=rootfs/mkimage
TREE=build/rootfs/tree
CPIO=build/rootfs/example.cpio
EXT4=build/rootfs/example.ext4
G=build/guest

# qemu APP "KERNEL PARAMS -- ARGS" [QEMU ARGS...]: boots APP under QEMU (TCG here);
# guest output in $OUT, the guest's own exit status in $rc.
qemu() {
	needs qemu
	local app=$1 args=$2 ACCEL TSC
	shift 2
	. tests/lib/qemu_accel.sh
	rc=0
	# shellcheck disable=SC2086
	timeout 60 qemu-system-x86_64 -M microvm,acpi=off $ACCEL -m 64M -nodefaults \
		-no-user-config -nographic -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-kernel "$G/$app.elf" -append "$TSC $args" "$@" >"$OUT" 2>"$ERR" || rc=$?
	rc=$(( (rc - 1) >> 1 ))     # QEMU exits with (status << 1) | 1
}
host_listing() { (cd "$TREE" && LC_ALL=C ls -R .); }
host_sums() { (cd "$TREE" && find . -type f | LC_ALL=C sort | sed 's|^\./|/|' | while read -r f; do
	printf '%s  %s\n' "$(sha256sum < ".$f" | cut -d' ' -f1)" "$f"; done); }
files() { (cd "$TREE" && find . -type f | LC_ALL=C sort | sed 's|^\./|/|' | tr '\n' ' '); }
same() { # WANT_FILE: $OUT must equal it
	diff -u "$1" "$OUT" >"$TMP/diff" || fail "guest output differs from the host's: $(head -40 "$TMP/diff")"
}

# ---- mkimage ----

mkimage_cpio_reproducible() {
	cp -a rootfs/examples "$TMP/a"
	touch -d '2001-02-03' "$TMP/a/hello.txt" "$TMP/a/docs"
	$MKIMAGE --format cpio rootfs/examples "$TMP/1.cpio"
	$MKIMAGE --format cpio "$TMP/a" "$TMP/2.cpio"
	cmp "$TMP/1.cpio" "$TMP/2.cpio" || fail "two cpio images of one folder differ"
	$MKIMAGE --format cpio "$TMP/a" "$TMP/3.cpio"
	cmp "$TMP/1.cpio" "$TMP/3.cpio"
	echo changed >"$TMP/a/hello.txt"
	$MKIMAGE --format cpio "$TMP/a" "$TMP/4.cpio"
	! cmp -s "$TMP/1.cpio" "$TMP/4.cpio" || fail "a changed file left the image the same"
}
mkimage_ext4_reproducible() {
	needs mke2fs debugfs e2fsck
	cp -a rootfs/examples "$TMP/e"
	touch -d '2001-02-03' "$TMP/e/hello.txt" "$TMP/e/docs"
	$MKIMAGE --format ext4 rootfs/examples "$TMP/1.ext4"
	sleep 1.1   # a second later: any clock leaking into the image would show
	$MKIMAGE --format ext4 "$TMP/e" "$TMP/2.ext4"
	cmp "$TMP/1.ext4" "$TMP/2.ext4" || fail "two ext4 images of one folder differ"
	e2fsck -fn "$TMP/1.ext4" >"$TMP/fsck" 2>&1 || fail "e2fsck: $(cat "$TMP/fsck")"
	debugfs -R "cat /docs/notes/deep.txt" "$TMP/1.ext4" 2>/dev/null | grep -q "two folders down"
	# names debugfs must be given quoted
	echo q >"$TMP/e/q\"uote" && echo s >"$TMP/e/sp ace"
	$MKIMAGE --format ext4 "$TMP/e" "$TMP/3.ext4"
	sleep 1.1
	cp -a "$TMP/e" "$TMP/e2"
	$MKIMAGE --format ext4 "$TMP/e2" "$TMP/4.ext4"
	cmp "$TMP/3.ext4" "$TMP/4.ext4" || fail "odd names: two ext4 images of one folder differ"
}
mkimage_example_images_built() {
	[ -s "$CPIO" ] && [ -s "$EXT4" ] || fail "make did not build $CPIO and $EXT4"
	[ "$(stat -c %s "$TREE/big.bin")" -eq 4194304 ] || fail "big.bin is not 4 MiB"
	! git ls-files --error-unmatch rootfs/examples/big.bin 2>/dev/null || fail "big.bin is committed"
}
# expect_mkimage_error MSG ARGS...: status 2, MSG on stderr, and no OUT (the last path)
expect_mkimage_error() {
	local msg=$1 out
	shift
	out=${!#}
	run $MKIMAGE "$@"
	expect_rc 2
	expect_err "$msg"
	[ ! -e "$out" ] || fail "$out was left behind"
	! ls -a "$(dirname "$out")" | grep -q '^\.mkimage-' || fail "a temporary file was left behind"
}
mkimage_errors() {
	mkdir -p "$TMP/o"
	expect_mkimage_error "no such folder" --format cpio "$TMP/nope" "$TMP/o/x.cpio"
	expect_mkimage_error "not a folder" --format ext4 rootfs/examples/hello.txt "$TMP/o/x.ext4"
	expect_mkimage_error "usage: mkimage" --format zip rootfs/examples "$TMP/o/x.zip"
	expect_mkimage_error "usage: mkimage" rootfs/examples "$TMP/o/x.cpio"
	expect_mkimage_error "--size" --format cpio --size 12Q rootfs/examples "$TMP/o/x.cpio"
	# a path longer than the guest's VFS takes (1023 bytes)
	local deep="$TMP/long" p
	p=$deep
	for _ in 1 2 3 4 5; do p="$p/$(printf 'd%.0s' $(seq 250))"; done
	mkdir -p "$p"
	expect_mkimage_error "allows 1023" --format cpio "$deep" "$TMP/o/x.cpio"
	# too small
	expect_mkimage_error "raise --size" --format ext4 --size 1M "$TREE" "$TMP/o/x.ext4"
	expect_mkimage_error "raise --size" --format cpio --size 4K "$TREE" "$TMP/o/x.cpio"
	# an unreadable file: as root, read it as nobody
	mkdir -p "$TMP/u"
	echo secret >"$TMP/u/s"
	chmod 000 "$TMP/u/s"
	chmod 755 "$TMP" "$TMP/u" "$TMP/o"
	chmod 777 "$TMP/o"
	if [ "$(id -u)" -eq 0 ]; then
		# nobody may not reach the checkout (a mode-700 clone folder): a copy
		# of the self-contained script in $TMP, which it can.
		install -m 755 $MKIMAGE "$TMP/mkimage"
		run setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/mkimage" --format cpio "$TMP/u" "$TMP/o/x.cpio"
	else
		run $MKIMAGE --format cpio "$TMP/u" "$TMP/o/x.cpio"
	fi
	expect_rc 2
	expect_err "cannot read the file"
	[ ! -e "$TMP/o/x.cpio" ]
	# a failed run leaves an existing OUT as it was
	echo old >"$TMP/o/keep.cpio"
	run $MKIMAGE --format cpio "$TMP/nope" "$TMP/o/keep.cpio"
	expect_rc 2
	[ "$(cat "$TMP/o/keep.cpio")" = old ] || fail "a failed run changed the existing OUT"
}

# ---- the guest under QEMU ----

qemu_ls_R_matches_host() {
	qemu ls "-- -R ." -initrd "$CPIO"
	expect_rc 0
	host_listing >"$TMP/want"
	same "$TMP/want"
}
qemu_sha256_matches_host() {
	# shellcheck disable=SC2046
	qemu sha256 "-- $(files)" -initrd "$CPIO"
	expect_rc 0
	host_sums >"$TMP/want"
	same "$TMP/want"
	[ "$(wc -l <"$OUT")" -ge 6 ] || fail "too few files hashed"
}
qemu_heap_stays_off_the_initrd() {
	# fscheck fills the whole heap before hashing: an overlap would change the digests.
	qemu fscheck "" -initrd "$CPIO"
	expect_rc 0
	expect_out "MiB of heap filled first"
	grep -v '^fscheck:' "$OUT" >"$TMP/got" && mv "$TMP/got" "$OUT"
	host_sums >"$TMP/want"
	same "$TMP/want"
}
qemu_cat_and_symlinks() {
	qemu cat "root=initrd -- /greeting /notes/up /docs/notes/../list.txt" -initrd "$CPIO"
	expect_rc 0
	cat "$TREE/hello.txt" "$TREE/hello.txt" "$TREE/docs/list.txt" >"$TMP/want"
	same "$TMP/want"
}
qemu_errors_are_errno_messages() {
	qemu cat "-- /nope /docs" -initrd "$CPIO"
	expect_rc 1
	expect_out "cat: /nope: No such file or directory"
	expect_out "cat: /docs: Is a directory"
	qemu ls "-- /hello.txt/x" -initrd "$CPIO"
	expect_rc 2
	expect_out "ls: cannot access '/hello.txt/x': Not a directory"
}
qemu_second_mount() {
	qemu ls "root=initrd fs.mount=/docs/notes:initrd -- /docs/notes" -initrd "$CPIO"
	expect_rc 0
	(cd "$TREE" && LC_ALL=C ls) >"$TMP/want"
	same "$TMP/want"
}
qemu_no_initrd() {
	qemu ls "-- /" 
	expect_rc 2
	expect_out "ls: cannot access '/': No such file or directory"
	qemu ls "root=initrd -- /"
	expect_rc 2
	expect_out "root=initrd: no initrd"
}
qemu_bad_mount_parameters() {
	qemu ls "root=floppy -- /" -initrd "$CPIO"
	expect_rc 2
	expect_out "guest: root=floppy: unknown source 'floppy' (use initrd or /dev/vdX)"
	qemu ls "fs.mount=/docs -- /" -initrd "$CPIO"
	expect_rc 2
	expect_out "guest: fs.mount=/docs: expected fs.mount=/PATH:SOURCE"
	qemu ls "fs.mount=/nowhere:initrd -- /" -initrd "$CPIO"
	expect_rc 2
	expect_out "guest: fs.mount=/nowhere:initrd: mounting cpio at /nowhere failed: No such file or directory"
	qemu ls "root=/dev/vdb -- /" -initrd "$CPIO"
	expect_rc 2
	expect_out "guest: root=/dev/vdb:"
}
qemu_corrupt_initrd_is_an_error_not_a_crash() {
	head -c 3000 "$CPIO" >"$TMP/cut.cpio"
	qemu ls "-- /" -initrd "$TMP/cut.cpio"
	expect_rc 2
	expect_out "Structure needs cleaning"
	python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[6+8*6+7] ^= 0x7; open(sys.argv[2],"wb").write(d)' \
		"$CPIO" "$TMP/bad.cpio"
	qemu ls "-- -R /" -initrd "$TMP/bad.cpio"
	[ "$rc" -le 2 ] || fail "guest status $rc: crashed? $(head -c 400 "$OUT")"
}
qemu_root_dev_vda() {
	local drive="-global virtio-mmio.force-legacy=false -drive id=d0,file=$EXT4,format=raw,if=none,readonly=on -device virtio-blk-device,drive=d0"
	if [ ! -e guest-kernel/fs/ext4.h ]; then
		# shellcheck disable=SC2086
		qemu ls "root=/dev/vda -- /" $drive
		expect_rc 2
		expect_out "root=/dev/vda: this guest has no block filesystem (ext4) reader built in"
		return
	fi
	# shellcheck disable=SC2046,SC2086
	qemu sha256 "root=/dev/vda -- $(files)" $drive
	expect_rc 0
	host_sums >"$TMP/want"
	same "$TMP/want"
	# the listing: the host's tree plus mke2fs's lost+found
	cp -a "$TREE" "$TMP/x4" && mkdir "$TMP/x4/lost+found"
	(cd "$TMP/x4" && LC_ALL=C ls -R .) >"$TMP/want"
	# shellcheck disable=SC2086
	qemu ls "root=/dev/vda -- -R ." $drive
	expect_rc 0
	same "$TMP/want"
	# ext4 at /, the initrd mounted over /docs
	# shellcheck disable=SC2086
	qemu cat "root=/dev/vda fs.mount=/docs:initrd -- /docs/hello.txt /docs/docs/list.txt" $drive -initrd "$CPIO"
	expect_rc 0
	cat "$TREE/hello.txt" "$TREE/docs/list.txt" >"$TMP/want"
	same "$TMP/want"
}
qemu_readtime() {
	# the rootfs benchmark's reader (tests/bench/rootfs.sh): the whole file, both sources
	qemu readtime "-- /big.bin 64" -initrd "$CPIO"
	expect_rc 0
	expect_out "readtime: 4194304 bytes in "
	# shellcheck disable=SC2086
	qemu readtime "root=/dev/vda -- /big.bin" -global virtio-mmio.force-legacy=false \
		-drive "id=d0,file=$EXT4,format=raw,if=none,readonly=on" -device virtio-blk-device,drive=d0
	expect_rc 0
	expect_out "readtime: 4194304 bytes in "
	qemu readtime "-- /nope" -initrd "$CPIO"
	expect_rc 1
	expect_out "readtime: /nope: No such file or directory"
	qemu readtime "-- /big.bin 0" -initrd "$CPIO"
	expect_rc 2
	expect_out "usage: readtime"
}

# ---- flint ----

initrd_ini() { # NAME INITRD [CMDLINE]
	{
		echo "[machine]"; echo "memory = 64M"
		echo "[kernel]"; echo "path = $PWD/$G/$1.elf"
		echo "initrd = $2"
		echo "cmdline = ${3:-}"
	} >"$TMP/$1.ini"
	echo "$TMP/$1.ini"
}
flint_check_initrd_errors() {
	local cfg
	cfg=$(initrd_ini ls "$PWD/$CPIO")
	run "$FLINT" check "$cfg"
	expect_rc 0
	expect_out "initrd $PWD/$CPIO: 4196352 bytes at 0x"
	cfg=$(initrd_ini ls missing.cpio)
	run "$FLINT" check "$cfg"
	expect_rc 2
	expect_err "$cfg:5: [kernel] initrd $TMP/missing.cpio: cannot open: No such file or directory"
	cfg=$(initrd_ini ls "$PWD/rootfs/examples")
	run "$FLINT" check "$cfg"
	expect_rc 2
	expect_err "$cfg:5: [kernel] initrd $PWD/rootfs/examples: is a directory"
	cfg=$(initrd_ini ls "$PWD/$CPIO")
	run "$FLINT" check "$cfg" --set machine.memory=4M
	expect_rc 2
	expect_err "$cfg:5: [kernel] initrd $PWD/$CPIO: is 4.0 MiB, which does not fit in guest memory (4 MiB)"
	run "$FLINT" check "$cfg" --set kernel.initrd=/
	expect_rc 2
	expect_err "--set kernel.initrd=/: [kernel] initrd /: is a directory"
}
flint_run_ls_R() {
	run "$FLINT" run "$(initrd_ini ls "$PWD/$CPIO" "-- -R .")"
	expect_rc 0
	host_listing >"$TMP/want"
	same "$TMP/want"
}
flint_run_sha256() {
	run "$FLINT" run "$(initrd_ini sha256 "$PWD/$CPIO" "-- $(files)")"
	expect_rc 0
	host_sums >"$TMP/want"
	same "$TMP/want"
}
flint_run_too_large_initrd() {
	run "$FLINT" run "$(initrd_ini ls "$PWD/$CPIO")" --set machine.memory=4M
	expect_rc 2
	expect_err "does not fit in guest memory (4 MiB)"
}

for t in mkimage_cpio_reproducible mkimage_ext4_reproducible mkimage_example_images_built \
	mkimage_errors qemu_ls_R_matches_host qemu_sha256_matches_host qemu_heap_stays_off_the_initrd qemu_cat_and_symlinks \
	qemu_errors_are_errno_messages qemu_second_mount qemu_no_initrd qemu_bad_mount_parameters \
	qemu_corrupt_initrd_is_an_error_not_a_crash qemu_root_dev_vda qemu_readtime flint_check_initrd_errors \
	flint_run_ls_R flint_run_sha256 flint_run_too_large_initrd; do
	t $t
done
exit $((failures > 0))
