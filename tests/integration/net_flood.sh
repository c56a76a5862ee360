#!/usr/bin/env bash
# A guest that posts no receive buffers (the test-only kernel parameter
# virtio_net.rx_buffers=0) while the host floods its tap.  The monitor
# must stop reading the tap (the frames pile up in the tap's queue and the
# kernel drops the rest), count the shortfall, stay idle rather than spin,
# keep answering its control socket and exit cleanly on SIGTERM.  Flint's
# side needs KVM; the same guest and the same flood also run under QEMU
# (TCG without KVM), which shows the guest side survives it and that the
# flood really reaches the tap.  A guest left only 2 buffers is flooded
# too: it must still answer once the flood ends.
source "$(dirname "$0")/lib.sh"

NS=gflood-$$
TAP_Q=gfloodq$$ TAP_F=gfloodf$$ TAP_S=gfloods$$
MAC=52:54:00:12:34:57
NAMES="net_flood_deaf_qemu net_flood_starved_qemu net_flood_deaf_flint"
FLOOD_S=3

missing=""
for w in netns python3; do have "$w" || missing="$missing $w"; done
if [ -n "$missing" ]; then
	for n in $NAMES; do echo "SKIP $n (needs$missing)"; done
	exit 0
fi
if [ ! -f build/guest/udpecho.elf ]; then
	for n in $NAMES; do echo "SKIP $n (build/guest/udpecho.elf missing: run make guest)"; done
	exit 0
fi

. tests/lib/netns.sh
netns_up
netns_tap "$TAP_Q" 10.0.5.1/24
netns_tap "$TAP_F" 10.0.6.1/24
netns_tap "$TAP_S" 10.0.7.1/24

. tests/lib/qemu_accel.sh

# flood TAP SECONDS: sends Ethernet frames to $MAC out of TAP as fast as
# Python can for SECONDS; prints how many went out.  EtherType 0x88b5 (local
# experimental): a guest that did receive them would drop them unread.
flood() {
	in_ns python3 - "$1" "$2" "$MAC" <<'EOF'
import socket, sys, time
tap, secs, mac = sys.argv[1], float(sys.argv[2]), bytes.fromhex(sys.argv[3].replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((tap, 0))
frame = mac + bytes.fromhex("020000000042") + b"\x88\xb5" + bytes(986)
sent = 0
end = time.monotonic() + secs
while time.monotonic() < end:
    for _ in range(256):
        try:
            s.send(frame)
            sent += 1
        except (BlockingIOError, OSError):
            pass
print(sent)
EOF
}
tap_dropped() { in_ns cat "/sys/class/net/$1/statistics/tx_dropped"; }
# tap_tx TAP: frames the host has sent out of TAP (toward the VM), dropped ones too
tap_tx() { in_ns awk '{ n += $1 } END { print n }' "/sys/class/net/$1/statistics/tx_packets" "/sys/class/net/$1/statistics/tx_dropped"; }
tap_sent_since() { [ "$(tap_tx "$1")" -gt "$2" ]; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# pct TICKS SECONDS: TICKS of CPU time as a percentage of one core over SECONDS
pct() { awk -v t="$1" -v s="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%d", t * 100 / (hz * s) }'; }

# qemu_vm NAME TAP IP PARAMS: udpecho under QEMU with PARAMS on its command line, waits for "listening".
qemu_vm() {
	local name=$1 tap=$2 ip=$3 params=$4
	# shellcheck disable=SC2086
	in_ns timeout 120 qemu-system-x86_64 -M microvm,acpi=off $ACCEL -m 64M -nodefaults \
		-no-user-config -display none -serial "file:$TMP/$name.serial" \
		-pidfile "$TMP/$name.pid" -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-global virtio-mmio.force-legacy=false \
		-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no,vhost=off" \
		-device "virtio-net-device,netdev=n0,mac=$MAC" -kernel build/guest/udpecho.elf \
		-append "$TSC ip=$ip::${ip%.*}.1:255.255.255.0::eth0:off $params" >"$TMP/$name.qemu" 2>&1 &
	echo $! >"$TMP/$name.job"
	await 60 eval 'grep -q listening "$TMP/$name.serial" && [ -s "$TMP/$name.pid" ]' && return 0
	fail "udpecho did not come up; serial: $(cat "$TMP/$name.serial" 2>/dev/null); qemu: $(cat "$TMP/$name.qemu")"
}

# udp_echo IP N: N datagrams echoed one at a time, none lost (1 s each).
udp_echo() {
	in_ns python3 - "$1" "$2" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((sys.argv[1], 7))
s.settimeout(1.0)
for i in range(int(sys.argv[2])):
    d = os.urandom(1 + i % 1400)
    s.send(d)
    try:
        if s.recv(2048) != d:
            sys.exit(f"  datagram {i} came back wrong")
    except socket.timeout:
        sys.exit(f"  datagram {i} was not echoed within 1 s")
EOF
}

net_flood_deaf_qemu() {
	needs qemu
	local pid t0 d0 sent dropped used secs=$FLOOD_S st
	qemu_vm q "$TAP_Q" 10.0.5.2 "virtio_net.rx_buffers=0"
	grep -q "posting 0 of 256 receive buffers" "$TMP/q.serial" || fail "serial: $(cat "$TMP/q.serial")"
	pid=$(cat "$TMP/q.pid")
	d0=$(tap_dropped "$TAP_Q") t0=$(ticks "$pid")
	sent=$(flood "$TAP_Q" $secs)
	used=$(( $(ticks "$pid") - t0 )) dropped=$(( $(tap_dropped "$TAP_Q") - d0 ))
	echo "  flood: $sent frames in $secs s, tap dropped $dropped; QEMU used $used ticks ($(pct "$used" $secs)% of a core)" >&2
	[ "$sent" -ge 10000 ] || fail "the flood sent only $sent frames"
	# Nobody read them: all but a queue's worth were dropped by the kernel.
	[ "$dropped" -ge $((sent - 2000)) ] || fail "tap dropped $dropped of $sent: something read the tap"
	[ "$(pct "$used" $secs)" -lt 30 ] || fail "QEMU used $(pct "$used" $secs)% of a core while its guest had no buffers"
	kill -0 "$pid" || fail "QEMU died: $(cat "$TMP/q.serial" "$TMP/q.qemu")"
	! grep -q "panic" "$TMP/q.serial" || fail "guest: $(cat "$TMP/q.serial")"
	# Deaf indeed: nothing gets through.
	! in_ns ping -c 2 -i 0.2 -W 1 -q 10.0.5.2 >/dev/null || fail "a guest without buffers answered ping"
	kill -TERM "$pid"
	st=0
	wait "$(cat "$TMP/q.job")" || st=$?
	rm -f "$TMP/q.pid"
	[ "$st" -eq 0 ] || fail "QEMU's status after SIGTERM is $st; $(cat "$TMP/q.qemu")"
}

net_flood_starved_qemu() {
	needs qemu
	local pid sent
	qemu_vm s "$TAP_S" 10.0.7.2 "virtio_net.rx_buffers=2"
	grep -q "posting 2 of 256 receive buffers" "$TMP/s.serial" || fail "serial: $(cat "$TMP/s.serial")"
	pid=$(cat "$TMP/s.pid")
	udp_echo 10.0.7.2 20 || fail "udpecho with 2 buffers does not echo before the flood"
	sent=$(flood "$TAP_S" $FLOOD_S)
	echo "  flood: $sent frames in $FLOOD_S s to a guest with 2 receive buffers" >&2
	kill -0 "$pid" || fail "QEMU died: $(cat "$TMP/s.serial" "$TMP/s.qemu")"
	! grep -q "panic" "$TMP/s.serial" || fail "guest: $(cat "$TMP/s.serial")"
	# The two buffers kept going round: the guest still hears everything.
	udp_echo 10.0.7.2 200 || fail "udpecho with 2 buffers stopped echoing after the flood"
}

net_flood_deaf_flint() {
	needs kvm
	local ini sock=$TMP/vm.sock pid t0 p0 used
	ini=$(ini udpecho "cmdline = virtio_net.rx_buffers=0" "[net.eth0]" "tap = $TAP_F" \
		"mac = $MAC" "ip = 10.0.6.2/24" "gateway = 10.0.6.1")
	bg_run ip netns exec "$NS" "$FLINT" run "$ini" --stats=json --control "$sock"
	pid=$FPID
	await 60 grep -q listening "$OUT" || true
	grep -q "posting 0 of 256 receive buffers" "$OUT" || fail "guest: $(cat "$OUT" "$ERR")"
	t0=$(ticks "$pid") p0=$(tap_tx "$TAP_F")
	flood "$TAP_F" $FLOOD_S >"$TMP/sent" &
	await 30 tap_sent_since "$TAP_F" "$p0" || fail "the flood never started"
	# Mid-flood the control socket still answers.
	"$FLINT" ctl "$sock" query-status >"$TMP/status" || fail "flint ctl failed mid-flood"
	grep -qF '"status": "running"' "$TMP/status" || fail "mid-flood: $(cat "$TMP/status")"
	wait $! || fail "the flood sender failed"
	used=$(( $(ticks "$pid") - t0 ))
	echo "  flood: $(cat "$TMP/sent") frames in $FLOOD_S s; flint used $used ticks ($(pct "$used" $FLOOD_S)% of a core)" >&2
	# Edge-triggered on the tap and no buffer to read into: flint waits for the guest, not the tap.
	[ "$(pct "$used" $FLOOD_S)" -lt 20 ] || fail "flint used $(pct "$used" $FLOOD_S)% of a core"
	kill -TERM "$pid"
	wait_flint
	[ "$rc" -eq 130 ] || fail "flint's status after SIGTERM is $rc, want 130; stderr: $(tail -c 600 "$ERR")"
	python3 - "$ERR" <<'PY'
import json, sys
d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
n = [n for n in d["nets"] if n["name"] == "net.eth0"][0]
assert n["rx_no_buffer"] >= 1, n
assert n["rx_packets"] == 0, n
print(f"  flint: rx_no_buffer {n['rx_no_buffer']}, rx_packets 0", file=sys.stderr)
PY
}

t net_flood_deaf_qemu
t net_flood_starved_qemu
t net_flood_deaf_flint
exit $((failures > 0))
