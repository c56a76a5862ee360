#!/usr/bin/env bash
# The Lua guest (build/guest/lua.elf, guest-kernel/hosted/): scripts from
# the initrd, an ext4 drive and the command line; the console, io.open
# read-only, the excluded functions, os.exit's status; and hostile scripts
# (an uncaught error, a memory bomb, unbounded recursion, huge strings),
# each ending the VM with a clear status.  The scripts are tests/integration/lua/.
source "$(dirname "$0")/lib.sh"
ELF=build/guest/lua.elf
SCRIPTS=tests/integration/lua

images() {
	[ -f "$TMP/lua.cpio" ] || rootfs/mkimage --format cpio "$SCRIPTS" "$TMP/lua.cpio" >/dev/null
}
# lua SCRIPT-CMDLINE [EXTRA INI LINES...]: boots lua.elf with the scripts as initrd
lua() {
	local cmd=$1
	shift
	images
	run "$FLINT" run "$(ini lua "initrd = $TMP/lua.cpio" "cmdline = $cmd" "$@")"
}

script_from_initrd() {
	lua "-- /hello.lua a b"
	expect_rc 0
	expect_out "hello from Lua	a	b"
	expect_out "io.write Lua 5.4"
	expect_out "data: read-only bytes from the guest's file system"
	expect_out "write:	nil	/new.txt: Read-only file system"
	expect_out "missing:	nil	/nope.txt: No such file or directory"
	expect_out "clock advanced:	true	time:	integer"
	expect_out "math:	1.4142135623730951 0x1p-1 9.22337e+18	-4	3	inf"
	expect_out "strtod:	0.25	0.0025	10"
	local fn
	for fn in os.execute io.popen package.loadlib; do
		expect_out "$fn	false	$fn is not available in a Flint guest"
	done
	expect_out "require C module:	false"
}
script_from_ext4_drive() {
	rootfs/mkimage --format ext4 "$SCRIPTS" "$TMP/lua.ext4" >/dev/null
	run "$FLINT" run "$(ini lua "cmdline = root=/dev/vda -- /hello.lua x" \
		"[drive.root]" "path = $TMP/lua.ext4" "readonly = true")"
	expect_rc 0
	expect_out "hello from Lua	x"
	expect_out "data: read-only bytes"
}
inline_code_and_exit_status() {
	run "$FLINT" run "$(ini lua 'cmdline = -- -e print("inline", 6 * 7) os.exit(9)')"
	expect_rc 9
	expect_out "inline	42"
}
missing_script_fails_cleanly() {
	lua "-- /none.lua"
	expect_rc 1
	expect_out "lua: cannot open /none.lua"
}
error_has_traceback_and_status_1() {
	lua "-- /error.lua"
	expect_rc 1
	expect_out "before the error"
	expect_out "lua: /error.lua:2: boom in inner"
	expect_out "stack traceback:"
	expect_out "/error.lua:3: in local 'outer'"
	if grep -q "not reached" "$OUT"; then fail "ran past the error"; fi
}
memory_limit_is_a_lua_error() {
	lua "lua.mem=8M -- /membomb.lua"
	expect_rc 1
	expect_out "caught:	false	not enough memory"
	expect_out "after:	1000"
	expect_out "lua: not enough memory"
}
bad_memory_limit_is_refused() {
	lua "lua.mem=lots -- /hello.lua"
	expect_rc 2
	expect_out "lua.mem=lots: not a size"
}
deep_recursion_is_a_lua_error() {
	# 256 MiB: Lua's own limit (a million stack slots) comes before lua.mem's.
	images
	run "$FLINT" run "$(ini lua "initrd = $TMP/lua.cpio" "cmdline = -- /recursion.lua")" \
		--set machine.memory=256M
	expect_rc 1
	expect_out "lua:	false	/recursion.lua:3: stack overflow"
	expect_out "c:	false	/recursion.lua:5: C stack overflow"
	expect_out "parser:	nil"
	expect_out "gsub:	false"
	expect_out "lua: /recursion.lua:3: stack overflow"
}
huge_strings() {
	lua "-- /hugestring.lua"
	expect_rc 3
	expect_out "len:	16777216	abab"
	expect_out "huge:	false	"
	expect_out "too large:	false	resulting string too large"
}

for f in script_from_initrd script_from_ext4_drive inline_code_and_exit_status \
	missing_script_fails_cleanly error_has_traceback_and_status_1 memory_limit_is_a_lua_error \
	bad_memory_limit_is_refused deep_recursion_is_a_lua_error huge_strings; do
	t "$f"
done
exit $((failures > 0))
