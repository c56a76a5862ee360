# Sourced (bash): a network namespace of the caller's own with taps in it,
# always removed.  The caller sets NS and TMP first; every $TMP/*.pid names
# a process (a VM, a responder) that cleanup kills before the namespace
# goes.  IPv6 is off in it, so the host sends the taps nothing unasked
# (router solicitations, MLD reports): "idle" means no packets at all, and
# every packet a bench counts is its own.
in_ns() { ip netns exec "$NS" "$@"; }
netns_cleanup() {
	local f
	for f in "$TMP"/*.pid; do
		[ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
# netns_up: creates $NS (lo up, no IPv6) and arms the cleanup.
netns_up() {
	trap netns_cleanup EXIT
	trap 'exit 1' INT TERM
	ip netns add "$NS" || return 1
	ip -n "$NS" link set lo up
	in_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}
# netns_tap NAME ADDR/PREFIX [MTU]: a tap in $NS with the host's address, up.
netns_tap() {
	ip -n "$NS" tuntap add "$1" mode tap &&
		ip -n "$NS" addr add "$2" dev "$1" &&
		ip -n "$NS" link set "$1" ${3:+mtu "$3"} up
}
