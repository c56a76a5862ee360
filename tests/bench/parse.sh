# shellcheck shell=bash
# The bench scripts' parsers (sourced): each turns one tool's output into
# sample lines `METRIC WHO VALUE` for tests/bench/summary.py, and prints
# nothing for output it does not recognise, so a failed run leaves a gap
# rather than a wrong figure.  Kept apart from the scripts so that
# tests/integration/bench_parse.sh can feed them recorded output without
# KVM.

parse_ping() { # WHO < ping output: every reply's time, in ms
	sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' | awk -v w="$1" '{ print "ping_rtt_ms", w, $1 }'
}

parse_udprtt() { # WHO LINE (build/bench/udprtt's): nothing if any datagram was lost
	sed -n 's/^udprtt: rtt_median_us=\([0-9.]*\) rtt_p90_us=[0-9.]* rate_per_s=\([0-9]*\) lost=\([0-9]*\)$/\1 \2 \3/p' <<<"$2" |
		awk -v w="$1" '$3 == 0 { print "udp_rtt_us", w, $1; print "udp_rate", w, $2 }'
}

parse_wrk() { # WHO METRIC < wrk output: Requests/sec; errors wrk counted go to stderr
	awk -v w="$1" -v m="$2" '/Non-2xx|Socket errors/ { sub(/^ */, ""); print "   " w " " m ": wrk: " $0 > "/dev/stderr" }
		/^Requests\/sec:/ { print m, w, $2 }'
}

parse_curl() { # METRIC WHO BYTES <<< "HTTP_CODE SIZE BYTES_PER_S" (curl -w): MB/s if all BYTES went
	awk -v m="$1" -v w="$2" -v n="$3" '$1 == 200 && $2 == n { print m, w, $3 / 1e6 }'
}

parse_stats_exits() { # FILE (flint --stats=json on stderr): "EXITS PACKETS" of net.eth0
	python3 - "$1" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1], errors="replace") if l.startswith("{")]
if lines:
    d = json.loads(lines[-1])
    n = [x for x in d["nets"] if x["name"] == "net.eth0"]
    if n:
        print(sum(e["count"] for e in d["exits"]), n[0]["rx_packets"] + n[0]["tx_packets"])
PY
}

parse_readtime() { # METRIC WHO < guest output ("readtime: N bytes in T us, X MB/s"), 64 MiB only
	awk -v m="$1" -v w="$2" -v n=$((64 << 20)) '$1 == "readtime:" && $2 == n && $8 ~ /^MB\/s/ { print m, w, $7 }'
}

parse_entry() { # METRIC WHO < flint --stats=json output: the guest's first instruction, µs since main()
	python3 -c '
import json, sys
for l in sys.stdin:
    if l.startswith("{"):
        v = json.loads(l)["timeline_us"].get("guest_entry")
        if isinstance(v, (int, float)):
            print(sys.argv[1], sys.argv[2], v)' "$1" "$2"
}

parse_host_cat() { # < interleave.py's output ("cat adds +X ms median"): 64 MiB / X for both rootfs metrics
	awk -v n=$((64 << 20)) '$1 == "cat" && $2 == "adds" { ms = $3 + 0; if (ms > 0) {
		print "ext4_MBps host", n / ms / 1e3; print "initrd_MBps host", n / ms / 1e3 } }'
}
