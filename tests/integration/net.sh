#!/usr/bin/env bash
# [net.NAME] end to end: flint attaches to an existing tap in a network
# namespace of the test's own.  `flint check` needs no KVM, so the tap
# errors (missing, busy, not a tap) and the config errors run everywhere
# with root; booting a guest with a [net] section needs KVM.
source "$(dirname "$0")/lib.sh"

NS=attach-net-$$
TAP=attach0
cleanup() {
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
NS_OK=
if have netns && ip netns add "$NS" 2>"$TMP/ns.err" && ip -n "$NS" tuntap add "$TAP" mode tap 2>>"$TMP/ns.err" &&
	ip -n "$NS" tuntap add attachtun mode tun 2>>"$TMP/ns.err"; then
	NS_OK=1
fi
in_ns() { ip netns exec "$NS" "$@"; }
# needs_ns: the namespace and its taps exist (root, iproute2, tun), else SKIP.
needs_ns() {
	needs netns
	[ -n "$NS_OK" ] || { echo "could not set up netns $NS: $(head -c 200 "$TMP/ns.err")" >"$SKIP_FILE"; exit 77; }
}

# netini NAME TAP [extra [net.eth0] lines...]: hello with one interface
netini() {
	local name=$1 tap=$2
	shift 2
	{
		printf '[machine]\nmemory = 64M\n[kernel]\npath = %s\n' "$PWD/build/guest/hello.elf"
		printf '[net.eth0]\ntap = %s\n' "$tap"
		printf '%s\n' "$@"
	} >"$TMP/$name.ini"
	echo "$TMP/$name.ini"
}

check_reports_the_net() {
	needs_ns
	local ini; ini=$(netini ok "$TAP" "mac = 52:54:00:12:34:56" "ip = 10.9.0.2/24" "gateway = 10.9.0.1")
	run ip netns exec "$NS" "$FLINT" check "$ini"
	expect_rc 0
	expect_out "1 net)"
	expect_out "[net.eth0] tap $TAP"
	expect_out "mac 52:54:00:12:34:56, mtu 1500, guest ip=10.9.0.2::10.9.0.1:255.255.255.0::eth0:off"
	# checking lets go of the tap: a second check attaches again
	run ip netns exec "$NS" "$FLINT" check "$ini"
	expect_rc 0
}
missing_tap_is_a_config_error() {
	needs_ns
	local ini; ini=$(netini missing attachnone)
	run ip netns exec "$NS" "$FLINT" check "$ini"
	expect_rc 2
	expect_err "$ini:6: [net.eth0] tap = \"attachnone\": no such interface"
	expect_err "ip tuntap add attachnone mode tap"
	# and flint made none in passing
	! in_ns ip link show attachnone >/dev/null 2>&1 || fail "flint created attachnone"
	run ip netns exec "$NS" "$FLINT" check "$(netini missing2 "$TAP")" --set net.eth0.tap=attachnone
	expect_rc 2
	expect_err "--set net.eth0.tap=attachnone: [net.eth0] tap = \"attachnone\": no such interface"
}
busy_tap_is_a_config_error() {
	needs_ns
	needs python3
	# python holds the tap until its stdin, a FIFO this test holds open,
	# ends: when the test closes it, or exits, passed or not.  (Not killed:
	# killing a backgrounded `in_ns` would kill a subshell and leave python
	# holding the tap for the next test.)
	mkfifo "$TMP/hold"
	ip netns exec "$NS" python3 -c '
import fcntl, os, struct, sys
fd = os.open("/dev/net/tun", os.O_RDWR)
# TUNSETIFF, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", sys.argv[1].encode(), 0x0002 | 0x1000 | 0x4000))
print("held", flush=True)
sys.stdin.read()' "$TAP" <"$TMP/hold" >"$TMP/holder" &
	exec 4>"$TMP/hold"
	await 30 grep -q held "$TMP/holder" || fail "the holder never took $TAP"
	run ip netns exec "$NS" "$FLINT" check "$(netini busy "$TAP")"
	exec 4>&-
	wait $! || fail "the holder failed"
	expect_rc 2
	expect_err "busy.ini:6: [net.eth0] tap = \"$TAP\": busy: another process"
	expect_err "ip tuntap add IFNAME mode tap"
}
not_a_tap_is_a_config_error() {
	needs_ns
	run ip netns exec "$NS" "$FLINT" check "$(netini lo lo)"
	expect_rc 2
	expect_err "lo.ini:6: [net.eth0] tap = \"lo\": it is not a tun/tap device; create a tap with \`ip tuntap add IFNAME mode tap\`"
	run ip netns exec "$NS" "$FLINT" check "$(netini tun attachtun)"
	expect_rc 2
	expect_err "tun.ini:6: [net.eth0] tap = \"attachtun\": it is a tun (layer 3) device, not a tap"
}
bad_values_are_config_errors() {
	# No tap needed: the file is refused before any is opened.
	run "$FLINT" check "$(netini mac "$TAP" "mac = 01:02:03:04:05:06")"
	expect_rc 2
	expect_err "mac.ini:7: [net.eth0] mac = \"01:02:03:04:05:06\": a multicast address"
	run "$FLINT" check "$(netini mtu "$TAP" "mtu = 70000")"
	expect_rc 2
	expect_err "mtu.ini:7: [net.eth0] mtu = \"70000\": must be 68 to 65535"
	run "$FLINT" check "$(netini ip "$TAP" "ip = 10.0.0.300/24")"
	expect_rc 2
	expect_err "ip.ini:7: [net.eth0] ip = \"10.0.0.300/24\": not an IPv4 address"
	run "$FLINT" check "$(netini gw "$TAP" "ip = 10.0.0.2/24" "gateway = 10.1.0.1")"
	expect_rc 2
	expect_err "gw.ini:8: [net.eth0] gateway = 10.1.0.1: outside the guest's network 10.0.0.0/24"
	run "$FLINT" check "$(netini tapname "a/b")"
	expect_rc 2
	expect_err "tapname.ini:6: [net.eth0] tap = \"a/b\": '/' is not allowed in an interface name"
}
boot_with_a_net() {
	needs kvm
	needs_ns
	run ip netns exec "$NS" "$FLINT" run "$(netini boot "$TAP" "ip = 10.9.0.2/24")" --stats=json
	expect_rc 0
	python3 - "$ERR" <<'PY'
import json, sys
d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
nets = [n for n in d["nets"] if n["name"] == "net.eth0"]
assert len(nets) == 1, d
PY
	# the tap is free again once flint has exited
	run ip netns exec "$NS" "$FLINT" check "$(netini after "$TAP")"
	expect_rc 0
}

# A VM started on the tap the last one used, at once: the last one's
# teardown helper lets the tap go a moment after its exit (vmm/machine/devices/net.c),
# and the new one must wait for that rather than call the tap busy.
tap_reused_at_once() {
	needs kvm
	needs_ns
	local ini i
	ini=$(netini again "$TAP")
	for i in $(seq 20); do
		run ip netns exec "$NS" "$FLINT" run "$ini"
		expect_rc 0 || fail "boot $i of 20 on the tap the previous one left"
	done
}

t check_reports_the_net
t missing_tap_is_a_config_error
t busy_tap_is_a_config_error
t not_a_tap_is_a_config_error
t bad_values_are_config_errors
t boot_with_a_net
t tap_reused_at_once
exit $((failures > 0))
