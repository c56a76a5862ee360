#!/usr/bin/env bash
# make install / uninstall, the installed examples and man pages, and the
# guest SDK used from outside the tree (issue 19, §4 and §5).
source "$(dirname "$0")/lib.sh"
STAGE=$TMP/stage
P=$STAGE/usr
MAKE_Q="make -s --no-print-directory"

# One staged install for the tests that read it.
staged() {
	[ -x "$P/bin/flint" ] || $MAKE_Q install DESTDIR="$STAGE" PREFIX=/usr >"$TMP/install.log" 2>&1 ||
		fail "make install failed: $(tail -5 "$TMP/install.log")"
}

staged_install_layout() {
	staged
	local f
	for f in bin/flint share/flint/guests/hello.elf share/flint/guests/ls.elf \
		share/flint/images/example.cpio share/flint/images/example.ext4 \
		share/man/man1/flint.1 share/man/man5/flint.ini.5 \
		lib/flint/libflint.a lib/flint/link.ld lib/flint/entry.o \
		include/flint/guest/stdio.h include/flint/guest/sys/stat.h lib/pkgconfig/flint-guest.pc; do
		[ -e "$P/$f" ] || fail "not installed: $f"
	done
	for f in hello initrd disk network control; do
		[ -e "$P/share/flint/examples/$f.ini" ] || fail "no example $f.ini"
	done
}
# Every example passes check from another folder, its paths relative to it
# (network.ini needs its tap: checked where a namespace can hold one).
examples_check_from_any_folder() {
	staged
	local f
	for f in hello initrd disk control; do
		(cd / && "$P/bin/flint" check "$P/share/flint/examples/$f.ini") >"$OUT" 2>"$ERR" ||
			fail "check $f.ini from /: $(cat "$ERR")"
	done
}
examples_boot_from_any_folder() {
	needs kvm
	staged
	(cd / && timeout 60 "$P/bin/flint" run "$P/share/flint/examples/hello.ini") >"$OUT" 2>"$ERR" ||
		fail "hello.ini: $(cat "$ERR")"
	expect_out "Hello from Flint"
	(cd / && timeout 60 "$P/bin/flint" run "$P/share/flint/examples/initrd.ini") >"$OUT" 2>"$ERR" ||
		fail "initrd.ini: $(cat "$ERR")"
	expect_out "hello.txt"
	(cd / && timeout 60 "$P/bin/flint" run "$P/share/flint/examples/disk.ini") >"$OUT" 2>"$ERR" ||
		fail "disk.ini: $(cat "$ERR")"
	expect_out "hello.txt"
	# control.ini's socket is a fixed /tmp path: another run may hold it.
	local sock=$TMP/c.sock pid
	(cd / && exec timeout 60 "$P/bin/flint" run "$P/share/flint/examples/control.ini" \
		--set "control.socket=$sock") >"$OUT" 2>"$ERR" &
	pid=$!
	await 30 test -S "$sock" || fail "control.ini: no socket: $(cat "$ERR")"
	"$P/bin/flint" ctl "$sock" query-status | grep -q running || fail "control.ini: not running"
	"$P/bin/flint" ctl "$sock" quit >/dev/null
	rc=0; wait $pid || rc=$?
	expect_rc 130
}
network_example_checks() {
	needs netns
	staged
	local ns=finst-$$
	ip netns add $ns || fail "ip netns add"
	ip -n $ns tuntap add flint0 mode tap && ip -n $ns link set flint0 up &&
		ip netns exec $ns "$P/bin/flint" check "$P/share/flint/examples/network.ini" >"$OUT" 2>"$ERR"
	rc=$?
	ip netns del $ns
	expect_rc 0
}
man_pages_lint_clean() {
	needs mandoc
	staged
	# Xr targets resolve only where the pages are installed in the man path.
	mandoc -Tlint "$P/share/man/man1/flint.1" "$P/share/man/man5/flint.ini.5" 2>&1 |
		grep -v "referenced manual not found" >"$TMP/lint" || true
	[ ! -s "$TMP/lint" ] || fail "mandoc -Tlint: $(cat "$TMP/lint")"
	MANPATH=$P/share/man man flint 2>/dev/null | grep -q "flint run" || fail "man flint shows no usage"
}
# README's "Write your own guest", verbatim, built in a folder outside the
# tree against the staged SDK, then booted.
sdk_app_outside_tree() {
	needs pkg-config
	staged
	local app=$TMP/app
	mkdir -p "$app"
	awk '/^## Write your own guest/ { on = 1 } on && /^    #include/ { code = 1 }
		code { print substr($0, 5) } code && /^    }$/ { exit }' README.md >"$app/greet.c"
	grep -q "int main" "$app/greet.c" || fail "no app in README's Write your own guest"
	(cd "$app" && PKG_CONFIG_PATH=$P/lib/pkgconfig &&
		export PKG_CONFIG_PATH &&
		cc $(pkg-config --cflags --libs flint-guest) -o greet.elf greet.c &&
		cc -Wall -Wextra -Werror -O2 greet.c $(pkg-config --cflags --libs flint-guest) -o greet2.elf) \
		>"$TMP/cc.log" 2>&1 || fail "cc: $(cat "$TMP/cc.log")"
	# Every installed header stands alone under the SDK's flags.
	local h
	for h in $(cd "$P/include/flint/guest" && find . -name '*.h' | sed 's|^\./||'); do
		echo "#include <$h>" | PKG_CONFIG_PATH=$P/lib/pkgconfig \
			cc $(PKG_CONFIG_PATH=$P/lib/pkgconfig pkg-config --cflags flint-guest) -Wall -Werror \
			-x c -c -o /dev/null - 2>"$TMP/h.log" || fail "<$h> alone: $(cat "$TMP/h.log")"
	done
	printf '[kernel]\npath = greet.elf\ncmdline = WHO=reader -- 7\n' >"$app/greet.ini"
	needs kvm
	run "$P/bin/flint" run "$app/greet.ini"
	expect_rc 7
	expect_out "Hello, reader, from greet with 1 argument(s)"
	# A --set path is relative to the current folder (README, "Configuration").
	run "$P/bin/flint" run "$app/greet.ini" --set kernel.path="$app/greet2.elf" --set "kernel.cmdline=--"
	expect_rc 0
	expect_out "Hello, world, from greet with 0 argument(s)"
}
# A real install (no DESTDIR) into a prefix laid out like /usr/local, then
# uninstall: the tree is as it was, folders included.
uninstall_leaves_nothing() {
	local pre=$TMP/prefix
	mkdir -p "$pre/bin" "$pre/lib" "$pre/include" "$pre/share/man"
	(cd "$pre" && find . | sort) >"$TMP/before"
	$MAKE_Q install PREFIX="$pre" >"$TMP/i.log" 2>&1 || fail "install: $(tail -5 "$TMP/i.log")"
	[ -x "$pre/bin/flint" ] && [ -e "$pre/lib/pkgconfig/flint-guest.pc" ] || fail "install put nothing there"
	$MAKE_Q uninstall PREFIX="$pre" >"$TMP/u.log" 2>&1 || fail "uninstall: $(tail -5 "$TMP/u.log")"
	(cd "$pre" && find . | sort) >"$TMP/after"
	diff "$TMP/before" "$TMP/after" >&2 || fail "uninstall left files behind"
}
# From git: `git describe` in --version; from a tree without .git (a
# tarball) the version header is still made, empty.
version_from_git_or_not() {
	needs git
	[ -d .git ] || [ -f .git ] || { echo "not a git checkout" >"$SKIP_FILE"; exit 77; }
	run "$FLINT" --version
	expect_out "(git $(git describe --tags --always --dirty))"
	mkdir -p "$TMP/tarball"
	git archive --format=tar HEAD | tar -x -C "$TMP/tarball" || fail "git archive"
	(cd "$TMP/tarball" && make -s build/gen/version.h) >"$TMP/tar.log" 2>&1 || fail "$(cat "$TMP/tar.log")"
	grep -qx '#define FLINT_GIT_DESCRIBE ""' "$TMP/tarball/build/gen/version.h" ||
		fail "outside git: $(cat "$TMP/tarball/build/gen/version.h" 2>&1)"
}

for f in staged_install_layout examples_check_from_any_folder examples_boot_from_any_folder \
	network_example_checks man_pages_lint_clean sdk_app_outside_tree uninstall_leaves_nothing \
	version_from_git_or_not; do
	t "$f"
done
exit $((failures > 0))
