#!/usr/bin/env bash
# The sandbox as seen from outside: every thread filtered while the guest
# runs, the dump, configuration errors.
source "$(dirname "$0")/lib.sh"

all_threads_filtered() {
	local cfg pid tasks=0 unfiltered=0
	cfg=$TMP/sleep2.ini
	printf '[machine]\nmemory = 64M\nvcpus = 2\n[kernel]\npath = %s\ncmdline = -- 700\n[sandbox]\nseccomp = kill\n' \
		"$PWD/build/guest/sleep.elf" >"$cfg"
	"$FLINT" run "$cfg" >"$OUT" 2>"$ERR" &
	pid=$!
	sleep 0.35
	for st in /proc/$pid/task/*/status; do
		tasks=$((tasks + 1))
		grep -q '^Seccomp:[[:space:]]*2$' "$st" || { unfiltered=$((unfiltered + 1)); grep -E '^(Name|Seccomp):' "$st" >&2; }
	done
	wait $pid
	rc=$?
	expect_rc 0
	[ "$tasks" -ge 3 ] || fail "expected main + 2 vCPU threads, saw $tasks"
	[ "$unfiltered" -eq 0 ] || fail "$unfiltered of $tasks threads without a seccomp filter"
}
seccomp_dump_lists_roles() {
	run "$FLINT" seccomp-dump
	expect_rc 0
	expect_out "role main"
	expect_out "role vcpu"
	expect_out "KVM_RUN"
	run "$FLINT" seccomp-dump --role vcpu
	expect_rc 0
	! grep -q "role main" "$OUT" || fail "--role vcpu printed main too"
	run "$FLINT" seccomp-dump --role nope
	expect_rc 2
}
bad_seccomp_mode() {
	printf '[kernel]\npath = x.elf\n[sandbox]\nseccomp = strict\n' >"$TMP/bad.ini"
	run "$FLINT" check "$TMP/bad.ini"
	expect_rc 2
	expect_err "bad.ini:4: [sandbox] seccomp"
}
seccomp_off_warns() {
	run "$FLINT" run config.ini.example --set sandbox.seccomp=off
	expect_rc 0
	expect_err "seccomp"
}
modes_all_boot() {
	for m in kill trap log; do
		run "$FLINT" run config.ini.example --set "sandbox.seccomp=$m" --set "kernel.cmdline=-- 5"
		expect_rc 5
		expect_out "Hello from Flint"
		[ ! -s "$ERR" ] || fail "mode $m printed on stderr: $(cat "$ERR")"
	done
}

for f in all_threads_filtered seccomp_dump_lists_roles bad_seccomp_mode seccomp_off_warns modes_all_boot; do
	t "$f"
done
exit $((failures > 0))
