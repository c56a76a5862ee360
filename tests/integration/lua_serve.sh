#!/usr/bin/env bash
# Lua handlers under `flint serve` (lua.elf -- --serve HANDLER, examples/lua/):
# the JSON echo (with the shipped json.lua), the template page read from the
# initrd, a failing handler (502, no traceback in the response) and one
# that never returns (the [serve] timeout ends its VM; the server lives on),
# and one whose headers outgrow a luaL_Buffer's first block.
source "$(dirname "$0")/lib.sh"
needs curl

# serve HANDLER [SERVE-KEYS...]: starts flint serve on a free port ($URL), $SPID
serve() {
	local h=$1 port mport
	shift
	needs kvm
	[ -f "$TMP/ex.cpio" ] || { mkdir -p "$TMP/ex" && cp examples/lua/* tests/integration/lua/loop_handler.lua tests/integration/lua/headers_handler.lua "$TMP/ex/" &&
		rootfs/mkimage --format cpio "$TMP/ex" "$TMP/ex.cpio" >/dev/null; }
	local try
	# A port bind(0) just gave back can still be taken (a client's
	# TIME_WAIT): a few fresh pairs before calling it a failure.
	for try in 1 2 3 4 5; do
		read -r port mport < <(python3 -c 'import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')
		URL=http://127.0.0.1:$port
		rm -f "$TMP/serve.err"    # else the last server's "listening" could be read before the redirect truncates it
		"$FLINT" serve "$(ini lua "initrd = $TMP/ex.cpio" "cmdline = -- --serve /$h" "[serve]" \
			"listen = 127.0.0.1:$port" "metrics_listen = 127.0.0.1:$mport" "pool = 1" "$@")" \
			>"$TMP/serve.out" 2>"$TMP/serve.err" &
		SPID=$!
		await 30 grep -q "listening on\|cannot listen" "$TMP/serve.err" || break
		grep -q "cannot listen" "$TMP/serve.err" || break
		stop
	done
	grep -q "listening on" "$TMP/serve.err" || fail "flint serve never listened: $(tail -5 "$TMP/serve.err")"
}
stop() { kill "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true; }
get() { rc=0; curl -s -m 30 -o "$OUT" -w '%{http_code}' "$@" >"$TMP/code" || rc=$?; code=$(cat "$TMP/code"); }

json_echo() {
	serve echo.lua
	get -H 'Content-Type: application/json' -d '{"k":[1,2,{"z":null}],"s":"h\u00e9"}' "$URL/a/b?x=1"
	stop
	[ "$code" = 200 ] || fail "status $code: $(head -c 300 "$OUT")"
	expect_out '"path":"/a/b"'
	expect_out '"query":"x=1"'
	expect_out '"method":"POST"'
	expect_out '"json":{'
	expect_out '"k":[1,2,{"z":null}]'
	expect_out '"content-type":"application/json"'
}
template_from_initrd() {
	serve page.lua
	get "$URL/?name=%3Cb%3EAda"
	stop
	[ "$code" = 200 ] || fail "status $code: $(head -c 300 "$OUT")"
	expect_out "<p>Hello, &lt;b&gt;Ada! This page was rendered by Lua"
}
error_is_502_without_traceback() {
	serve fail.lua
	get "$URL/x"
	local first=$code
	get "$URL/y"    # the server and its pool survive a failing function
	stop
	[ "$first" = 502 ] && [ "$code" = 502 ] || fail "statuses $first, $code, not 502"
	if grep -q "traceback\|fail.lua" "$OUT"; then fail "the traceback leaked into the response"; fi
	grep -q "the function exited with status 1" "$TMP/serve.err" || fail "no failure line: $(tail -3 "$TMP/serve.err")"
}
long_headers_arrive_whole() {
	serve headers_handler.lua
	get -D "$TMP/head" "$URL/"
	stop
	[ "$code" = 201 ] || fail "status $code: $(head -c 300 "$OUT")"
	expect_out "all headers"
	local n
	n=$(grep -c '^X-Long-[0-9]*: v\{60\}[0-9]*.$' "$TMP/head") || true
	[ "$n" = 40 ] || fail "$n of the 40 long headers arrived: $(head -c 600 "$TMP/head")"
}
endless_handler_is_timed_out() {
	serve loop_handler.lua "timeout = 1s"
	get "$URL/"
	stop
	case "$code" in 502|503|504) ;; *) fail "status $code for a handler that never returns" ;; esac
}

for f in json_echo template_from_initrd error_is_502_without_traceback long_headers_arrive_whole \
	endless_handler_is_timed_out; do
	t "$f"
done
exit $((failures > 0))
