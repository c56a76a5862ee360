#!/usr/bin/env bash
# `flint check` finds every problem `flint run` would stop at with status 2,
# lists them all, and names the file, line and key of each; paths in a file
# are relative to the file, paths on the command line to the current folder.
source "$(dirname "$0")/lib.sh"

# as_nobody CMD...: runs CMD as an unprivileged user (root drops to nobody;
# anyone else is unprivileged already), through `run`.
as_nobody() {
	if [ "$(id -u)" -eq 0 ]; then
		run setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		run "$@"
	fi
}
# A world-readable copy of a guest and a config for it, for as_nobody.
nobody_ini() {
	chmod 755 "$TMP"
	cp build/guest/hello.elf "$TMP/hello.elf"
	chmod 644 "$TMP/hello.elf"
	{ printf '[kernel]\npath = hello.elf\n'; printf '%s\n' "$@"; } >"$TMP/n.ini"
	chmod 644 "$TMP/n.ini"
	echo "$TMP/n.ini"
}

# Every problem at once, each with the line of its key.
check_lists_every_problem() {
	local cfg
	cfg=$(ini hello "[console]" "output = file:/nonexistent/dir/console.txt" \
		"[control]" "socket = /nonexistent/dir/vm.sock" \
		"[sandbox]" "chroot = /nonexistent/jail" \
		"[drive.d]" "path = /nonexistent/d.img")
	run "$FLINT" check "$cfg"
	expect_rc 2
	expect_err "$cfg:6: [console] output = file:/nonexistent/dir/console.txt: "
	expect_err "$cfg:8: [control] socket = /nonexistent/dir/vm.sock: No such file or directory"
	expect_err "$cfg:10: [sandbox] chroot = \"/nonexistent/jail\": no such directory"
	expect_err "$cfg:12: [drive.d] path = /nonexistent/d.img"
	! grep -q OK "$OUT" || fail "check said OK: $(cat "$OUT")"
}
# A --set names itself as the place.
check_control_socket_from_set() {
	run "$FLINT" check config.ini.example --set control.socket=/nonexistent/dir/vm.sock
	expect_rc 2
	expect_err "flint: --set control.socket=/nonexistent/dir/vm.sock: [control] socket = /nonexistent/dir/vm.sock: No such file or directory"
}
check_control_socket_in_use() {
	local s=$TMP/busy.sock
	python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); print("up", flush=True); time.sleep(30)' "$s" >"$TMP/py.out" &
	local py=$!
	await 10 grep -q up "$TMP/py.out" || fail "the listener never started"
	run "$FLINT" check config.ini.example --set "control.socket=$s"
	kill $py
	expect_rc 2
	expect_err "another process is serving it"
}
check_console_file_ok_leaves_nothing() {
	run "$FLINT" check config.ini.example --set "console.output=file:$TMP/new.txt"
	expect_rc 0
	[ ! -e "$TMP/new.txt" ] || fail "check created the console file"
}
# What only root may do: check says so as run would (status 2).
check_jail_needs_root() {
	local cfg
	needs setpriv
	cfg=$(nobody_ini "[sandbox]" "chroot = /tmp" "uid = 0" "namespaces = mount")
	as_nobody "$FLINT" check "$cfg"
	expect_rc 2
	expect_err "$cfg:4: [sandbox] chroot = \"/tmp\": needs root (CAP_SYS_CHROOT)"
	expect_err "$cfg:5: [sandbox] uid = 0: needs root (CAP_SETUID)"
	expect_err "$cfg:6: [sandbox] namespaces = mount: needs root (CAP_SYS_ADMIN)"
}
# A host that cannot run VMs is said on a line of its own, with what
# would fix it here, and does not fail the check.
check_without_kvm_is_a_note() {
	local cfg
	needs setpriv
	cfg=$(nobody_ini)
	if [ "$(id -u)" -eq 0 ] && setpriv --reuid=65534 --regid=65534 --clear-groups test -w /dev/kvm; then
		needs no-kvm-for-nobody
	fi
	as_nobody "$FLINT" check "$cfg"
	expect_rc 0
	expect_out "OK"
	expect_err "flint: note: this host cannot run VMs"
	if [ ! -e /dev/kvm ]; then
		expect_err "no such device"
	else
		expect_err "/dev/kvm: permission denied: it is $(stat -c %U:%G /dev/kvm), mode 0$(stat -c %a /dev/kvm)"
		if getent group kvm >/dev/null; then expect_err "has a kvm group"; else expect_err "has no kvm group"; fi
		if [ "$(stat -c %G /dev/kvm)" = root ]; then
			! grep -q "usermod -aG root" "$ERR" || fail "advises joining group root: $(cat "$ERR")"
		fi
	fi
	[ "$(grep -c 'note:' "$ERR")" -eq 1 ] || fail "the note is not one line: $(cat "$ERR")"
}
# config.ini.example copied elsewhere: its relative kernel path is
# relative to the copy, and the error names the copy's line.
example_copied_elsewhere_names_line() {
	local line
	cp config.ini.example "$TMP/c.ini"
	line=$(grep -n '^path = build/guest/hello.elf' config.ini.example | cut -d: -f1)
	run "$FLINT" check "$TMP/c.ini"
	expect_rc 2
	expect_err "flint: $TMP/c.ini:$line: [kernel] path = \"$TMP/build/guest/hello.elf\": cannot open: No such file or directory"
}
# run says the same, with the same place.
run_names_where_too() {
	local line
	cp config.ini.example "$TMP/c.ini"
	line=$(grep -n '^path = build/guest/hello.elf' config.ini.example | cut -d: -f1)
	run "$FLINT" run "$TMP/c.ini"
	expect_rc 2
	expect_err "flint: $TMP/c.ini:$line: [kernel] path = \"$TMP/build/guest/hello.elf\": cannot open"
	run "$FLINT" run config.ini.example --set control.socket=/nonexistent/dir/vm.sock
	expect_rc 2
	expect_err "flint: --set control.socket=/nonexistent/dir/vm.sock: [control] socket = /nonexistent/dir/vm.sock: No such file or directory"
}
# One rule: a --set path is relative to where it was typed.
set_path_relative_to_cwd() {
	local here=$PWD
	mkdir -p "$TMP/elsewhere"
	cp build/guest/hello.elf "$TMP/elsewhere/k.elf"
	rc=0
	(cd "$TMP/elsewhere" && timeout 60 "$here/$FLINT" check "$here/config.ini.example" --set kernel.path=k.elf) \
		>"$OUT" 2>"$ERR" || rc=$?
	expect_rc 0
	expect_out "OK (kernel k.elf"
}
bzimage_kernel_explained() {
	# A bzImage's real-mode header: "HdrS" at 0x202, no ELF magic.
	python3 -c 'import sys; b=bytearray(4096); b[0x1fe:0x200]=b"\x55\xaa"; b[0x202:0x206]=b"HdrS"; open(sys.argv[1],"wb").write(b)' "$TMP/vmlinuz"
	run "$FLINT" check config.ini.example --set "kernel.path=$TMP/vmlinuz"
	expect_rc 2
	expect_err "--set kernel.path=$TMP/vmlinuz: [kernel] path = \"$TMP/vmlinuz\": not an ELF file: a Linux bzImage"
	expect_err "vmlinux"
	expect_err "PVH"
}

for f in check_lists_every_problem check_control_socket_from_set check_control_socket_in_use \
	check_console_file_ok_leaves_nothing check_jail_needs_root check_without_kvm_is_a_note \
	example_copied_elsewhere_names_line run_names_where_too set_path_relative_to_cwd bzimage_kernel_explained; do
	t "$f"
done
exit $((failures > 0))
