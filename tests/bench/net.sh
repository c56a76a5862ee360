#!/usr/bin/env bash
# Network (make bench's net section, or run alone: tests/bench/net.sh):
# the same guests (build/guest/udpecho.elf, httpd.elf) under flint and
# under QEMU microvm, and the tap's own floor (build/bench/tapecho: a
# process answering on a tap, no VM), each on its own tap in a network
# namespace this script creates and always removes.  Rounds interleave
# flint, QEMU and the floor so drift hits all three; the table gives
# medians over all rounds.  ROUNDS=N overrides the number of rounds.
# Needs root (netns, taps), qemu, ping, curl, wrk.
# shellcheck source=tests/bench/lib.sh
source "$(dirname "$0")/lib.sh"

echo "== net: udpecho and httpd under flint and QEMU microvm, and the tap's own floor"
missing=""
[ "$(id -u)" -eq 0 ] && [ -c /dev/net/tun ] || missing="$missing root+/dev/net/tun"
for w in ip qemu-system-x86_64 ping curl wrk; do command -v "$w" >/dev/null || missing="$missing $w"; done
for f in build/guest/udpecho.elf build/guest/httpd.elf build/bench/tapecho build/bench/udprtt; do
	[ -x "$f" ] || [ -f "$f" ] || missing="$missing $f"
done
if [ -n "$missing" ]; then
	echo "   not measured: needs$missing (make bench builds the files; scripts/deps.sh bench installs the tools)"
	exit 0
fi

if [ -n "$KVM" ]; then
	rounds=${ROUNDS:-5} pings=500 udp_n=20000 wrk_s=5 big=$((256 << 20))
else
	# QEMU under TCG is slow and only a reference: fewer, shorter rounds.
	rounds=${ROUNDS:-2} pings=200 udp_n=2000 wrk_s=2 big=$((16 << 20))
fi

NS=fbench-$$
TMP=$(mktemp -d)
S=$TMP/samples
# shellcheck source=tests/lib/netns.sh
. tests/lib/netns.sh

# One /24 per tap; the host end is .1, the guest (or tapecho) .2.
declare -A TAP=([flint]=fbf$$ [qemu]=fbq$$ [floor]=fbt$$) NET=([flint]=10.77.1 [qemu]=10.77.2 [floor]=10.77.3)
netns_up
for who in flint qemu floor; do
	netns_tap "${TAP[$who]}" "${NET[$who]}.1/24"
done

# wait_for FILE PATTERN WHAT: up to 20 s for PATTERN to appear in FILE.
wait_for() {
	for _ in $(seq 200); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "   $3 did not come up: $(tail -c 600 "$1" 2>/dev/null)" >&2
	return 1
}

# flint_ini APP: the app on flint's tap, as tests/integration/net.sh boots it.
flint_ini() {
	printf '[machine]\nmemory = 64M\n[kernel]\npath = %s\n[net.eth0]\ntap = %s\nip = %s/24\ngateway = %s\n' \
		"$PWD/build/guest/$1.elf" "${TAP[flint]}" "${NET[flint]}.2" "${NET[flint]}.1" >"$TMP/flint-$1.ini"
}
# start_flint APP: boots it with --stats=json, waits for "listening".
start_flint() {
	ip netns exec "$NS" "$FLINT" run "$TMP/flint-$1.ini" --stats=json >"$TMP/flint-$1.out" 2>"$TMP/flint-$1.err" &
	echo $! >"$TMP/flint.pid"
	wait_for "$TMP/flint-$1.out" listening "flint $1" || { echo "   flint stderr: $(tail -c 600 "$TMP/flint-$1.err")" >&2; return 1; }
}
# stop_flint APP: SIGTERM; flint then prints its --stats JSON (stderr's last line).
stop_flint() {
	local pid
	pid=$(cat "$TMP/flint.pid")
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	: >"$TMP/flint.pid"
}
# exits_and_packets APP: "EXITS PACKETS" from that run's --stats JSON.
exits_and_packets() { parse_stats_exits "$TMP/flint-$1.err"; }
# exits_per_packet APP BASELINE METRIC: exits beyond an idle run's, per packet, into the samples.
exits_per_packet() {
	local e p be bp
	read -r e p < <(exits_and_packets "$1") || true
	read -r be bp <<<"$2" || true
	if [ -z "${e:-}" ] || [ -z "${be:-}" ]; then
		echo "   flint $1: no --stats JSON to count exits in: $(tail -c 300 "$TMP/flint-$1.err")"
		return 0
	fi
	python3 -c 'import sys; e, p, be = map(int, sys.argv[1:4]); print(sys.argv[4], "flint", (e - be) / p if p else "nan")' \
		"$e" "$p" "$be" "$3" >>"$S"
	echo "   flint $1: $e exits over $p packets, an idle boot+stop $be exits ($bp packets)"
}

start_qemu() {
	# shellcheck disable=SC2086
	ip netns exec "$NS" timeout 900 $QEMU_BASE -m 64M -display none -serial "file:$TMP/qemu-$1.serial" \
		-pidfile "$TMP/qemu.pid" \
		-netdev "tap,id=n0,ifname=${TAP[qemu]},script=no,downscript=no,vhost=off" \
		-device virtio-net-device,netdev=n0 -kernel "build/guest/$1.elf" \
		-append "$QEMU_TSC ip=${NET[qemu]}.2::${NET[qemu]}.1:255.255.255.0::eth0:off --" \
		>"$TMP/qemu-$1.log" 2>&1 &
	wait_for "$TMP/qemu-$1.serial" listening "QEMU $1"
}
stop_qemu() {
	local pid
	pid=$(cat "$TMP/qemu.pid")
	: >"$TMP/qemu.pid"
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}

# The figures.  Each appends "METRIC WHO VALUE" lines to $S.
ping_rtt() { # WHO: every reply's time, in ms
	in_ns timeout 60 ping -c "$pings" -i 0.002 -W 1 "${NET[$1]}.2" >"$TMP/ping" || true
	parse_ping "$1" <"$TMP/ping" >>"$S"
	grep -q " 0% packet loss" "$TMP/ping" || echo "   $1: ping lost packets: $(grep 'packet loss' "$TMP/ping")"
}
udp_rtt() { # WHO: the median one-at-a-time round trip and the rate with 16 in flight
	local line
	line=$(in_ns timeout 120 build/bench/udprtt "${NET[$1]}.2" 7 "$udp_n") || echo "   $1: udprtt: $line"
	parse_udprtt "$1" "$line" >>"$S"
}
http_rps() { # WHO METRIC [WRK ARGS]: requests per second of GET /, 4 connections
	local who=$1 metric=$2
	shift 2
	in_ns timeout $((wrk_s + 30)) wrk -t1 -c4 -d"${wrk_s}s" "$@" "http://${NET[$who]}.2/" >"$TMP/wrk" 2>&1 || true
	parse_wrk "$who" "$metric" <"$TMP/wrk" >>"$S"
}
tcp_bulk() { # WHO: curl's own average rate, out of the guest (/echo) and into it (POST /sink)
	local url=http://${NET[$1]}.2 r
	r=$(in_ns timeout 300 curl -sS --max-time 280 -o /dev/null -w '%{http_code} %{size_download} %{speed_download}' \
		"$url/echo?n=$big") || true
	parse_curl tcp_out_MBps "$1" "$big" <<<"$r" >>"$S"
	# (no "Expect: 100-continue": the guest would not answer it, and curl would wait 1 s)
	r=$(in_ns timeout 300 curl -sS --max-time 280 -H 'Expect:' -X POST -T "$TMP/body" -o "$TMP/sink" \
		-w '%{http_code} %{size_upload} %{speed_upload}' "$url/sink") || true
	if grep -qx "sink: $big bytes" "$TMP/sink" 2>/dev/null; then
		parse_curl tcp_in_MBps "$1" "$big" <<<"$r" >>"$S"
	else
		echo "   $1: POST /sink: $(head -c 200 "$TMP/sink" 2>/dev/null)"
	fi
}

# "flint qemu floor" rotated by one each round, so no side always goes first.
order() { # ROUND WHO...
	local r=$1 i
	shift
	local a=("$@")
	for i in "${!a[@]}"; do printf '%s ' "${a[$(((i + r) % ${#a[@]}))]}"; done
}

: >"$S"
head -c "$big" /dev/zero >"$TMP/body"
# flint's configurations are checked everywhere (`flint check` needs no KVM).
for app in udpecho httpd; do
	flint_ini "$app"
	in_ns "$FLINT" check "$TMP/flint-$app.ini" >"$TMP/check" 2>&1 || { echo "   flint check: $(cat "$TMP/check")"; exit 1; }
done
sides="qemu floor"
if [ -n "$KVM" ]; then
	sides="flint qemu floor"
	# The exits an idle udpecho and httpd cost (boot, stop): subtracted below.
	start_flint udpecho
	stop_flint udpecho
	base_udp=$(exits_and_packets udpecho)
	start_flint httpd
	stop_flint httpd
	base_tcp=$(exits_and_packets httpd)
	start_flint udpecho
fi
start_qemu udpecho
ip netns exec "$NS" build/bench/tapecho "${TAP[floor]}" "${NET[floor]}.2" >"$TMP/floor.out" 2>&1 &
echo $! >"$TMP/floor.pid"
wait_for "$TMP/floor.out" listening tapecho
echo "   ICMP and UDP: $rounds rounds of $pings pings 2 ms apart and $udp_n UDP round trips (64 B) each side"
for r in $(seq "$rounds"); do
	# shellcheck disable=SC2086
	for who in $(order "$r" $sides); do ping_rtt "$who"; udp_rtt "$who"; done
done
stop_qemu
if [ -n "$KVM" ]; then
	stop_flint udpecho
	exits_per_packet udpecho "$base_udp" exits_pp_udp
	start_flint httpd
	sides="flint qemu"
else
	sides="qemu"
fi
start_qemu httpd
echo "   HTTP and TCP: $rounds rounds of wrk (${wrk_s} s, 4 connections) keep-alive and Connection: close," \
	"curl /echo and POST /sink of $((big >> 20)) MiB"
for r in $(seq "$rounds"); do
	# shellcheck disable=SC2086
	for who in $(order "$r" $sides); do
		http_rps "$who" http_ka
		http_rps "$who" http_close -H "Connection: close"
		tcp_bulk "$who"
	done
done
stop_qemu
if [ -n "$KVM" ]; then
	stop_flint httpd
	exits_per_packet httpd "$base_tcp" exits_pp_tcp
fi
cp "$S" "$OUT/net-samples.txt"

echo "   peer: $QEMU_LABEL, same guest ELF, same run; floor: build/bench/tapecho on a tap, no VM"
summary "$S" \
	"ping_rtt_ms|ping RTT (ms)|qemu|floor|<=0.20&ratio<=1.0" \
	"udp_rtt_us|UDP echo RTT, 64 B, one at a time (µs)|qemu|floor|ratio<=0.8" \
	"udp_rate|UDP echo datagrams/s, 16 in flight|qemu|floor|ratio>=1.5" \
	"http_close|HTTP req/s, new connection each|qemu|-|ratio>=1.5" \
	"http_ka|HTTP req/s, keep-alive|qemu|-|ratio>=1.5" \
	"tcp_out_MBps|TCP bulk guest->host (MB/s)|qemu|-|ratio>=1.5" \
	"tcp_in_MBps|TCP bulk host->guest (MB/s)|qemu|-|ratio>=1.5" \
	"exits_pp_udp|user-space exits per packet, ICMP+UDP|-|-|<=0.001" \
	"exits_pp_tcp|user-space exits per packet, HTTP+TCP|-|-|<=0.001"
if [ -z "$KVM" ]; then
	no_kvm_note "ping RTT (target <= 0.20 ms and <= 1.0x QEMU's)" "UDP echo RTT (target <= 0.8x QEMU's)" \
		"UDP datagrams/s, 16 in flight (target >= 1.5x QEMU's)" \
		"HTTP req/s, new connection and keep-alive (target >= 1.5x QEMU's each)" \
		"TCP bulk both ways (target >= 1.5x QEMU's)" "user-space exits per packet (target <= 0.001)"
	echo "   (the QEMU figures above are TCG: no ratio is drawn from them)"
fi
echo "   samples: $OUT/net-samples.txt"
