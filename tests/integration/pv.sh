#!/usr/bin/env bash
# Flint's paravirtual page and ready register (include/flint/boot_abi.h):
# what a guest reads from it (seq, generation, wall clock), the ready
# write, the generation in --stats, and the ticker the snapshot tests use.
source "$(dirname "$0")/lib.sh"

gen_re='^generation: 0x[0-9a-f]{16}$'

# The ticker counts 1, 2, 3, ... without a gap, and --stats still names the
# generation when the run ends on SIGTERM.
ticker_ticks() {
	needs kvm
	bg_flint run "$(ini ticker)" --stats
	await 60 grep -qx 'tick 5' "$OUT" || fail "no 'tick 5': $(head -c 300 "$OUT") $(head -c 300 "$ERR")"
	kill -TERM $FPID
	wait_flint
	expect_rc 130
	awk '$0 != "tick " NR { bad = 1 } END { exit bad || NR < 5 }' "$OUT" ||
		fail "not tick 1, 2, 3, ... in order: $(head -c 300 "$OUT")"
	grep -Eq "$gen_re" "$ERR" || fail "no generation line after SIGTERM: $(tail -c 400 "$ERR")"
}

# `ticker R` says it is ready once, after `tick R`, and goes on ticking
# (nothing is hooked to the ready write in a plain run).
ticker_says_ready_once() {
	needs kvm
	bg_flint run "$(ini ticker 'cmdline = -- 2')" --stats
	await 60 grep -qx 'tick 4' "$OUT" || fail "no 'tick 4': $(head -c 300 "$OUT") $(head -c 300 "$ERR")"
	kill -TERM $FPID
	wait_flint
	expect_rc 130
	grep -Eq '^  mmio write pv +1 ' "$ERR" || fail "not one ready exit: $(grep -c mmio "$ERR") mmio lines"
}

# The guest sees seq 1 and the generation --stats reports; the ready write
# returns (one exit) and the run goes on.
pvinfo_sees_its_page() {
	local g
	run "$FLINT" run "$(ini pvinfo)" --stats
	expect_rc 0
	expect_out "pvinfo: seq 1"
	expect_out "pvinfo: ready returned"
	g=$(grep -E "$gen_re" "$ERR" | cut -d' ' -f2)
	[ -n "$g" ] || fail "no generation line: $(tail -c 400 "$ERR")"
	expect_out "pvinfo: generation $g"
	grep -Eq '^  mmio write pv +1 ' "$ERR" || fail "not one ready exit: $(grep mmio "$ERR")"
}

generation_differs_between_runs() {
	local a b
	run "$FLINT" run "$(ini hello)" --stats
	expect_rc 0
	a=$(grep -E "$gen_re" "$ERR")
	run "$FLINT" run "$(ini hello)" --stats=json
	expect_rc 0
	b=$(grep -o '"generation":"0x[0-9a-f]\{16\}"' "$ERR" | cut -d'"' -f4)
	[ -n "$a" ] && [ -n "$b" ] || fail "generation missing: text '$a', json '$b'"
	[ "${a#generation: }" != "$b" ] || fail "two runs share generation $b"
}

# time() in the guest is the host's clock: between a reading taken before
# flint starts and one after it ends (a second's slack each side for
# rounding down to whole seconds).
guest_time_is_host_time() {
	local before after t
	before=$(date +%s)
	run "$FLINT" run "$(ini pvinfo)"
	after=$(date +%s)
	expect_rc 0
	t=$(sed -n 's/^pvinfo: time \(-\?[0-9]*\)$/\1/p' "$OUT")
	[ -n "$t" ] && [ "$t" -ge $((before - 1)) ] && [ "$t" -le $((after + 1)) ] ||
		fail "guest time '$t' outside host [$before, $after]"
	grep -q "^pvinfo: realtime $t\.[0-9]\{9\} / gettimeofday $t\.[0-9]\{6\}$" "$OUT" ||
		grep -q "^pvinfo: realtime $((t + 1))\." "$OUT" ||
		fail "clock_gettime and gettimeofday disagree with time(): $(grep realtime "$OUT")"
}

t ticker_ticks
t ticker_says_ready_once
t pvinfo_sees_its_page
t generation_differs_between_runs
t guest_time_is_host_time
[ $failures -eq 0 ]
