#!/usr/bin/env bash
# Nothing low includes anything high: the monitor's folders are layers
# (docs/ARCHITECTURE.md, "Source layout"), and a file may include a header
# only from its own layer or one below.  Device models (hw/, virtio/) know
# no KVM and no configuration, the spec knows no machine, the machine no
# control socket and no command line.
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

# folder rank: the Makefile's SRC_DIRS, lowest first, with equal ranks
# for folders that may not include each other either way but sit side by
# side (checked below as "same layer, other folder" when it matters).
rank() {
	case "$1" in
	include/*) echo 0 ;;
	hw/*) echo 1 ;;
	virtio/*) echo 2 ;;
	seccomp/*) echo 2 ;;
	vmm/spec/*) echo 3 ;;
	vmm/machine/*) echo 4 ;;
	vmm/control/*) echo 5 ;;
	vmm/cli/*) echo 6 ;;
	*) echo 9 ;;
	esac
}
# SRC_DIRS as the Makefile writes it, continuation lines joined.
dirs=$(awk '/^SRC_DIRS :=/ { on = 1; sub(/^SRC_DIRS :=/, "") }
	on { line = $0; more = sub(/\\$/, "", line); printf "%s ", line; if (!more) exit }' Makefile)

# resolve FILE HEADER: where the compiler finds "HEADER" for FILE (its own
# folder first, then -Iinclude and SRC_DIRS in order); nothing if a system header.
resolve() {
	local d
	for d in "$(dirname "$1")" include $dirs; do
		if [ -f "$d/$2" ]; then echo "$d/$2"; return 0; fi
	done
	return 0
}

layers_hold() {
	local f h r bad=
	[ -n "$dirs" ] || fail "no SRC_DIRS in the Makefile"
	for f in $(for d in $dirs; do ls "$d"/*.[ch] 2>/dev/null; done); do
		while read -r h; do
			r=$(resolve "$f" "$h")
			[ -n "$r" ] || continue
			[ "$(rank "$r")" -le "$(rank "$f")" ] || bad="$bad
  $f includes $r"
		done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
	done
	[ -z "$bad" ] || fail "a lower layer includes a higher one:$bad"
}

# The check can fail: a model that reached up into the machine is caught.
catches_a_violation() {
	local tmp=hw/zz_layering_probe.h
	printf '#include "vm.h"\n' >"$tmp"
	( layers_hold ) >/dev/null 2>&1 && { rm -f "$tmp"; fail "hw/ including vm.h went unnoticed"; }
	rm -f "$tmp"
}

t layers_hold
t catches_a_violation
exit $((failures > 0))
