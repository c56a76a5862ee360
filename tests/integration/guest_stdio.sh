#!/usr/bin/env bash
# The guest library's FILE streams and getenv (guest-kernel/lib/file.c,
# getenv.c), checked by the stdiocheck guest against read() on the
# example images: the initrd (cpio in memory) and ext4 on virtio-blk.
source "$(dirname "$0")/lib.sh"
FILES="/hello.txt /docs/list.txt /docs/notes/deep.txt /big.bin /README"

streams_over_initrd() {
	run "$FLINT" run "$(ini stdiocheck "initrd = $PWD/build/rootfs/example.cpio" \
		"cmdline = root=initrd -- $FILES")"
	expect_rc 0
	expect_out "stdiocheck OK files=5"
}
streams_over_ext4() {
	run "$FLINT" run "$(ini stdiocheck "cmdline = root=/dev/vda -- $FILES" \
		"[drive.root]" "path = $PWD/build/rootfs/example.ext4" "readonly = true")"
	expect_rc 0
	expect_out "stdiocheck OK files=5"
}
getenv_reads_name_value_parameters() {
	run "$FLINT" run "$(ini stdiocheck \
		"cmdline = WHO=a WHO=b EMPTY= flag env=WHO env=EMPTY env=flag env=fs.mount env=NONE --")"
	expect_rc 0
	expect_out "getenv WHO=b"
	expect_out "getenv EMPTY="
	expect_out "getenv flag unset"
	expect_out "getenv fs.mount unset"
	expect_out "getenv NONE unset"
}
missing_file_fails_cleanly() {
	run "$FLINT" run "$(ini stdiocheck "initrd = $PWD/build/rootfs/example.cpio" "cmdline = -- /nope")"
	expect_rc 2
	expect_out "/nope: No such file or directory"
}

for f in streams_over_initrd streams_over_ext4 getenv_reads_name_value_parameters \
	missing_file_fails_cleanly; do
	t "$f"
done
exit $((failures > 0))
