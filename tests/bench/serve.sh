#!/usr/bin/env bash
# flint serve (make bench's serve section, or run alone: tests/bench/serve.sh):
# every request on a brand-new VM running fn-echo.  For snapshot = auto,
# snapshot = off and pool = 0 (the VM started on the request path), and for
# the baseline, Debian's lighttpd running the same answer as a static C CGI
# (mod_cgi, a process per request, no VM): the sustained rate (wrk, 4
# connections, DURATION s, default 10), then p50/p99 measured open-loop at
# half that rate (build/bench/paced, our own: Debian has no wrk2), the host
# CPU per request (the supervisor and every VM process it reaped), and the
# ratios to lighttpd from this same run.  Targets (issue 17): p50 <= 0.5 ms,
# p99 <= 2 ms at the paced rate, >= 600 fresh VMs/s sustained on 2 cores.
# With snapshot = auto, DISTINCT requests (default 10000) must carry as
# many distinct generation ids: no VM serves two.
# The floor row: one guest reused for every request (fn-reuse, driven over
# its console by build/bench/reuse), what is left when no VM is new.
# The outside anchor is Hyperlight's published 0.9 ms per request (a new
# micro-VM per call, KubeCon NA 2024): published, not measured here.
# shellcheck source=tests/bench/lib.sh
source "$(dirname "$0")/lib.sh"
dur=${DURATION:-10}
echo "== serve: a brand-new VM per HTTP request (fn-echo) vs lighttpd mod_cgi"
if [ -z "$KVM" ]; then
	no_kvm_note "flint serve's sustained rate, paced p50/p99 and CPU per request (auto, off, pool = 0)"
	exit 0
fi
for tool in wrk lighttpd curl; do
	command -v "$tool" >/dev/null || { echo "   $tool is missing (scripts/deps.sh bench): not measured"; exit 0; }
done
make -s build/bench/paced build/bench/cgi_echo build/bench/reuse build/flint-serve build/guest/fn-reuse.elf >/dev/null
dir=$(mktemp -d)
spid=
cleanup() {
	[ -n "$spid" ] && kill -TERM "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# CPU (ms) of PID and the children it has reaped: /proc/PID/stat utime stime cutime cstime
tree_cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print int(($12 + $13 + $14 + $15) * 1000 / hz) }' "/proc/$1/stat"; }

# measure LABEL URL PID: wrk then paced; prints a row, sets RATE P50 P99
measure() {
	local label=$1 url=$2 pid=$3 c0 c1 n
	c0=$(tree_cpu_ms "$pid")
	wrk -t1 -c4 -d"${dur}s" "$url" >"$dir/wrk" 2>&1
	c1=$(tree_cpu_ms "$pid")
	RATE=$(awk '/^Requests\/sec/ { printf "%d", $2 }' "$dir/wrk")
	n=$(awk '/ requests in / { print $1 }' "$dir/wrk")
	grep -q "Non-2xx" "$dir/wrk" && echo "   $label: wrk saw errors: $(grep Non-2xx "$dir/wrk")"
	build/bench/paced "$url" "$(( RATE / 2 > 1 ? RATE / 2 : 1 ))" "$dur" >"$dir/paced"
	P50=$(awk '{ for (i = 1; i < NF; i++) if ($i == "p50") print $(i + 1) }' "$dir/paced")
	P99=$(awk '{ for (i = 1; i < NF; i++) if ($i == "p99") print $(i + 1) }' "$dir/paced")
	printf '   %-28s %6d req/s  paced at %5d/s: p50 %7.3f ms  p99 %8.3f ms  CPU %.2f ms/request  (%s)\n' \
		"$label" "$RATE" "$(( RATE / 2 ))" "$P50" "$P99" "$(echo "$c1 $c0 ${n:-1}" | awk '{ print ($1 - $2) / ($3 ? $3 : 1) }')" \
		"$(awk '{ print "ok " $7 ", errors " $9 ", late " $11 }' "$dir/paced")"
}

# lighttpd + mod_cgi + static C CGI: the process-per-request baseline
mkdir -p "$dir/www"
cp build/bench/cgi_echo "$dir/www/echo.cgi"
lport=$(port)
cat >"$dir/lighttpd.conf" <<CONF
server.document-root = "$dir/www"
server.port = $lport
server.bind = "127.0.0.1"
server.modules = ( "mod_cgi" )
cgi.assign = ( ".cgi" => "" )
server.errorlog = "$dir/lighttpd.err"
CONF
lighttpd -D -f "$dir/lighttpd.conf" &
lpid=$!
until curl -sf -o /dev/null "http://127.0.0.1:$lport/echo.cgi"; do sleep 0.05; done
measure "lighttpd mod_cgi (no VM)" "http://127.0.0.1:$lport/echo.cgi" "$lpid"
L_RATE=$RATE L_P50=$P50 L_P99=$P99
kill "$lpid"; wait "$lpid" 2>/dev/null

row() { # LABEL INI-LINES...
	local label=$1 sport mport
	shift
	sport=$(port) mport=$(port)
	{
		echo "[machine]"; echo "memory = 16M"
		echo "[kernel]"; echo "path = $PWD/build/guest/fn-echo.elf"
		echo "[serve]"; echo "listen = 127.0.0.1:$sport"; echo "metrics_listen = 127.0.0.1:$mport"
		printf '%s\n' "$@"
	} >"$dir/s.ini"
	"$FLINT" serve "$dir/s.ini" 2>"$dir/serve.err" &
	spid=$!
	until curl -sf -o /dev/null "http://127.0.0.1:$mport/metrics"; do
		kill -0 "$spid" 2>/dev/null || { echo "   $label: serve failed: $(tail -3 "$dir/serve.err")"; spid=; return; }
		sleep 0.05
	done
	curl -sf -o /dev/null "http://127.0.0.1:$sport/" # one VM through, the pool filled
	measure "$label" "http://127.0.0.1:$sport/" "$spid"
	if [ "$label" = "flint serve, snapshot = auto" ]; then
		# No VM ever serves two requests: DISTINCT (default 10000) answers, as many generation ids
		local want=${DISTINCT:-10000} got uniq
		seq "$want" | sed "s|.*|url = \"http://127.0.0.1:$sport/&\"|" >"$dir/urls"
		curl -s --no-progress-meter --parallel --parallel-max 4 -K "$dir/urls" >"$dir/gens" 2>/dev/null
		got=$(grep -c '^generation: ' "$dir/gens")
		uniq=$(grep '^generation: ' "$dir/gens" | sort -u | wc -l)
		printf '   %-28s %d requests (curl, 4 at a time): %d answers, %d distinct generation ids: %s\n' "" "$want" \
			"$got" "$uniq" "$([ "$got" = "$want" ] && [ "$uniq" = "$want" ] && echo met || echo "NOT met")"
	fi
	curl -s "http://127.0.0.1:$mport/metrics" >"$dir/metrics"
	printf '   %-28s VM start (spawn -> ready byte): mean %.2f ms over %d VMs; ratios to lighttpd: rate %.2fx, p50 %.2fx, p99 %.2fx\n' "" \
		"$(awk '$1 == "flint_serve_vm_start_seconds_sum" { s = $2 } $1 == "flint_serve_vm_start_seconds_count" { n = $2 } END { print n ? s / n * 1000 : 0 }' "$dir/metrics")" \
		"$(awk '$1 == "flint_serve_vm_start_seconds_count" { print $2 }' "$dir/metrics")" \
		"$(echo "$RATE $L_RATE" | awk '{ print $1 / $2 }')" "$(echo "$P50 $L_P50" | awk '{ print $1 / $2 }')" \
		"$(echo "$P99 $L_P99" | awk '{ print $1 / $2 }')"
	kill -TERM "$spid"; wait "$spid" 2>/dev/null; spid=
	[ "$label" = "flint serve, snapshot = auto" ] && A_RATE=$RATE A_P50=$P50 A_P99=$P99
	return 0
}
A_RATE=0 A_P50=999 A_P99=999
row "flint serve, snapshot = auto" "pool = 8"
row "flint serve, snapshot = off" "pool = 8" "snapshot = off"
row "flint serve, pool = 0" "pool = 0" "max_vms = 16"
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { ok = op == "le" ? v <= t : v >= t; print ok ? "met" : "NOT met" }'; }
echo "   targets (snapshot = auto, KVM host, 2 shared cores): p50 $A_P50 ms <= 0.5 ms: $(verdict "$A_P50" 0.5 le);" \
	"p99 $A_P99 ms <= 2 ms: $(verdict "$A_P99" 2 le); $A_RATE VMs/s >= 600: $(verdict "$A_RATE" 600 ge)"
echo "   outside anchor: Hyperlight, 0.9 ms per request on a new micro-VM (published, KubeCon NA 2024; not measured here)"
# The floor, not a product mode: one guest (fn-reuse) answers every request,
# written one at a time to its console by build/bench/reuse; no HTTP, no new VM.
printf '[machine]\nmemory = 16M\n[kernel]\npath = %s\n' "$PWD/build/guest/fn-reuse.elf" >"$dir/reuse.ini"
if build/bench/reuse "$FLINT" "$dir/reuse.ini" "$(( dur * 200 ))" >"$dir/reuse" 2>&1; then
	F_P50=$(awk '{ for (i = 1; i < NF; i++) if ($i == "p50") print $(i + 1) }' "$dir/reuse")
	F_P99=$(awk '{ for (i = 1; i < NF; i++) if ($i == "p99") print $(i + 1) }' "$dir/reuse")
	printf '   %-28s one at a time: p50 %7.3f ms  p99 %8.3f ms  (%s; the same guest for every request,\n' \
		"floor: one guest reused" "$F_P50" "$F_P99" "$(awk '{ print $3 " requests" }' "$dir/reuse")"
	printf '   %-28s over its console, no HTTP, no new VM: not a product mode; auto/floor: p50 %.1fx, p99 %.1fx)\n' "" \
		"$(echo "$A_P50 $F_P50" | awk '{ print ($2 > 0 ? $1 / $2 : 0) }')" "$(echo "$A_P99 $F_P99" | awk '{ print ($2 > 0 ? $1 / $2 : 0) }')"
else
	echo "   floor: one guest reused: failed: $(tail -2 "$dir/reuse")"
fi
