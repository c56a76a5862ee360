#!/usr/bin/env bash
# flint-oci without Podman: create/start/state/kill/delete/pause/resume on
# bundles made from the guest apps, runc's wording for wrong ids and
# states, a console socket, hooks, racing creates, and hostile config.json
# files (each refused naming config.json and the field, leaving no state).
. "$(dirname "$0")/lib.sh"
OCI=$PWD/build/flint-oci
ROOT=$TMP/state
R() { "$OCI" --root "$ROOT" "$@"; }
trap 'for d in "$ROOT"/*/; do [ -d "$d" ] && R delete --force "$(basename "$d")"; done 2>/dev/null; rm -rf "$TMP"' EXIT

# bundle NAME APP [JSON for process.args...] [-- extra top-level JSON members]: $TMP/NAME
bundle() {
	local b=$TMP/$1 app=$2 args="" extra=""
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do args+="${args:+,}\"$1\""; shift; done
	[ "${1:-}" = -- ] && { shift; extra=",$*"; }
	rm -rf "$b" && mkdir -p "$b/rootfs"
	cp "build/guest/$app.elf" "$b/rootfs/"
	printf '{"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"cwd":"/","args":["/%s.elf"%s],"env":["HOME=/root","GREETING=two words","my-var.x=dotted"]}%s}\n' \
		"$app" "${args:+,$args}" "$extra" >"$b/config.json"
}
status_of() { R state "$1" | sed -n 's/.*"status": "\([a-z]*\)".*/\1/p'; }
is_status() { [ "$(status_of "$1")" = "$2" ]; }
# alive PID: running, not a zombie its parent has yet to reap
alive() { [ -r "/proc/$1/stat" ] && ! sed 's/.*) //' "/proc/$1/stat" | grep -q '^[ZX]'; }
refused() { [ "$rc" -ne 0 ] || fail "succeeded, expected: $1"; expect_err "$1"; }

test_lifecycle() {
	needs kvm
	bundle b hello 7 "two words"
	R create --bundle "$TMP/b" --pid-file "$TMP/pid" c1 >"$TMP/vm.out" 2>"$ERR" || fail "create: $(cat "$ERR")"
	is_status c1 created || fail "after create: $(R state c1)"
	R state c1 | grep -q "\"pid\": $(cat "$TMP/pid")," || fail "pid file $(cat "$TMP/pid") is not the state's pid"
	R state c1 | grep -q "\"bundle\": \"$TMP/b\"" || fail "no bundle in $(R state c1)"
	[ ! -s "$TMP/vm.out" ] || fail "the guest ran before start: $(cat "$TMP/vm.out")"
	R ps --format json c1 | grep -q "^\[$(cat "$TMP/pid")\]$" || fail "ps: $(R ps --format json c1)"
	R start c1
	await 30 is_status c1 stopped || fail "never stopped: $(R state c1)"
	grep -q '^argv\[1\] = 7$' "$TMP/vm.out" && grep -q '^argv\[2\] = two words$' "$TMP/vm.out" ||
		fail "guest output: $(cat "$TMP/vm.out")"
	[ "$(R ps --format json c1)" = "[]" ]
	run "$OCI" --root "$ROOT" start c1; refused "cannot start a container that has stopped"
	R delete c1
	run "$OCI" --root "$ROOT" state c1; refused "container does not exist"
	[ ! -e "$ROOT/c1" ] || fail "state left behind"
	# the id is free again
	R create --bundle "$TMP/b" c1 >/dev/null
	R delete --force c1
}

test_environment() {
	needs kvm
	# A container's names need not be C identifiers (only kernel parameters' must).
	bundle b printenv GREETING HOME my-var.x
	R create --bundle "$TMP/b" e1 >"$TMP/vm.out" 2>"$ERR" || fail "create: $(cat "$ERR")"
	R start e1
	await 30 is_status e1 stopped || fail "never stopped"
	[ "$(cat "$TMP/vm.out")" = "$(printf 'two words\n/root\ndotted')" ] || fail "env: $(cat "$TMP/vm.out")"
	R delete e1
}

test_kill_and_delete() {
	needs kvm
	bundle b sleep 60000
	R create --bundle "$TMP/b" k1 >"$TMP/vm.out" 2>"$ERR" || fail "create: $(cat "$ERR")"
	R start k1
	await 30 grep -q sleeping "$TMP/vm.out" || fail "guest did not start"
	is_status k1 running
	run "$OCI" --root "$ROOT" create --bundle "$TMP/b" k1; refused "container with given ID already exists"
	run "$OCI" --root "$ROOT" start k1; refused "cannot start an already running container"
	run "$OCI" --root "$ROOT" delete k1; refused "cannot delete container k1 that is not stopped: running"
	R pause k1
	is_status k1 paused || fail "pause: $(R state k1)"
	run "$OCI" --root "$ROOT" pause k1; refused "container not running"
	R resume k1
	is_status k1 running || fail "resume: $(R state k1)"
	R kill k1 KILL
	await 30 is_status k1 stopped || fail "SIGKILL did not stop it"
	run "$OCI" --root "$ROOT" kill k1 TERM; refused "container not running"
	R delete k1
	# delete --force of a running one; of one that does not exist
	R create --bundle "$TMP/b" k2 >/dev/null 2>&1
	R start k2
	R delete --force k2
	[ ! -e "$ROOT/k2" ] || fail "delete --force left state"
	R delete --force k2
	run "$OCI" --root "$ROOT" kill nosuch 9; refused "container does not exist"
	run "$OCI" --root "$ROOT" kill k2 SIGNOPE; expect_rc 2; expect_err 'unknown signal "SIGNOPE"'
}

test_sigterm_and_created_delete() {
	needs kvm
	bundle b sleep 60000
	R create --bundle "$TMP/b" --pid-file "$TMP/pid" t1 >"$TMP/vm.out" 2>&1
	# a created container is not stopped: delete needs --force (the runtime spec; runc differs)
	run "$OCI" --root "$ROOT" delete t1
	refused "cannot delete container t1 that is not stopped: created"
	R delete --force t1
	[ ! -e "$ROOT/t1" ] || fail "state left"
	! alive "$(cat "$TMP/pid")" || fail "the VM survived delete"
	R create --bundle "$TMP/b" t1 >"$TMP/vm.out" 2>&1
	R start t1
	await 30 grep -q sleeping "$TMP/vm.out"
	R kill t1 SIGTERM
	await 30 is_status t1 stopped
	R delete t1
}

test_console_socket() {
	needs kvm
	bundle b hello 3 -- '"x":0'
	sed -i 's/"cwd"/"terminal":true,"cwd"/' "$TMP/b/config.json"
	run "$OCI" --root "$ROOT" create --bundle "$TMP/b" p1
	refused "cannot allocate tty if runc will detach without setting console socket"
	timeout 60 python3 - "$TMP/console.sock" >"$TMP/console.out" 2>&1 <<'PY' &
import array, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 64, 1)
out = b""
while b"argv[1] = 3" not in out:
    try:
        b = os.read(fds[0], 4096)
    except OSError:
        break
    if not b:
        break
    out += b
sys.stdout.write(out.decode(errors="replace"))
PY
	local py=$!
	await 10 test -S "$TMP/console.sock"
	R create --bundle "$TMP/b" --console-socket "$TMP/console.sock" p1 || fail "create with a console"
	R start p1
	wait $py
	grep -q 'Hello from Flint' "$TMP/console.out" || fail "console: $(cat "$TMP/console.out")"
	await 30 is_status p1 stopped
	R delete p1
}

test_hooks() {
	needs kvm
	local h=$TMP/hook.sh
	printf '#!/bin/sh\ncat >>"%s/hooks.log"; echo " $1" >>"%s/hooks.log"\n' "$TMP" "$TMP" >"$h"
	chmod +x "$h"
	bundle b hello 0 -- "\"hooks\":{\"prestart\":[{\"path\":\"$h\",\"args\":[\"hook\",\"prestart\"]}],\"createRuntime\":[{\"path\":\"$h\",\"args\":[\"hook\",\"createRuntime\"]}],\"poststart\":[{\"path\":\"$h\",\"args\":[\"hook\",\"poststart\"]}],\"poststop\":[{\"path\":\"$h\",\"args\":[\"hook\",\"poststop\"]}]}"
	R create --bundle "$TMP/b" h1 >/dev/null
	R start h1 >/dev/null
	await 30 is_status h1 stopped
	R delete h1
	for k in prestart createRuntime poststart poststop; do
		grep -q "\"id\":\"h1\".* $k\$" "$TMP/hooks.log" || fail "no $k hook with the state: $(cat "$TMP/hooks.log")"
	done
	# a failing prestart hook fails create and leaves nothing
	bundle b hello -- '"hooks":{"prestart":[{"path":"/bin/false"}]}'
	run "$OCI" --root "$ROOT" create --bundle "$TMP/b" h2
	refused "hook /bin/false: exited with status 1"
	[ ! -e "$ROOT/h2" ] || fail "state left"
}

test_racing_creates() {
	needs kvm
	bundle b sleep 60000
	local i ok=0
	for i in 1 2 3 4; do R create --bundle "$TMP/b" race >/dev/null 2>"$TMP/race$i.err" & done
	for i in 1 2 3 4; do wait -n && ok=$((ok + 1)) || true; done
	[ $ok -eq 1 ] || fail "$ok of 4 racing creates succeeded"
	[ "$(grep -l 'container with given ID already exists' "$TMP"/race*.err | wc -l)" -eq 3 ]
	R delete --force race
}

test_refused_commands() {
	for c in exec update checkpoint; do
		run "$OCI" --root "$ROOT" $c x; refused "$c is not supported by flint-oci"
	done
	run "$OCI" --root "$ROOT" state 'bad/id'; refused "invalid id format"
	run "$OCI" --root "$ROOT" --version; expect_rc 0; expect_out "flint-oci version"
	run "$OCI" --root "$ROOT" features; expect_rc 0; python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$OUT"
}

# hostile NAME EXPECTED-STDERR: create of $TMP/b fails, says so, leaves no state
hostile() {
	run "$OCI" --root "$ROOT" create --bundle "$TMP/b" "$1"
	[ "$rc" -ne 0 ] || fail "$1: create succeeded"
	expect_err "$2"
	[ ! -e "$ROOT/$1" ] || fail "$1: state left behind"
}
test_hostile_configs() {
	bundle b hello
	echo '{"ociVersion": "1.0.2", "root": ' >"$TMP/b/config.json"; hostile badjson "config.json: line 2: not valid JSON"
	echo '[]' >"$TMP/b/config.json"; hostile array "config.json: not a JSON object"
	echo '{"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":"x"}}' >"$TMP/b/config.json"
	hostile args "config.json: process.args: not an array of strings"
	echo '{"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":["/hello.elf",7]}}' >"$TMP/b/config.json"
	hostile args1 "config.json: process.args[1]: not a string"
	echo '{"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":["/hello.elf\u0000x"]}}' >"$TMP/b/config.json"
	hostile nul "config.json: line 1: not valid JSON"
	echo '{"ociVersion":"1.0.2","ociVersion":"1.0.2"}' >"$TMP/b/config.json"; hostile dup "duplicate object key"
	bundle b hello -- '"windows":{}'; hostile windows "config.json: windows: not supported by Flint"
	bundle b hello; sed -i 's|"cwd":"/"|"cwd":"/srv"|' "$TMP/b/config.json"; hostile cwd 'config.json: process.cwd'
	bundle b hello; sed -i 's|"HOME=/root"|"NOEQUALS"|' "$TMP/b/config.json"; hostile env 'config.json: process.env[0] = "NOEQUALS": not NAME=VALUE'
	bundle b hello -- '"mounts":[{"destination":"/data","type":"bind","source":"/etc"}]'
	hostile volume 'config.json: mounts[0]: bind mount of "/data"'
	bundle b hello -- '"annotations":{"org.flint.memory":"1G\n[sandbox]\nseccomp=off"}'
	hostile inject 'config.json: annotations["org.flint.memory"]'
	bundle b hello -- '"annotations":{"org.flint.bogus":"1"}'; hostile ann 'unknown Flint annotation'
	bundle b hello -- '"linux":{"resources":{"memory":{"limit":1000}}}'
	hostile tiny 'config.json: linux.resources.memory.limit: 1000 bytes, less than'
	bundle b hello; sed -i 's|/hello.elf|/../../../../bin/true|' "$TMP/b/config.json"
	hostile escape 'config.json: process.args[0] "/../../../../bin/true": No such file or directory in root.path'
	bundle b hello; ln -s /bin/true "$TMP/b/rootfs/link"; sed -i 's|/hello.elf|/link|' "$TMP/b/config.json"
	hostile symlink 'config.json: process.args[0] "/link": No such file or directory in root.path'
	bundle b hello; cp /bin/true "$TMP/b/rootfs/pause"; sed -i 's|/hello.elf|/pause|' "$TMP/b/config.json"
	hostile linux 'config.json: process.args[0] "/pause": not a Flint guest'
	bundle b hello; printf '{"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":["/hello.elf","%s"]}}' \
		"$(head -c 1100000 /dev/zero | tr '\0' a)" >"$TMP/b/config.json"
	hostile huge 'config.json: process.args and process.env'
	# a value only flint's own INI checks refuse: the same message a user's file gets
	needs kvm
	bundle b hello -- '"annotations":{"org.flint.memory":"5G"}'
	hostile bigmem 'flint.ini:3: [machine] memory'
	hostile bigmem 'the VM process exited with status 2 before it was ready'
}

test_podman_bundle() {
	needs kvm
	# the config.json Podman 4.3 writes (namespaces, mounts, seccomp, rlimits...): accepted
	mkdir -p "$TMP/pb/rootfs" && cp build/guest/hello.elf "$TMP/pb/rootfs/"
	# its network namespace without a path: a new, empty one, so no NIC
	sed 's|"path": "/run/netns/[^"]*", *||' tests/oci/podman.json >"$TMP/pb/config.json"
	R create --bundle "$TMP/pb" pod1 >"$TMP/vm.out" 2>"$ERR" || fail "create: $(cat "$ERR")"
	R start pod1
	await 30 is_status pod1 stopped
	grep -q 'Hello from Flint' "$TMP/vm.out" || fail "output: $(cat "$TMP/vm.out")"
	R delete pod1
}

test_network() {
	needs kvm netns curl
	local ns=flint-oci-$$
	ip netns add $ns
	ip link add fo$$ type veth peer name eth0 netns $ns
	ip addr add 10.98.0.1/24 dev fo$$ && ip link set fo$$ up
	ip -n $ns addr add 10.98.0.2/24 dev eth0 && ip -n $ns link set eth0 up
	ip -n $ns route add default via 10.98.0.1
	bundle b httpd -- "\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"/run/netns/$ns\"}]}"
	R create --bundle "$TMP/b" n1 >"$TMP/vm.out" 2>"$ERR" || fail "create: $(cat "$ERR")"
	grep -q "^mac = $(ip netns exec $ns cat /sys/class/net/eth0/address)\$" "$ROOT/n1/flint.ini" ||
		fail "the guest does not take eth0's MAC: $(cat "$ROOT/n1/flint.ini")"
	R start n1
	await 30 grep -q 'listening' "$TMP/vm.out" || fail "httpd did not start: $(cat "$TMP/vm.out")"
	curl -s -m 10 http://10.98.0.2/ | grep -q 'Hello from a Flint guest' || fail "no answer from the guest"
	R delete --force n1
	[ -z "$(ip -n $ns link show flint-eth0 2>/dev/null)" ] || fail "tap left behind"
	ip netns exec $ns tc qdisc show dev eth0 | grep -qv ingress || fail "ingress qdisc left behind"
	# a namespace without eth0 (podman --network none): no NIC
	ip -n $ns link del eth0
	R create --bundle "$TMP/b" n2 >/dev/null
	! grep -q 'net\.' "$ROOT/n2/flint.ini" || fail "a NIC without eth0"
	R delete --force n2
	# a namespace that does not exist: refused
	bundle b hello -- '"linux":{"namespaces":[{"type":"network","path":"/run/netns/nonexistent-flint"}]}'
	run "$OCI" --root "$ROOT" create --bundle "$TMP/b" n3
	refused "network namespace /run/netns/nonexistent-flint: No such file or directory"
}

t test_lifecycle
t test_environment
t test_kill_and_delete
t test_sigterm_and_created_delete
t test_console_socket
t test_hooks
t test_racing_creates
t test_refused_commands
t test_hostile_configs
t test_podman_bundle
t test_network
ip netns del flint-oci-$$ 2>/dev/null; ip link del fo$$ 2>/dev/null
exit $((failures > 0))
