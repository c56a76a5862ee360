#!/usr/bin/env bash
# The sandbox as seen from outside: every thread filtered while the guest
# runs, the dump, configuration errors, the jail ([sandbox] chroot, uid,
# gid, namespaces).
source "$(dirname "$0")/lib.sh"

all_threads_filtered() {
	local cfg pid tasks=0 unfiltered=0
	needs kvm
	cfg=$TMP/sleep2.ini
	printf '[machine]\nmemory = 64M\nvcpus = 2\n[kernel]\npath = %s\ncmdline = -- 30000\n[sandbox]\nseccomp = kill\n' \
		"$PWD/build/guest/sleep.elf" >"$cfg"
	bg_flint run "$cfg"
	pid=$FPID
	sleeping $pid "$OUT"
	for st in /proc/$pid/task/*/status; do
		tasks=$((tasks + 1))
		grep -q '^Seccomp:[[:space:]]*2$' "$st" || { unfiltered=$((unfiltered + 1)); grep -E '^(Name|Seccomp):' "$st" >&2; }
	done
	# Looked at while it sleeps, then stopped: SIGTERM is a clean 130.
	kill -TERM $pid
	wait_flint
	expect_rc 130
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

# jail_ini APP ARGS: APP's config, guest arguments ARGS, two vCPUs and every
# jail key, with chroot $TMP/jail.
jail_ini() {
	mkdir -p "$TMP/jail"
	ini "$1" "cmdline = -- $2" "[machine]" "vcpus = 2" "[sandbox]" "chroot = jail" "uid = 65534" \
		"gid = 65534" "namespaces = mount,ipc"
}
# The jail tests end each check with `|| return 1`: t() runs them as an if
# condition, where bash ignores set -e, so only a function's last status
# would count otherwise.
jail_boots_hello() {
	local cfg m
	cfg=$(jail_ini hello 7)
	for m in kill trap log; do
		run "$FLINT" run "$cfg" --set "sandbox.seccomp=$m"
		expect_rc 7 || return 1
		expect_out "Hello from Flint" || return 1
		[ ! -s "$ERR" ] || fail "mode $m printed on stderr: $(cat "$ERR")" || return 1
	done
}
# Every thread (the vCPUs, and KVM's worker, which is a thread of flint's
# too) runs as the new user, in the chroot, in new mount and IPC namespaces.
jail_seen_from_outside() {
	needs kvm
	local cfg pid st task tasks=0 want_root bad=0
	cfg=$(jail_ini sleep 30000)
	want_root=$(stat -c %d:%i "$TMP/jail")
	bg_flint run "$cfg"
	pid=$FPID
	sleeping $pid "$OUT"
	for task in /proc/$pid/task/*; do
		[ -e "$task/status" ] || continue
		tasks=$((tasks + 1))
		st=$(cat "$task/status")
		grep -qP '^Uid:\t65534\t65534\t65534\t65534$' <<<"$st" || fail "$task: $(grep ^Uid <<<"$st")" || bad=1
		grep -qP '^Gid:\t65534\t65534\t65534\t65534$' <<<"$st" || fail "$task: $(grep ^Gid <<<"$st")" || bad=1
		grep -qP '^Groups:\s*$' <<<"$st" || fail "$task: $(grep ^Groups <<<"$st")" || bad=1
		[ "$(stat -L -c %d:%i "$task/root")" = "$want_root" ] ||
			fail "$task: root is $(readlink "$task/root")" || bad=1
	done
	[ "$(readlink "/proc/$pid/root")" = "$TMP/jail" ] || fail "root is $(readlink "/proc/$pid/root")" || bad=1
	for ns in mnt ipc; do
		[ "$(readlink "/proc/$pid/ns/$ns")" != "$(readlink "/proc/$$/ns/$ns")" ] ||
			fail "flint shares the test's $ns namespace" || bad=1
	done
	[ "$(readlink "/proc/$pid/ns/net")" = "$(readlink "/proc/$$/ns/net")" ] || fail "new net namespace" || bad=1
	kill -TERM $pid
	wait_flint
	expect_rc 130 || bad=1
	[ "$tasks" -ge 3 ] || fail "expected main + 2 vCPU threads, saw $tasks" || bad=1
	return $bad
}
bad_jail_values() {
	local v
	for v in "uid = -1|uid = \"-1\": must not be negative" "gid = wheel|gid = \"wheel\": not a number" \
		"uid = 4294967295|uid = \"4294967295\": must be 0 to 4294967294" \
		"namespaces = mount,pid|namespaces = \"mount,pid\": pid is not supported" \
		"namespaces = net|namespaces = \"net\": unknown namespace \"net\"" "chroot =|chroot: empty value"; do
		printf '[kernel]\npath = x.elf\n[sandbox]\n%s\n' "${v%%|*}" >"$TMP/bad.ini"
		run "$FLINT" check "$TMP/bad.ini"
		expect_rc 2 || return 1
		expect_err "bad.ini:4: [sandbox] ${v#*|}" || return 1
	done
}
jail_missing_chroot() {
	run "$FLINT" run config.ini.example --set "sandbox.chroot=$TMP/nowhere"
	expect_rc 2 || return 1
	expect_err "[sandbox] chroot = \"$TMP/nowhere\": no such directory" || return 1
	[ ! -s "$OUT" ] || fail "the guest ran: $(cat "$OUT")"
}

for f in all_threads_filtered seccomp_dump_lists_roles bad_seccomp_mode seccomp_off_warns modes_all_boot \
	bad_jail_values; do
	t "$f"
done
# The jail's keys need root (they are refused otherwise, see test_seccomp).
for f in jail_boots_hello jail_seen_from_outside jail_missing_chroot; do
	if have root; then t "$f"; else echo "SKIP $f (needs root)"; fi
done
exit $((failures > 0))
