#!/usr/bin/env bash
# httpd root=PATH end to end under QEMU microvm (TCG where there is no
# KVM): the example images (build/rootfs/example.cpio as initrd, .ext4 as
# virtio-blk disk) and a generated ext4 image with a 64 MiB file, odd
# names, an index.html, a FIFO and an unreadable file, served over a tap
# in a network namespace this script creates ("ghttp" names) and always
# removes.  Every regular file comes back with the host file's sha256; the
# hostile URLs come back 400/403, never with a byte from outside the root.
# The last test boots the same through flint (SKIP without KVM).
source "$(dirname "$0")/lib.sh"

NS=ghttp-$$ TAP=ghttp$$
H=10.0.3.2 URL=http://10.0.3.2
TREE=build/rootfs/tree CPIO=build/rootfs/example.cpio EXT4=build/rootfs/example.ext4
export PATH=$PATH:/sbin:/usr/sbin
NAMES="httpd_files_initrd httpd_files_ext4 httpd_keepalive_many_files httpd_parallel_downloads httpd_head httpd_hostile_urls
	httpd_dirs httpd_subfolder_root httpd_builtins_under_root httpd_big_ext4 httpd_bad_root
	httpd_files_flint"

skip_all() { for n in $NAMES; do echo "SKIP $n ($1)"; done; exit 0; }
missing=""
for w in netns qemu curl python3 sha256sum; do have "$w" || missing="$missing $w"; done
[ -z "$missing" ] || skip_all "needs$missing"
[ -f build/guest/httpd.elf ] || skip_all "build/guest/httpd.elf missing: run make guest"
[ -s "$CPIO" ] && [ -s "$EXT4" ] || skip_all "$CPIO or $EXT4 missing: run make"

. tests/lib/netns.sh
netns_up
netns_tap "$TAP" 10.0.3.1/24

. tests/lib/qemu_accel.sh

# vm_start "KERNEL PARAMS -- ARGS" QEMU-ARGS...: httpd on the tap, up when it says "listening".
vm_start() {
	local append=$1 i
	shift
	vm_stop
	: >"$TMP/vm.serial"
	# shellcheck disable=SC2086
	in_ns timeout 600 qemu-system-x86_64 -M microvm,acpi=off $ACCEL -m 64M -nodefaults \
		-no-user-config -display none -serial "file:$TMP/vm.serial" -pidfile "$TMP/vm.pid" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -global virtio-mmio.force-legacy=false \
		-netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no,vhost=off" \
		-device virtio-net-device,netdev=n0 -kernel build/guest/httpd.elf \
		-append "$TSC ip=$H::10.0.3.1:255.255.255.0::eth0:off $append" "$@" >"$TMP/vm.qemu" 2>&1 &
	local job=$!
	await 120 eval 'grep -q listening "$TMP/vm.serial" || ! kill -0 $job' &&
		grep -q listening "$TMP/vm.serial" && return 0
	fail "httpd did not come up; serial: $(cat "$TMP/vm.serial"); qemu: $(cat "$TMP/vm.qemu")"
}
# Each test runs in a subshell: the VM is found again through QEMU's pid file.
vm_stop() {
	local pid
	[ -f "$TMP/vm.pid" ] || return 0
	pid=$(cat "$TMP/vm.pid")
	kill "$pid" 2>/dev/null
	await 30 eval '! kill -0 "$pid"' || true
	rm -f "$TMP/vm.pid"
}
DRIVE() { echo "-drive id=d0,file=$1,format=raw,if=none,readonly=on -device virtio-blk-device,drive=d0"; }

code() { in_ns curl -s --path-as-is -o /dev/null -w '%{http_code}' --max-time 20 "$@"; }
urlpath() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }

# all_files_match DIR PREFIX: every regular file under DIR, fetched as PREFIX/relpath, has its sha256
all_files_match() {
	local dir=$1 prefix=$2 f got want n=0
	while IFS= read -r -d '' f; do
		f=${f#"$dir"}
		got=$(in_ns curl -sS --fail --max-time 300 "$URL$prefix$(urlpath "$f")" | sha256sum | cut -d' ' -f1)
		want=$(sha256sum <"$dir$f" | cut -d' ' -f1)
		[ "$got" = "$want" ] || fail "$prefix$f: sha256 $got, want $want"
		n=$((n + 1))
	done < <(find "$dir" -type f -perm -o=r -print0)
	[ "$n" -gt 0 ] || fail "no files under $dir"
	echo "  $n files, every sha256 as on the host" >&2
}

# ---- example.cpio as initrd, root=/ ----

httpd_files_initrd() {
	vm_start "root=initrd -- root=/" -initrd "$CPIO"
	grep -q "serving files from /$" "$TMP/vm.serial" || fail "serial: $(cat "$TMP/vm.serial")"
	all_files_match "$TREE" ""
	# symlinks are followed: greeting -> hello.txt, notes -> docs/notes, notes/up -> ../../hello.txt
	[ "$(in_ns curl -sS "$URL/greeting")" = "$(cat "$TREE/hello.txt")" ] || fail "/greeting"
	[ "$(in_ns curl -sS "$URL/notes/up")" = "$(cat "$TREE/hello.txt")" ] || fail "/notes/up"
	[ "$(in_ns curl -sS "$URL/notes/deep.txt")" = "$(cat "$TREE/docs/notes/deep.txt")" ] || fail "/notes/deep.txt"
}

httpd_keepalive_many_files() {
	# One curl, many URLs: one connection, the stats before and after agree on it.
	local args=() f i=0
	args+=("$URL/_flint/stats" -o "$TMP/s1")
	while IFS= read -r f; do
		args+=("$URL$f" -o "$TMP/k$i")
		i=$((i + 1))
	done < <(cd "$TREE" && find . -type f | sed 's|^\.||' | LC_ALL=C sort)
	args+=("$URL/_flint/stats" -o "$TMP/s2")
	in_ns curl -sS --fail --max-time 120 "${args[@]}" 2>"$TMP/curl_err" || fail "curl: $(cat "$TMP/curl_err")"
	a1=$(awk '$1 == "connections_accepted" { print $2 }' "$TMP/s1")
	a2=$(awk '$1 == "connections_accepted" { print $2 }' "$TMP/s2")
	r1=$(awk '$1 == "requests" { print $2 }' "$TMP/s1")
	r2=$(awk '$1 == "requests" { print $2 }' "$TMP/s2")
	[ -n "$a1" ] && [ "$a1" = "$a2" ] || fail "connections accepted $a1 then $a2: not kept alive"
	[ "$r2" -eq $((r1 + i + 1)) ] || fail "requests $r1 then $r2 for $i files"
	i=0
	while IFS= read -r f; do
		cmp -s "$TMP/k$i" "$TREE$f" || fail "$f differs when fetched on a kept-alive connection"
		i=$((i + 1))
	done < <(cd "$TREE" && find . -type f | sed 's|^\.||' | LC_ALL=C sort)
	echo "  $i files on one connection" >&2
}

httpd_parallel_downloads() {
	# Four connections streaming the 4 MiB file at once: each keeps its own offset.
	local i want
	want=$(sha256sum <"$TREE/big.bin" | cut -d' ' -f1)
	for i in 1 2 3 4; do
		in_ns curl -sS --fail --max-time 120 "$URL/big.bin" -o "$TMP/p$i" &
	done
	wait
	for i in 1 2 3 4; do
		[ "$(sha256sum <"$TMP/p$i" | cut -d' ' -f1)" = "$want" ] || fail "parallel download $i differs"
	done
	in_ns curl -sS --fail "$URL/_flint/stats" | awk '$1 == "connections_open" && $2 != 1 { exit 1 }' ||
		fail "connections left open after the downloads"
}

httpd_head() {
	local f
	for f in /big.bin /hello.txt /docs/empty /README; do
		in_ns curl -sS -I --max-time 20 "$URL$f" >"$TMP/h" || fail "HEAD $f"
		tr -d '\r' <"$TMP/h" >"$TMP/hh"
		grep -qx "Content-Length: $(stat -c %s "$TREE$f")" "$TMP/hh" || fail "HEAD $f: $(cat "$TMP/hh")"
		in_ns curl -sS -D "$TMP/g" -o /dev/null --max-time 60 "$URL$f"
		[ "$(grep -i '^content-length' "$TMP/g")" = "$(grep -i '^content-length' "$TMP/h")" ] ||
			fail "GET and HEAD $f disagree on the length"
	done
	grep -qx "Content-Type: text/plain; charset=utf-8" <(in_ns curl -sS -I "$URL/hello.txt" | tr -d '\r') ||
		fail "hello.txt is not text/plain"
	grep -qx "Content-Type: application/octet-stream" <(in_ns curl -sS -I "$URL/big.bin" | tr -d '\r') ||
		fail "big.bin is not application/octet-stream"
	# HEAD then GET on one connection: no body was sent for the HEAD
	in_ns curl -sS --max-time 20 -I "$URL/hello.txt" --next "$URL/hello.txt" >"$TMP/hg" ||
		fail "HEAD then GET on one connection"
	tail -c "$(stat -c %s "$TREE/hello.txt")" "$TMP/hg" | cmp -s - "$TREE/hello.txt" || fail "HEAD+GET: $(cat "$TMP/hg")"
}

httpd_hostile_urls() {
	local u c
	for u in /../etc/passwd /%2e%2e/etc/passwd /docs/%2E%2e/%2e%2e/x /docs/.. /docs/../hello.txt \
		/hello.txt%00.html /docs%2fnotes /a%zz /a%4 /%2e%2e%2f%2e%2e%2fetc "/$(head -c 1100 /dev/zero | tr '\0' a)"; do
		c=$(code "$URL$u")
		[ "$c" = 400 ] || fail "$u: $c, want 400"
	done
	# the request line itself: no leading '/', an absolute URL, a control byte
	for raw in "GET hello.txt HTTP/1.1" "GET http://x/hello.txt HTTP/1.1" $'GET /hel\x01lo.txt HTTP/1.1'; do
		in_ns python3 - "$H" "$raw" >"$TMP/raw" <<'PY' || fail "raw request '$raw': $(cat "$TMP/raw")"
import socket, sys
s = socket.create_connection((sys.argv[1], 80), timeout=10)
s.sendall(sys.argv[2].encode() + b"\r\nHost: x\r\nConnection: close\r\n\r\n")
d = b""
while True:
    b = s.recv(4096)
    if not b: break
    d += b
print(d.split(b"\r\n")[0].decode())
sys.exit(d.split(b" ")[1] != b"400")
PY
	done
	[ "$(code "$URL/nope")" = 404 ] || fail "/nope is not 404"
	[ "$(code "$URL/hello.txt/x")" = 404 ] || fail "/hello.txt/x is not 404"
	[ "$(code -X DELETE "$URL/hello.txt")" = 405 ] || fail "DELETE is not 405"
	[ "$(code -X POST -d x "$URL/hello.txt")" = 405 ] || fail "POST to a file is not 405"
	# still serving after all of it
	[ "$(in_ns curl -sS "$URL/hello.txt")" = "$(cat "$TREE/hello.txt")" ] || fail "not serving after errors"
}

httpd_dirs() {
	[ "$(code "$URL/docs")" = 301 ] || fail "/docs is not 301"
	in_ns curl -sS -D "$TMP/d" -o /dev/null "$URL/docs?x=1"
	grep -qx "Location: /docs/" <(tr -d '\r' <"$TMP/d") || fail "/docs?x=1: $(cat "$TMP/d")"
	[ "$(code "$URL/notes")" = 301 ] || fail "/notes (a link to a dir) is not 301"
	in_ns curl -sS --fail "$URL/docs/" >"$TMP/list" || fail "GET /docs/"
	for n in 'href="list.txt"' 'href="empty"' 'href="notes/"' 'href="../"' '>list.txt<' 'Index of /docs/'; do
		grep -qF "$n" "$TMP/list" || fail "/docs/ listing lacks $n: $(cat "$TMP/list")"
	done
	in_ns curl -sS --fail "$URL/" >"$TMP/root" || fail "GET /"
	for n in README hello.txt greeting docs/ big.bin; do
		grep -qF ">$n<" "$TMP/root" || fail "/ listing lacks $n: $(cat "$TMP/root")"
	done
	! grep -qF 'href="../"' "$TMP/root" || fail "/ lists a parent"
	in_ns curl -sS -L --fail "$URL/notes" | grep -qF 'href="deep.txt"' || fail "following /notes' 301"
}

httpd_subfolder_root() {
	vm_start "root=initrd -- root=/docs/" -initrd "$CPIO"
	all_files_match "$TREE/docs" ""
	[ "$(code "$URL/hello.txt")" = 404 ] || fail "/hello.txt outside root=/docs is not 404"
	# notes/up -> ../../hello.txt leaves /docs: refused, never served
	[ "$(code "$URL/notes/up")" = 403 ] || fail "/notes/up (out of root) is not 403"
	[ "$(code "$URL/../hello.txt")" = 400 ] || fail "/../hello.txt is not 400"
	[ "$(code "$URL/%2e%2e/hello.txt")" = 400 ] || fail "/%2e%2e/hello.txt is not 400"
	in_ns curl -sS "$URL/" | grep -qF 'href="list.txt"' || fail "/ of root=/docs"
}

httpd_builtins_under_root() {
	in_ns curl -sS --fail "$URL/_flint/stats" | grep -q "^file_bytes " || fail "/_flint/stats"
	in_ns curl -sS --fail "$URL/_flint/" | grep -q "Hello from a Flint guest" || fail "/_flint/"
	[ "$(in_ns curl -sS "$URL/_flint/echo?n=1000" | wc -c)" = 1000 ] || fail "/_flint/echo?n=1000"
	grep -qx "sink: 5 bytes" <(in_ns curl -sS -d hello "$URL/_flint/sink") || fail "POST /_flint/sink"
	[ "$(code "$URL/stats")" = 404 ] || fail "/stats under root= is not 404"
	[ "$(code "$URL/_flint")" = 404 ] || fail "/_flint (no slash) is not 404"
}

# ---- example.ext4 on virtio-blk, root=/ ----

httpd_files_ext4() {
	# shellcheck disable=SC2046
	vm_start "root=/dev/vda -- root=/" $(DRIVE "$EXT4")
	all_files_match "$TREE" ""
	[ "$(in_ns curl -sS "$URL/notes/up")" = "$(cat "$TREE/hello.txt")" ] || fail "/notes/up on ext4"
	in_ns curl -sS --fail "$URL/docs/" | grep -qF 'href="notes/"' || fail "ext4 /docs/ listing"
}

# ---- a generated ext4: 64 MiB file, odd names, index.html, FIFO, unreadable file ----

httpd_big_ext4() {
	needs mke2fs
	local src=$TMP/big t0 t1 got want
	mkdir -p "$src/site/sub" "$src/odd"
	head -c $((64 << 20)) /dev/urandom >"$src/huge.bin"
	head -c 1000003 /dev/urandom >"$src/site/sub/odd-size.bin"
	echo '<h1>index</h1>' >"$src/site/index.html"
	echo '{"a": 1}' >"$src/site/data.json"
	echo 'body {}' >"$src/site/s.css"
	printf 'x' >"$src/odd/<b>&\"q'.txt"
	printf 'y' >"$src/odd/sp ace %41.txt"
	printf 'z' >"$src/odd/ü.txt"
	echo secret >"$src/private"
	chmod 600 "$src/private"
	mkfifo "$src/fifo"
	ln -s /private "$src/site/abs-private"
	ln -s ../huge.bin "$src/site/escape"
	ln -s sub/../data.json "$src/site/inside"
	truncate -s 96M "$TMP/big.img"
	mke2fs -q -F -t ext4 -d "$src" "$TMP/big.img"
	# shellcheck disable=SC2046
	vm_start "root=/dev/vda -- root=/" $(DRIVE "$TMP/big.img")
	t0=$(date +%s.%N)
	got=$(in_ns curl -sS --fail --max-time 500 "$URL/huge.bin" | sha256sum | cut -d' ' -f1)
	t1=$(date +%s.%N)
	want=$(sha256sum <"$src/huge.bin" | cut -d' ' -f1)
	[ "$got" = "$want" ] || fail "/huge.bin: sha256 $got, want $want"
	echo "  64 MiB file from ext4: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f MB/s", 67108864 / (b - a) / 1e6 }')" >&2
	all_files_match "$src/site" "/site"
	all_files_match "$src/odd" "/odd"
	[ "$(in_ns curl -sS "$URL/site/")" = "<h1>index</h1>" ] || fail "/site/ is not its index.html"
	grep -qx "Content-Type: text/html; charset=utf-8" <(in_ns curl -sSI "$URL/site/" | tr -d '\r') || fail "index type"
	grep -qx "Content-Type: application/json" <(in_ns curl -sSI "$URL/site/data.json" | tr -d '\r') || fail "json type"
	grep -qx "Content-Type: text/css" <(in_ns curl -sSI "$URL/site/s.css" | tr -d '\r') || fail "css type"
	in_ns curl -sS "$URL/odd/" >"$TMP/odd"
	grep -qF '>&lt;b&gt;&amp;&quot;q&#39;.txt<' "$TMP/odd" || fail "listing does not escape: $(cat "$TMP/odd")"
	grep -qF 'href="%3Cb%3E%26%22q%27.txt"' "$TMP/odd" || fail "listing href not escaped: $(cat "$TMP/odd")"
	grep -qF 'href="sp%20ace%20%2541.txt"' "$TMP/odd" || fail "listing href of 'sp ace %41.txt'"
	! grep -q '<b>' "$TMP/odd" || fail "a raw <b> in the listing"
	[ "$(code "$URL/private")" = 403 ] || fail "/private (0600) is not 403"
	[ "$(code "$URL/fifo")" = 403 ] || fail "/fifo is not 403"
	[ "$(code "$URL/site/abs-private")" = 403 ] || fail "/site/abs-private is not 403"
	# served from a sub-folder, links out of it are refused, links within followed
	# shellcheck disable=SC2046
	vm_start "root=/dev/vda -- root=/site" $(DRIVE "$TMP/big.img")
	[ "$(code "$URL/escape")" = 403 ] || fail "root=/site: /escape (-> ../huge.bin) is not 403"
	[ "$(code "$URL/abs-private")" = 403 ] || fail "root=/site: /abs-private is not 403"
	[ "$(in_ns curl -sS "$URL/inside")" = '{"a": 1}' ] || fail "root=/site: /inside"
	[ "$(in_ns curl -sS "$URL/")" = "<h1>index</h1>" ] || fail "root=/site: / is not its index.html"
}

# boot_fails APPEND QEMU-ARGS PATTERN: httpd stops with status 2 saying PATTERN.
boot_fails() {
	local out st
	vm_stop
	# shellcheck disable=SC2086
	out=$(in_ns timeout 30 qemu-system-x86_64 -M microvm,acpi=off $ACCEL -m 64M -nodefaults \
		-no-user-config -display none -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-global virtio-mmio.force-legacy=false $2 -kernel build/guest/httpd.elf \
		-append "$TSC ip=$H::10.0.3.1:255.255.255.0::eth0:off $1" 2>&1) && st=0 || st=$?
	[ "$st" -eq 5 ] || fail "'$1': QEMU status $st, want 5 (guest status 2); output: $out"
	printf '%s\n' "$out" | grep -q -- "$3" || fail "'$1' does not say '$3': $out"
}

httpd_bad_root() {
	boot_fails "-- root=/missing" "-initrd $CPIO" "httpd: root=/missing: No such file or directory"
	boot_fails "-- root=/hello.txt" "-initrd $CPIO" "httpd: root=/hello.txt: Not a directory"
	boot_fails "-- root=docs" "-initrd $CPIO" "httpd: bad root=docs"
	boot_fails "-- root=/docs/../.." "-initrd $CPIO" "httpd: bad root=/docs/../.."
	boot_fails "-- root=/" "" "httpd: root=/: "
}

# ---- through flint: [net] + [kernel] initrd ----

httpd_files_flint() {
	needs kvm
	local cfg=$TMP/httpd.ini
	printf '[machine]\nmemory = 64M\n[kernel]\npath = %s\ninitrd = %s\ncmdline = root=initrd -- root=/\n[net.eth0]\ntap = %s\nip = %s/24\ngateway = 10.0.3.1\n' \
		"$PWD/build/guest/httpd.elf" "$PWD/$CPIO" "$TAP" "$H" >"$cfg"
	vm_stop
	# Not through in_ns (a function: $! would be a subshell, and killing it
	# would leave flint running): ip execs timeout, which passes SIGTERM on.
	ip netns exec "$NS" timeout 300 "$FLINT" run "$cfg" >"$TMP/flint.out" 2>"$TMP/flint.err" &
	echo $! >"$TMP/flint.pid"
	await 60 grep -q listening "$TMP/flint.out" || fail "flint: $(cat "$TMP/flint.out" "$TMP/flint.err")"
	all_files_match "$TREE" ""
	[ "$(code "$URL/%2e%2e/etc/passwd")" = 400 ] || fail "%2e%2e through flint"
	kill "$(cat "$TMP/flint.pid")"; wait "$(cat "$TMP/flint.pid")" 2>/dev/null || true; rm -f "$TMP/flint.pid"
}

t httpd_files_initrd
t httpd_keepalive_many_files
t httpd_parallel_downloads
t httpd_head
t httpd_hostile_urls
t httpd_dirs
t httpd_builtins_under_root
t httpd_subfolder_root
t httpd_files_ext4
t httpd_big_ext4
t httpd_bad_root
t httpd_files_flint
exit $((failures > 0))
