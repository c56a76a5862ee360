#!/usr/bin/env bash
# Hunts a stall in the guest's TCP path under QEMU (TCG without KVM): one
# httpd guest on a tap in a private network namespace, then many 16 MiB
# transfers, each checked (sha256) and timed.  Not part of `make test`: it
# runs for minutes.  Needs root, iproute2, qemu, curl, python3 and
# build/guest/httpd.elf.
#
#   scripts/net_stress_qemu.sh [echo|sink|par|mix|all] [ITERATIONS]
#
# Environment: MTU=N (tap and virtio-net host_mtu, default 1500), PIN=CPU
# (run QEMU under `taskset -c CPU`), PAR=N (connections at once for `par`,
# default 4), MAXT=S (curl --max-time, default 60), SIZE=BYTES (default 16
# MiB), GAP=S (idle seconds between `mix`'s two transfers).  A transfer slower
# than 5x the median is reported as SLOW: a lost wake-up costs a halt's
# 1 s watchdog, which shows up there long before it fails a transfer.
# Exit status 1 if any transfer failed, was wrong or stalled past MAXT.
set -u
cd "$(dirname "$0")/.." || exit 1
MODE=${1:-all} N=${2:-40} MTU=${MTU:-1500} PAR=${PAR:-4} MAXT=${MAXT:-60} PIN=${PIN:-} GAP=${GAP:-0}
SIZE=${SIZE:-16777216}
NS=gstress-$$ TAP=gstr$$ IP=10.0.3.2 URL=http://10.0.3.2
TMP=$(mktemp -d)
. tests/lib/netns.sh
netns_up
netns_tap "$TAP" 10.0.3.1/24 "$MTU"

. tests/lib/qemu_accel.sh
PINCMD=""
[ -n "$PIN" ] && PINCMD="taskset -c $PIN"
# shellcheck disable=SC2086
in_ns $PINCMD qemu-system-x86_64 -M microvm,acpi=off $ACCEL -m 64M -nodefaults \
	-no-user-config -display none -serial "file:$TMP/serial" -pidfile "$TMP/vm.pid" \
	-device isa-debug-exit,iobase=0xf4,iosize=4 -global virtio-mmio.force-legacy=false \
	-netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no,vhost=off" \
	-device "virtio-net-device,netdev=n0,host_mtu=$MTU" -kernel build/guest/httpd.elf \
	-append "$TSC ip=$IP::10.0.3.1:255.255.255.0::eth0:off" >"$TMP/qemu" 2>&1 &
for _ in $(seq 100); do grep -q listening "$TMP/serial" 2>/dev/null && break; sleep 0.1; done
grep -q listening "$TMP/serial" || { echo "httpd did not come up: $(cat "$TMP/serial" "$TMP/qemu")"; exit 1; }
echo "guest: $(grep '^net:' "$TMP/serial")"

# The echo pattern's sha256 (apps/echopattern.h), as net_qemu.sh computes it.
pattern_sum() {
	python3 -c '
import hashlib, sys
n = int(sys.argv[1]); h = hashlib.sha256(); step = 1 << 16
for first in range(0, (n + 15) // 16, step):
    last = min(first + step, (n + 15) // 16)
    h.update(b"".join(b"%015x\n" % k for k in range(first, last))[: n - first * 16])
print(h.hexdigest())' "$1"
}
WANT=$(pattern_sum $SIZE) WANT_ODD=$(pattern_sum 1000003)
head -c $SIZE /dev/urandom >"$TMP/body"
bad=0
now() { date +%s.%N; }

# one KIND I J: a transfer; appends "seconds" to $TMP/times.KIND, complains on error.
one() {
	local kind=$1 tag="$1 #$2.$3" t0 t1 got st=0
	t0=$(now)
	if [ "$kind" = echo ]; then
		got=$(in_ns curl -sS --max-time "$MAXT" "$URL/echo?n=$SIZE" 2>"$TMP/err.$2.$3" | sha256sum | cut -d' ' -f1)
		[ "$got" = "$WANT" ] || st=1
	elif [ "$kind" = odd ]; then
		got=$(in_ns curl -sS --max-time "$MAXT" "$URL/echo?n=1000003" 2>"$TMP/err.$2.$3" | sha256sum | cut -d' ' -f1)
		[ "$got" = "$WANT_ODD" ] || st=1
	else
		got=$(in_ns curl -sS --max-time "$MAXT" --data-binary "@$TMP/body" "$URL/sink" 2>"$TMP/err.$2.$3")
		[ "$got" = "sink: $SIZE bytes" ] || st=1
	fi
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >>"$TMP/times.$kind"
	if [ $st -ne 0 ]; then
		echo "FAIL $tag after $(tail -1 "$TMP/times.$kind") s: $(cat "$TMP/err.$2.$3") ${got:0:80}"
		return 1
	fi
}

# summary WHAT KIND SIZE
summary() {
	sort -n "$TMP/times.$2" | awk -v what="$1" -v size="$3" '
		{ t[NR] = $1; sum += $1 }
		END { med = t[int((NR + 1) / 2)]; slow = 0
		      for (i = 1; i <= NR; i++) if (t[i] > 5 * med) slow++
		      printf "%s: %d transfers of %d bytes, min %.2f s, median %.2f s, max %.2f s, " \
			     "total %.0f s, %d SLOW (> 5x median)\n", what, NR, size, t[1], med, t[NR], sum, slow
		      exit slow > 0 }'
}

run_mode() {
	local kind=$1 i j
	rm -f "$TMP"/times.*
	for i in $(seq "$N"); do
		if [ "$kind" = par ]; then
			for j in $(seq "$PAR"); do one echo "$i" "$j" & done
			for j in $(seq "$PAR"); do wait -n || bad=1; done
		elif [ "$kind" = mix ]; then
			# net_qemu.sh's order: 16 MiB, then 1000003 bytes on a new connection.
			one echo "$i" 0 || bad=1
			sleep "$GAP"
			one odd "$i" 1 || bad=1
		else
			one "$kind" "$i" 0 || bad=1
		fi
	done
	local what="$kind (mtu $MTU${PIN:+, pinned to cpu $PIN}${ACCEL:+, $ACCEL})"
	case "$kind" in
	sink) summary "$what" sink $SIZE || bad=1 ;;
	mix) summary "$what" echo $SIZE || bad=1; summary "$what" odd 1000003 || bad=1 ;;
	*) summary "$what" echo $SIZE || bad=1 ;;
	esac
}

case "$MODE" in
all) run_mode echo; run_mode sink; run_mode par ;;
*) run_mode "$MODE" ;;
esac
in_ns curl -sS --max-time 10 "$URL/stats" | tr '\n' ' '; echo
kill -0 "$(cat "$TMP/vm.pid")" 2>/dev/null || { echo "QEMU died: $(cat "$TMP/serial" "$TMP/qemu")"; bad=1; }
exit $bad
