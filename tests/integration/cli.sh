#!/usr/bin/env bash
# What a newcomer meets first (issue 19, §6): usage texts that agree,
# messages that name flint and say what to do, and the small refusals.
source "$(dirname "$0")/lib.sh"
SOCK=$TMP/vm.sock
VPID=
trap '[ -n "$VPID" ] && kill "$VPID" 2>/dev/null; rm -rf "$TMP"' EXIT

# The command names a usage text lists, one per line.
commands_in() { sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' "$1" | sort; }

bare_and_help_list_the_same_commands() {
	run "$FLINT"
	expect_rc 2
	commands_in "$ERR" >"$TMP/bare"
	run "$FLINT" help
	expect_rc 0
	commands_in "$OUT" >"$TMP/help"
	diff "$TMP/bare" "$TMP/help" >&2 || fail "'flint' and 'flint help' list different commands"
	for c in run check seccomp-dump ctl; do
		grep -qx "$c" "$TMP/help" || fail "'flint help' does not list $c"
	done
	run "$FLINT" --help
	commands_in "$OUT" | diff - "$TMP/help" >&2 || fail "--help and 'flint help' differ"
	run "$FLINT" frobnicate
	expect_rc 2
	expect_err "use run, serve, check, seccomp-dump, ctl or help"
}
bogus_role_lists_every_role() {
	run "$FLINT" seccomp-dump --role bogus
	expect_rc 2
	expect_err "use main, vcpu, teardown, saver or serve"
}
# getopt's own messages name argv[0]: "build/flint: option ...".
missing_option_argument_says_flint() {
	run "$FLINT" run --control
	expect_rc 2
	expect_err "flint: option '--control' requires an argument"
	! grep -q "build/flint" "$ERR" || fail "the message names the path: $(cat "$ERR")"
	run "$FLINT" --bogus
	expect_rc 2
	grep -q "^flint: unrecognized option '--bogus'" "$ERR" || fail "$(cat "$ERR")"
}
check_refuses_stats() {
	run "$FLINT" check config.ini.example --stats
	expect_rc 2
	expect_err "--stats only goes with run"
	run "$FLINT" seccomp-dump --stats=json
	expect_rc 2
}
memory_plain_number_is_bytes() {
	run "$FLINT" check config.ini.example --set machine.memory=64
	expect_rc 2
	expect_err "a plain number is bytes: write 64M"
	run "$FLINT" check config.ini.example --set machine.memory=1K
	expect_rc 2
	! grep -q "plain number" "$ERR" || fail "hint given for a value with a unit: $(cat "$ERR")"
}
drive_not_whole_sectors_refused() {
	head -c 1000 /dev/zero >"$TMP/odd.img"
	run "$FLINT" check config.ini.example --set "drive.d.path=$TMP/odd.img"
	expect_rc 2
	expect_err "is 1000 bytes, not a whole number of 512-byte sectors"
	expect_err "truncate -s 1024"
	head -c 1024 /dev/zero >"$TMP/even.img"
	run "$FLINT" check config.ini.example --set "drive.d.path=$TMP/even.img"
	expect_rc 0
}
# boot_sleeper [flint run options...]: a guest that sleeps until the test
# quits it (or timeout's 60 s), with a control socket.
boot_sleeper() {
	needs kvm
	rm -f "$SOCK"
	timeout 60 "$FLINT" run "$(ini sleep "cmdline = -- 600000")" --control "$SOCK" "$@" >"$OUT" 2>"$ERR" &
	VPID=$!
	await 30 test -S "$SOCK" || fail "no control socket: $(cat "$ERR")"
}
quit_says_so_on_stderr() {
	boot_sleeper
	"$FLINT" ctl "$SOCK" quit >/dev/null
	rc=0
	wait "$VPID" || rc=$?
	VPID=
	expect_rc 130
	expect_err "flint: quit on the control socket: stopping the VM"
}
live_stats_without_flag() {
	boot_sleeper
	"$FLINT" ctl "$SOCK" x-flint-query-stats >"$TMP/stats" || fail "x-flint-query-stats: $(cat "$TMP/stats")"
	grep -q '"all_exits"' "$TMP/stats" || fail "no exit counts: $(head -c 300 "$TMP/stats")"
	"$FLINT" ctl "$SOCK" quit >/dev/null
	wait "$VPID" || true
	VPID=
	# Counted, not printed: without --stats stderr has no timeline.
	! grep -q "boot timeline\|exits to user space" "$ERR" || fail "statistics printed without --stats"
}
# README's guest list names every app that `make` builds.
readme_lists_every_guest() {
	local app missing=
	for app in guest-kernel/apps/*.c; do
		app=$(basename "$app" .c)
		grep -q "^\* \`$app\b\|, \`$app\b" README.md || missing="$missing $app"
	done
	[ -z "$missing" ] || fail "README's Guests section lacks:$missing"
}

for f in bare_and_help_list_the_same_commands bogus_role_lists_every_role \
	missing_option_argument_says_flint check_refuses_stats memory_plain_number_is_bytes \
	drive_not_whole_sectors_refused quit_says_so_on_stderr live_stats_without_flag \
	readme_lists_every_guest; do
	t "$f"
done
exit $((failures > 0))
