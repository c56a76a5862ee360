#!/usr/bin/env bash
# flint-oci under Podman (Debian's podman, conmon, runc; SKIP without
# them): run --rm with the guest's status, ps -a's exit code, stop, kill,
# pause/unpause, -p 18080:80 to the httpd guest (netavark).  Images come
# from --rootfs alone (no registry here).  --ulimit as runc would need it
# here (README): flint-oci ignores rlimits, the bundle stays runc's.
. "$(dirname "$0")/lib.sh"
OCI=$PWD/build/flint-oci
P() { podman --runtime "$OCI" "$@"; }
RUNOPTS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none --rootfs)
NAMES=()
trap 'for n in "${NAMES[@]}"; do podman rm -f "$n" >/dev/null 2>&1; done; rm -rf "$TMP"' EXIT

rootfs() { mkdir -p "$TMP/rootfs" && cp build/guest/hello.elf build/guest/sleep.elf "$TMP/rootfs/"; }
name() { NAME=flint-oci-test-$$-$1; NAMES+=("$NAME"); podman rm -f "$NAME" >/dev/null 2>&1 || true; }
state_is() { [ "$(podman inspect --format '{{.State.Status}}' "$1")" = "$2" ]; }

test_run_rm() {
	needs kvm root varlib podman conmon
	rootfs
	run podman --runtime "$OCI" run --rm "${RUNOPTS[@]}" "$TMP/rootfs" /hello.elf 7 "two words"
	expect_rc 7
	expect_out "Hello from Flint"
	expect_out "argv[2] = two words"
}

test_ps_exit_code() {
	needs kvm root varlib podman conmon
	rootfs; name ps
	P run -d --name "$NAME" "${RUNOPTS[@]}" "$TMP/rootfs" /hello.elf 42 >/dev/null
	await 60 state_is "$NAME" exited || fail "never exited: $(podman inspect --format '{{.State.Status}}' "$NAME")"
	[ "$(podman inspect --format '{{.State.ExitCode}}' "$NAME")" = 42 ] || fail "exit code"
	podman ps -a --filter "name=$NAME" --format '{{.Status}}' | grep -q '^Exited (42)' ||
		fail "ps -a: $(podman ps -a --filter "name=$NAME" --format '{{.Status}}')"
	podman logs "$NAME" | grep -q 'Hello from Flint' || fail "logs: $(podman logs "$NAME" 2>&1)"
}

test_stop_kill_pause() {
	needs kvm root varlib podman conmon
	rootfs; name stop
	P run -d --name "$NAME" "${RUNOPTS[@]}" "$TMP/rootfs" /sleep.elf 600000 >/dev/null
	await 60 sh -c "podman logs $NAME | grep -q sleeping" || fail "guest did not start"
	podman pause "$NAME" >/dev/null
	state_is "$NAME" paused || fail "pause: $(podman inspect --format '{{.State.Status}}' "$NAME")"
	podman unpause "$NAME" >/dev/null
	state_is "$NAME" running || fail "unpause"
	# SIGTERM: flint stops the VM and exits 130
	podman stop -t 30 "$NAME" >/dev/null
	[ "$(podman inspect --format '{{.State.ExitCode}}' "$NAME")" = 130 ] ||
		fail "stop: exit code $(podman inspect --format '{{.State.ExitCode}}' "$NAME")"
	name kill
	P run -d --name "$NAME" "${RUNOPTS[@]}" "$TMP/rootfs" /sleep.elf 600000 >/dev/null
	podman kill "$NAME" >/dev/null
	await 60 state_is "$NAME" exited || fail "kill did not stop it"
	[ "$(podman inspect --format '{{.State.ExitCode}}' "$NAME")" = 137 ] ||
		fail "kill: exit code $(podman inspect --format '{{.State.ExitCode}}' "$NAME")"
}

test_port_forward() {
	needs kvm root varlib podman conmon curl
	rootfs; cp build/guest/httpd.elf "$TMP/rootfs/"; name http
	[ -x /usr/lib/podman/netavark ] || { echo "needs netavark" >"$SKIP_FILE"; exit 77; }
	printf '[network]\nnetwork_backend = "netavark"\n' >"$TMP/containers.conf"
	CONTAINERS_CONF=$TMP/containers.conf P run -d --name "$NAME" --ulimit nofile=1024:1024 -p 18080:80 \
		--rootfs "$TMP/rootfs" /httpd.elf >/dev/null
	await 60 sh -c "podman logs $NAME | grep -q listening" || fail "httpd did not start: $(podman logs "$NAME" 2>&1)"
	curl -s -m 10 http://127.0.0.1:18080/ | grep -q 'Hello from a Flint guest' || fail "no answer through -p"
	podman rm -f "$NAME" >/dev/null
}

test_linux_image_refused() {
	needs root varlib podman conmon
	mkdir -p "$TMP/linux"
	printf 'int main(void) { return 0; }\n' >"$TMP/true.c"
	printf '#include <unistd.h>\nint main(void) { pause(); return 0; }\n' >"$TMP/sleep.c"
	gcc -static -o "$TMP/linux/true" "$TMP/true.c" && gcc -static -o "$TMP/linux/sleep" "$TMP/sleep.c"
	run podman --runtime "$OCI" run --rm "${RUNOPTS[@]}" "$TMP/linux" /true
	[ "$rc" -ne 0 ] || fail "a Linux program ran"
	expect_err 'not a Flint guest'
	# the explicit opt-in hands it to runc, for every command
	run podman --runtime "$OCI" run --rm --annotation org.flint.runc=true "${RUNOPTS[@]}" "$TMP/linux" /true
	expect_rc 0
	name runc
	P run -d --name "$NAME" --annotation org.flint.runc=true "${RUNOPTS[@]}" "$TMP/linux" /sleep 600 >/dev/null
	state_is "$NAME" running || fail "runc container not running"
	podman stop -t 1 "$NAME" >/dev/null 2>&1 # PID 1 ignores SIGTERM: killed
	state_is "$NAME" exited || fail "runc container not stopped"
	podman rm "$NAME" >/dev/null
}

t test_run_rm
t test_ps_exit_code
t test_stop_kill_pause
t test_port_forward
t test_linux_image_refused
exit $((failures > 0))
