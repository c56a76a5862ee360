#!/usr/bin/env bash
# flint serve end to end (needs KVM; SKIPs without it): fn-echo and
# fn-sha256 over curl and wrk, a brand-new VM per request (distinct
# generation ids), the misbehaving functions, hostile clients, SIGTERM
# under load, pool refill, no flint left behind; [serve] key checks.
. "$(dirname "$0")/lib.sh"
SPID=
trap '[ -n "$SPID" ] && kill -9 "$SPID" 2>/dev/null; rm -rf "$TMP"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# serve_ini NAME APP [extra lines...]: $TMP/NAME.ini serving APP on a free port ($PORT, $MPORT)
serve_ini() {
	local name=$1 app=$2
	shift 2
	PORT=$(free_port) MPORT=$(free_port)
	ini "$app" "[serve]" "listen = 127.0.0.1:$PORT" "metrics_listen = 127.0.0.1:$MPORT" "$@" >/dev/null
	mv "$TMP/$app.ini" "$TMP/$name.ini"
}
# start_serve NAME: the server in the background ($SPID), stderr in $TMP/NAME.err; waits until it answers metrics
start_serve() {
	needs kvm curl
	SERR=$TMP/$1.err
	# --foreground: SIGTERM goes to the server alone, as a service manager sends it
	timeout --foreground 120 "$FLINT" serve "$TMP/$1.ini" 2>"$SERR" &
	SPID=$!
	await 30 curl -sf -o /dev/null "http://127.0.0.1:$MPORT/metrics" || fail "serve did not start: $(cat "$SERR")"
}
stop_serve() {
	kill -TERM "$SPID"
	rc=0
	wait "$SPID" || rc=$?
	SPID=
	[ "$rc" -eq 0 ] || fail "serve exited $rc after SIGTERM: $(tail -5 "$SERR")"
	await 30 no_flint_left || no_flint_left
}
metric() { curl -s "http://127.0.0.1:$MPORT/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
# Every VM process has exited (zombies of an init that does not reap are not running).
no_flint_left() {
	local p left=
	for p in $(pgrep -f -- "$TMP/" || true); do
		[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = Z ] || left="$left $p"
	done
	# (a VM's teardown helper outlives its flint by design, briefly)
	[ -z "$left" ] || fail "flint processes left:$left: $(ps -o pid,ppid,stat,cmd -p "${left# }" | tail -n +2)"
}
code() { curl -s -o "$OUT" -w '%{http_code}' "$@"; }

bad_serve_keys_are_refused() {
	ini fn-echo "[serve]" "listen = :8080"
	run "$FLINT" check "$TMP/fn-echo.ini"
	expect_rc 2
	expect_err "fn-echo.ini:6: [serve] listen"
	expect_err "0.0.0.0:PORT"
	for kv in "timeout = 5" "max_body = 2X" "pool = -1" "snapshot = maybe" "max_output = 0"; do
		ini fn-echo "[serve]" "listen = 127.0.0.1:1" "$kv"
		run "$FLINT" check "$TMP/fn-echo.ini"
		expect_rc 2
		expect_err "[serve] ${kv%% =*}"
	done
	ini fn-echo "[serve]" "listen = unix:$TMP/s" "timeout = 500ms" "max_body = 4K" "snapshot = off"
	run "$FLINT" check "$TMP/fn-echo.ini"
	expect_rc 0
	ini fn-echo
	run "$FLINT" serve "$TMP/fn-echo.ini"
	expect_rc 2
	expect_err "[serve] listen is missing"
}

ready_fd_usage() {
	ini fn-echo
	run "$FLINT" run "$TMP/fn-echo.ini" --ready-fd x
	expect_rc 2
	run "$FLINT" run "$TMP/fn-echo.ini" --ready-fd 5 --save-at-ready "$TMP/s"
	expect_rc 2
	expect_err "give one"
}

# The supervisor's side of --ready-fd: 'R' and the generation id when parked (the one the guest
# reports), one byte releases,
# then 'E' and the exit status once every output byte is on stdout, for a
# function that exits 3 and for one that exits 0 (booted and restored).
ready_fd_says_the_status() {
	needs kvm
	cat >"$TMP/rfd.py" <<'PY'
import os, socket, subprocess, sys
cfg, want, restore = sys.argv[1], sys.argv[2], sys.argv[3:]
if want == "save":  # stdin open and empty until the save is done, as flint serve does
    p = subprocess.Popen([os.environ["FLINT"], "run", cfg, "--set", "console.input=stdin",
                          "--set", "console.output=stdout", "--set", "console.device=virtio",
                          "--save-at-ready", restore[0]], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    sys.exit(p.wait())
want = int(want)
a, b = socket.socketpair()
p = subprocess.Popen([os.environ["FLINT"], "run", cfg, "--set", "console.input=stdin",
                      "--set", "console.output=stdout", "--set", "console.device=virtio",
                      "--ready-fd", str(b.fileno())] + restore,
                     pass_fds=[b.fileno()], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
b.close()
ready = b""
while len(ready) < 9:  # 'R' and the generation id, little-endian
    c = a.recv(9 - len(ready))
    assert c, "the socket ended before the ready message"
    ready += c
assert ready[:1] == b"R", "no ready byte: %r" % ready
gen = int.from_bytes(ready[1:], "little")
assert gen != 0, "no generation id"
p.stdin.write(b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n"); p.stdin.close()
a.send(b"G")
msg = b""
while len(msg) < 2:
    c = a.recv(2 - len(msg))
    assert c, "the socket ended before the status"
    msg += c
out = p.stdout.read()
assert msg == b"E" + bytes([want]), "status message %r, wanted E %d" % (msg, want)
assert b"Status: 200" in out, "output %r" % out[:200]
assert b"generation: " not in out or b"generation: %016x" % gen in out, "not the generation %x: %r" % (gen, out)
assert p.wait() == want, "exit status %d" % p.returncode
PY
	ini fn-misbehave >/dev/null
	sed -i "s|^path = .*|&\ncmdline = -- fail|" "$TMP/fn-misbehave.ini"
	FLINT=$FLINT python3 "$TMP/rfd.py" "$TMP/fn-misbehave.ini" 3 || fail "fn-misbehave fail"
	ini fn-echo >/dev/null
	FLINT=$FLINT python3 "$TMP/rfd.py" "$TMP/fn-echo.ini" 0 || fail "fn-echo booted"
	FLINT=$FLINT python3 "$TMP/rfd.py" "$TMP/fn-echo.ini" save "$TMP/echo.snap" || fail "no snapshot"
	FLINT=$FLINT python3 "$TMP/rfd.py" "$TMP/fn-echo.ini" 0 --restore "$TMP/echo.snap" --paused || fail "fn-echo restored"
}

echo_and_sha256_over_curl() {
	serve_ini echo fn-echo "pool = 2" "max_body = 1M"
	start_serve echo
	[ "$(code "http://127.0.0.1:$PORT/a/b?x=1&y")" = 200 ]
	grep -qx "method: GET" "$OUT" && grep -qx "path: /a/b" "$OUT" && grep -qx "query: x=1&y" "$OUT" ||
		fail "echo: $(cat "$OUT")"
	grep -Eqx "generation: [0-9a-f]{16}" "$OUT" || fail "no generation line: $(cat "$OUT")"
	for n in 0 1 100 65536 1048576; do
		head -c "$n" /dev/urandom | base64 -w0 | head -c "$n" >"$TMP/body"
		[ "$(code --data-binary @"$TMP/body" "http://127.0.0.1:$PORT/p")" = 200 ] || fail "POST $n: $(cat "$OUT")"
		grep -qx "body-length: $n" "$OUT" || fail "POST $n: $(head -7 "$OUT")"
		tail -c "$n" "$OUT" | cmp -s - "$TMP/body" || fail "POST $n: body not echoed"
	done
	head -c $((1024 * 1024 + 1)) /dev/zero >"$TMP/big"
	[ "$(code --data-binary @"$TMP/big" "http://127.0.0.1:$PORT/p")" = 413 ] || fail "1 MiB + 1 over max_body 1M was not 413"
	stop_serve
	serve_ini sha fn-sha256 "pool = 1" "snapshot = off"
	start_serve sha
	for n in 0 3 1000; do
		head -c "$n" /dev/urandom >"$TMP/body"
		[ "$(code --data-binary @"$TMP/body" "http://127.0.0.1:$PORT/")" = 200 ] || fail "sha $n"
		[ "$(cat "$OUT")" = "$(sha256sum <"$TMP/body" | cut -d' ' -f1)" ] || fail "sha $n: $(cat "$OUT")"
	done
	stop_serve
}

two_hundred_distinct_generations() {
	serve_ini gen fn-echo "pool = 8"
	start_serve gen
	local urls=() i
	for i in $(seq 200); do urls+=("http://127.0.0.1:$PORT/$i"); done
	curl -s "${urls[@]}" >"$OUT"   # one keep-alive connection
	[ "$(grep -c '^generation: ' "$OUT")" = 200 ] || fail "$(grep -c '^generation: ' "$OUT") responses of 200"
	[ "$(grep '^generation: ' "$OUT" | sort -u | wc -l)" = 200 ] || fail "a VM served two requests"
	[ "$(metric 'flint_serve_requests_total{code="200"}')" = 200 ] || fail "metrics: $(metric 'flint_serve_requests_total{code="200"}')"
	stop_serve
}

wrk_bounded() {
	needs wrk
	serve_ini wrk fn-echo "pool = 8"
	start_serve wrk
	wrk -t1 -c4 -d2s "http://127.0.0.1:$PORT/" >"$OUT" 2>&1 || fail "wrk: $(cat "$OUT")"
	grep -q "Non-2xx" "$OUT" && fail "wrk saw errors: $(cat "$OUT")"
	grep -Eq "^ +[0-9]+ requests in" "$OUT" || fail "wrk: $(cat "$OUT")"
	stop_serve
}

# misbehaving MODE EXPECTED [extra ini lines]: the function breaks the contract, the server answers EXPECTED twice
misbehaving() {
	serve_ini "m$1" fn-misbehave "pool = 1" "timeout = 2s" "max_output = 64K" "${@:3}"
	sed -i "s|^path = .*|&\ncmdline = -- $1|" "$TMP/m$1.ini"
	start_serve "m$1"
	[ "$(code "http://127.0.0.1:$PORT/")" = "$2" ] || fail "$1: expected $2, got $(cat "$OUT")"
	[ "$(code "http://127.0.0.1:$PORT/again")" = "$2" ] || fail "$1: the second request"
	grep -q "flint serve: $2 GET /again" "$SERR" || fail "no failure line on stderr: $(cat "$SERR")"
	stop_serve
}
misbehaving_functions() {
	misbehaving hang 504
	misbehaving crash 502
	misbehaving spew 502
	misbehaving fail 502
	misbehaving garbage 502
	misbehaving noready 503 "snapshot = off"
	grep -q "not ready after" "$SERR" || fail "never-ready VM not reported: $(cat "$SERR")"
	# snapshot = auto: a function that never gets ready is a start-up error
	serve_ini nr fn-misbehave "timeout = 1s"
	sed -i "s|^path = .*|&\ncmdline = -- noready|" "$TMP/nr.ini"
	run "$FLINT" serve "$TMP/nr.ini"
	expect_rc 2
	expect_err "did not call flint_ready()"
	await 30 no_flint_left || no_flint_left
}

hostile_clients() {
	needs python3
	serve_ini h fn-echo "pool = 2" "timeout = 2s"
	start_serve h
	python3 - "$PORT" <<'PY' || fail "hostile clients"
import socket, sys, time
port = int(sys.argv[1])
def conn():
    s = socket.create_connection(("127.0.0.1", port)); s.settimeout(10); return s
def status(s):
    data = b""
    while b"\r\n" not in data:
        d = s.recv(4096)
        if not d: break
        data += d
    return data.split(b" ")[1] if data else b"closed"
slow = conn(); slow.send(b"GET / HTTP/1.1\r\nHo")          # slow headers, kept open
s = conn(); s.send(b"\x00\x01garbage\r\n\r\n"); assert status(s) in (b"400", b"closed"), "garbage"
s = conn(); s.send(b"GET / HTTP/1.1\r\nX: " + b"a" * 70000 + b"\r\n\r\n"); st = status(s); assert st in (b"400", b"413", b"431", b"closed"), st
gone = conn(); gone.send(b"GET /gone HTTP/1.1\r\nHost: x\r\n\r\n"); gone.close()   # vanishes mid-response
s = conn(); s.send(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n"); assert status(s) == b"200", "after hostile clients"
PY
	[ "$(code "http://127.0.0.1:$PORT/still")" = 200 ] || fail "not serving after hostile clients"
	stop_serve
}

sigterm_under_load_loses_nothing() {
	serve_ini load fn-echo "pool = 4"
	start_serve load
	local i
	for i in 1 2 3 4; do
		( for _ in $(seq 40); do
			curl -s -o /dev/null -w '%{http_code} %{exitcode}\n' "http://127.0.0.1:$PORT/" || true
		  done >"$TMP/client.$i" ) &
	done
	await 30 sh -c "cat $TMP/client.* | grep -q '^200'" || fail "no load"
	kill -TERM "$SPID"
	rc=0
	wait "$SPID" || rc=$?
	SPID=
	wait
	[ "$rc" -eq 0 ] || fail "serve exited $rc"
	# 200, or 503 on a connection open at SIGTERM, or no connection once
	# the listener has closed (refused, or reset in its backlog): never a
	# cut response.  Every admitted request finished, each client 200 is
	# one the server counted.
	! cat "$TMP"/client.* | grep -Ev '^(200 0|503 0|000 7|000 52|000 56)$' | grep -q . ||
		fail "cut responses: $(cat "$TMP"/client.* | sort | uniq -c)"
	local line ok
	line=$(grep "requests admitted" "$SERR") || fail "no summary: $(cat "$SERR")"
	ok=$(cat "$TMP"/client.* | grep -c '^200 0')
	echo "$line" | grep -Eq "; ([0-9]+) requests admitted, \1 finished, $ok answered 200\$" ||
		fail "lost: $line; clients saw $ok"
	await 30 no_flint_left || no_flint_left
}

pool_refills_after_burst() {
	serve_ini burst fn-echo "pool = 4" "max_vms = 16"
	start_serve burst
	await 30 sh -c "[ \"\$(curl -s http://127.0.0.1:$MPORT/metrics | awk '\$1 == \"flint_serve_pool_vms{state=\\\"ready\\\"}\" {print \$2}')\" = 4 ]" ||
		fail "pool never reached 4"
	local i pids=()
	for i in $(seq 12); do curl -s -o /dev/null "http://127.0.0.1:$PORT/$i" & pids+=($!); done
	wait "${pids[@]}"
	[ "$(metric 'flint_serve_requests_total{code="200"}')" = 12 ] || fail "burst: $(metric 'flint_serve_requests_total{code="200"}')"
	await 30 sh -c "[ \"\$(curl -s http://127.0.0.1:$MPORT/metrics | awk '\$1 == \"flint_serve_pool_vms{state=\\\"ready\\\"}\" {print \$2}')\" = 4 ]" ||
		fail "pool did not refill to 4"
	stop_serve
}

# The supervisor runs under its seccomp role (docs/SECURITY.md); its
# spawner, forked before the filter, has none (the VMs would inherit it),
# and leaves with the server.
serve_is_filtered() {
	serve_ini filt fn-echo "pool = 2"
	start_serve filt
	local sv p sp=
	sv=$(pgrep -P "$SPID" -x flint-serve) || fail "no flint-serve under $SPID: $(ps -o pid,ppid,cmd --ppid "$SPID")"
	grep -Eq '^Seccomp:[[:space:]]+2$' "/proc/$sv/status" || fail "flint-serve: $(grep Seccomp "/proc/$sv/status")"
	for p in $(pgrep -P "$sv"); do
		[ "$(readlink "/proc/$p/exe")" = "$(readlink "/proc/$sv/exe")" ] && sp=$p
	done
	[ -n "$sp" ] || fail "no spawner among flint-serve's children: $(ps -o pid,cmd --ppid "$sv")"
	grep -Eq '^Seccomp:[[:space:]]+0$' "/proc/$sp/status" || fail "the spawner has a filter: $(grep Seccomp "/proc/$sp/status")"
	[ "$(code -d ok "http://127.0.0.1:$PORT/f")" = 200 ] || fail "under the filter: $(cat "$OUT") $(tail -3 "$SERR")"
	! grep -q "forbidden system call" "$SERR" || fail "$(cat "$SERR")"
	stop_serve
	[ ! -e "/proc/$sp" ] || fail "the spawner outlived the server"
}

# A VM's stderr (flint's messages and the guest's UART) is logged a line at
# a time with the generation id its response carries; a long line is cut,
# a terminal escape defused, and a VM logs at most 64 lines.
guest_stderr_has_the_generation() {
	serve_ini gs fn-misbehave "pool = 1"
	sed -i "s|^path = .*|&\ncmdline = -- stderr|" "$TMP/gs.ini"
	start_serve gs
	[ "$(code "http://127.0.0.1:$PORT/")" = 200 ] || fail "$(cat "$OUT")"
	local gen
	gen=$(sed -n 's/^generation: //p' "$OUT")
	[ -n "$gen" ] || fail "no generation in the response: $(cat "$OUT")"
	stop_serve
	grep -qx "flint serve: vm $gen: hello from the guest" "$SERR" || fail "no prefixed line for $gen: $(head -20 "$SERR")"
	grep -Eqx "flint serve: vm $gen: long y{195} \[cut\]" "$SERR" || fail "the long line: $(grep long "$SERR")"
	grep -qx "flint serve: vm $gen: escape ?\[2J here" "$SERR" || fail "the escape: $(grep escape "$SERR" | od -c | head)"
	[ "$(grep -c "^flint serve: vm $gen: " "$SERR")" = 65 ] || fail "$(grep -c "^flint serve: vm $gen: " "$SERR") lines for $gen"
	grep -q "^flint serve: vm $gen: 39 more lines of stderr not logged" "$SERR" || fail "no summary: $(tail -3 "$SERR")"
}

# SERVE_TESTS="name ..." runs some of them
for name in ${SERVE_TESTS:-bad_serve_keys_are_refused ready_fd_usage ready_fd_says_the_status echo_and_sha256_over_curl
		two_hundred_distinct_generations wrk_bounded misbehaving_functions hostile_clients
		sigterm_under_load_loses_nothing pool_refills_after_burst serve_is_filtered
		guest_stderr_has_the_generation}; do
	t "$name"
done
[ "$failures" -eq 0 ]
