#!/usr/bin/env bash
# make bench's own moving parts, without running a benchmark: the parsers
# (tests/bench/parse.sh) fed recorded output of each tool, including
# flint's --stats=json, which needs KVM to produce; the table's judging
# (tests/bench/summary.py); and the tap floor (build/bench/tapecho)
# answering ARP, ping and UDP for build/bench/udprtt in a namespace.
source "$(dirname "$0")/lib.sh"
source tests/bench/parse.sh

# is WANT_TEXT: $OUT must be it
is() { [ "$(cat "$OUT")" = "$1" ] || fail "got '$(cat "$OUT")', want '$1'"; }

parse_ping_takes_every_reply() {
	parse_ping qemu >"$OUT" <<'EOF'
PING 10.78.0.2 (10.78.0.2) 56(84) bytes of data.
64 bytes from 10.78.0.2: icmp_seq=1 ttl=255 time=15.9 ms
64 bytes from 10.78.0.2: icmp_seq=2 ttl=255 time=0.339 ms

--- 10.78.0.2 ping statistics ---
2 packets transmitted, 2 received, 0% packet loss, time 19ms
rtt min/avg/max/mdev = 0.339/5.540/15.895/7.321 ms
EOF
	is "ping_rtt_ms qemu 15.9
ping_rtt_ms qemu 0.339"
}
parse_udprtt_drops_a_run_that_lost() {
	parse_udprtt floor "udprtt: rtt_median_us=14.2 rtt_p90_us=20.1 rate_per_s=111179 lost=0" >"$OUT"
	is "udp_rtt_us floor 14.2
udp_rate floor 111179"
	parse_udprtt floor "udprtt: rtt_median_us=14.2 rtt_p90_us=20.1 rate_per_s=111179 lost=3" >"$OUT"
	is ""
	parse_udprtt floor "udprtt: socket: Network is unreachable" >"$OUT"
	is ""
}
parse_wrk_rate_and_errors() {
	parse_wrk qemu http_close >"$OUT" 2>"$ERR" <<'EOF'
Running 1s test @ http://10.78.0.2/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.52ms    9.76ms  95.05ms   91.54%
    Req/Sec   690.70    708.42     2.42k    90.00%
  707 requests in 1.08s, 220.25KB read
Requests/sec:    652.59
Transfer/sec:    203.30KB
EOF
	is "http_close qemu 652.59"
	[ ! -s "$ERR" ] || fail "warned about a clean run: $(cat "$ERR")"
	parse_wrk flint http_ka >"$OUT" 2>"$ERR" <<'EOF'
  1490 requests in 1.01s, 243.00KB read
  Socket errors: connect 0, read 12, write 0, timeout 0
  Non-2xx or 3xx responses: 1490
Requests/sec:   1477.26
EOF
	is "http_ka flint 1477.26"
	expect_err "flint http_ka: wrk: Non-2xx or 3xx responses: 1490"
	expect_err "wrk: Socket errors: connect 0, read 12"
	parse_wrk flint http_ka >"$OUT" 2>/dev/null <<<"unable to connect to 10.77.1.2:80 Connection refused"
	is ""
}
parse_curl_wants_every_byte() {
	parse_curl tcp_out_MBps qemu 1048576 <<<"200 1048576 2723078" >"$OUT"
	is "tcp_out_MBps qemu 2.72308"
	parse_curl tcp_out_MBps qemu 1048576 <<<"200 1000000 2723078" >"$OUT"
	is ""
	parse_curl tcp_in_MBps qemu 1048576 <<<"000 0 0" >"$OUT"
	is ""
}
parse_flint_stats_json() {
	# Recorded from the format vmm/machine/stats.c prints (stats_print_json).
	cat >"$TMP/stats" <<'EOF'
flint: Terminated: stopping the VM
{"timeline_us":{"main":0.0,"config_parsed":85.1,"vm_ready":1450.2,"first_kvm_run":1502.7,"guest_entry":1530.4,"guest_main":1780.9,"poweroff_seen":90123.0,"process_exit":90800.2},"exits":[{"reason":"mmio write uart buffer","count":3,"total_us":20.1,"mean_us":6.70},{"reason":"io in 0x3f8","count":1,"total_us":2.0,"mean_us":2.00}],"coalesced_writes":0,"ioeventfd_notifies":5123,"console":{"buffers":3,"bad_buffers":0,"bytes_lost":0,"write_error":""},"nets":[{"name":"net.eth0","rx_packets":4400,"rx_bytes":400000,"tx_packets":4398,"tx_bytes":399000,"rx_drop_too_big":0,"rx_no_buffer":0,"rx_drop_bad_hdr":0,"rx_tap_error":0,"tx_drop_short":0,"tx_drop_too_big":0,"tx_drop_bad_gso":0,"tx_drop_tap_error":0}]}
EOF
	parse_stats_exits "$TMP/stats" >"$OUT"
	is "4 8798"
	parse_entry first_insn_us flint <"$TMP/stats" >"$OUT"
	is "first_insn_us flint 1530.4"
	echo '{"timeline_us":{"main":0.0,"guest_entry":"invalid"},"exits":[],"nets":[]}' >"$TMP/bad"
	parse_entry first_insn_us flint <"$TMP/bad" >"$OUT"
	is ""
	parse_stats_exits "$TMP/bad" >"$OUT"
	is ""
}
parse_readtime_and_host_cat() {
	printf 'readtime: 67108864 bytes in 36904 us, 1818 MB/s\r\nreadtime: 4194304 bytes in 1 us, 5 MB/s\n' |
		parse_readtime ext4_MBps qemu >"$OUT"
	is "ext4_MBps qemu 1818"
	parse_host_cat >"$OUT" <<'EOF'
empty                    median   1.100 ms  min   0.900 ms
cat                      median  34.650 ms  min  30.100 ms
cat adds +33.554 ms median, +29.200 ms min over empty; median ratio cat/empty 31.500
EOF
	is "ext4_MBps host 2000.03
initrd_MBps host 2000.03"
}
summary_judges_only_with_flint() {
	printf 'x flint 2\nx flint 4\nx flint 3\nx qemu 10\ny qemu 5\nz flint 0\nw flint 1.5\nw host 1\n' >"$TMP/s"
	run python3 tests/bench/summary.py "$TMP/s" "x|X|qemu|-|ratio<=0.5" "y|Y|qemu|-|ratio>=2" \
		"z|Z|-|-|<=0" "w|W|host|-|ratio>=2" "v|V|qemu|-|-" "x|A|qemu|-|<=3&ratio<=0.5" "x|B|qemu|-|<=2&ratio<=0.5"
	expect_rc 0
	grep -E '^  X +3\.00 +10\.00 +— +0\.300 +3 +flint/peer <= 0\.5: met$' "$OUT" >/dev/null || fail "X row: $(cat "$OUT")"
	grep -E '^  Y +missing +5\.00 .*not judged \(no flint figure\)$' "$OUT" >/dev/null || fail "Y row: $(cat "$OUT")"
	grep -E '^  Z +0 .*<= 0: met$' "$OUT" >/dev/null || fail "Z row: $(cat "$OUT")"
	grep -E '^  W +1\.50 +1\.00 .*flint/peer >= 2: NOT met$' "$OUT" >/dev/null || fail "W row: $(cat "$OUT")"
	grep -E '^  V +missing +— ' "$OUT" >/dev/null || fail "V row: $(cat "$OUT")"
	# two targets on one row: met only when both are
	grep -E '^  A .*<= 3 and flint/peer <= 0\.5: met$' "$OUT" >/dev/null || fail "A row: $(cat "$OUT")"
	grep -E '^  B .*<= 2 and flint/peer <= 0\.5: NOT met$' "$OUT" >/dev/null || fail "B row: $(cat "$OUT")"
}
tap_floor_answers() {
	needs netns
	needs ping
	if [ ! -x build/bench/tapecho ] || [ ! -x build/bench/udprtt ]; then
		echo "build/bench/tapecho or udprtt missing: run make" >"$SKIP_FILE"
		exit 77
	fi
	local ns=bparse-$$
	floor_pid=
	ip netns add "$ns"
	# shellcheck disable=SC2064
	trap "[ -z \"\$floor_pid\" ] || kill \$floor_pid 2>/dev/null; ip netns del $ns" EXIT
	ip -n "$ns" tuntap add bp0 mode tap
	ip -n "$ns" addr add 10.79.0.1/24 dev bp0
	ip -n "$ns" link set bp0 up
	ip netns exec "$ns" build/bench/tapecho bp0 10.79.0.2 >"$TMP/te" 2>&1 &
	floor_pid=$!
	await 30 grep -q listening "$TMP/te" || fail "tapecho did not come up: $(cat "$TMP/te")"
	run ip netns exec "$ns" ping -c 20 -i 0.01 -s 1000 -W 1 10.79.0.2
	expect_rc 0
	expect_out " 0% packet loss"
	run ip netns exec "$ns" build/bench/udprtt 10.79.0.2 7 500 1400
	expect_rc 0
	grep -Eq '^udprtt: rtt_median_us=[0-9.]+ rtt_p90_us=[0-9.]+ rate_per_s=[0-9]+ lost=0$' "$OUT" || fail "udprtt: $(cat "$OUT")"
	# a port nobody echoes on: every datagram lost, status 1
	run ip netns exec "$ns" build/bench/udprtt 10.79.0.2 9 2
	expect_rc 1
	expect_out "lost=4"
}

t parse_ping_takes_every_reply
t parse_udprtt_drops_a_run_that_lost
t parse_wrk_rate_and_errors
t parse_curl_wants_every_byte
t parse_flint_stats_json
t parse_readtime_and_host_cat
t summary_judges_only_with_flint
t tap_floor_answers
exit $((failures > 0))
