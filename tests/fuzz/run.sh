#!/bin/sh
# Builds the fuzzers (clang libFuzzer + ASan/UBSan) into build/fuzz/ and runs
# each for a bounded time: FUZZ_TIME seconds (default 30) per target.
#   fuzz_virtq   the virtqueue parser and the virtio-blk request path
#   fuzz_config  the configuration parser (config_load)
#   fuzz_pvh     the PVH kernel loader (pvh_load)
#   fuzz_net     the virtio-net RX and TX queues over a datagram "tap"
#   fuzz_vconsole the virtio-console RX and TX queues over pipes
#   fuzz_devstate  the device-state loaders (UART, virtio-mmio with blk
#                and net, named module records) a snapshot restore runs
#   fuzz_snapshot the snapshot file reader (snap_read, snap_check, mapping)
#   fuzz_cgi     flint serve's CGI response parser (a function's output)
#   fuzz_spawn_msg flint serve's spawner messages (a compromised supervisor's)
#   fuzz_vm_msgs a VM's ready-socket messages and stderr lines (flint serve)
#   fuzz_vcpu_state the vCPU and VM record loaders (vcpu_state_load, vm_state_load)
#   fuzz_oci_spec flint-oci's config.json parser (spec_parse)
# FUZZ_TARGETS picks some ("fuzz_config fuzz_pvh").  New inputs accumulate
# in build/fuzz/corpus-TARGET; a crash leaves build/fuzz/TARGET-crash-* and
# makes this script fail.  Replay one with
#     build/fuzz/fuzz_virtq build/fuzz/fuzz_virtq-crash-...
set -eu
cd "$(dirname "$0")/../.."

out=build/fuzz
cc=${CLANG:-clang}
# The monitor's folders, as the Makefile's SRC_DIRS.
dirs="hw virtio seccomp vmm/spec vmm/machine vmm/machine/boot vmm/machine/devices vmm/machine/snapshot vmm/control vmm/cli"
flags="-std=c11 -D_GNU_SOURCE -Iinclude $(for d in $dirs; do printf -- '-I%s ' "$d"; done)-g -O1 -Wall -Wextra -Werror"
fuzz="-fsanitize=fuzzer,address,undefined,float-cast-overflow -fno-sanitize-recover=all"
targets=${FUZZ_TARGETS:-fuzz_virtq fuzz_config fuzz_pvh fuzz_net fuzz_vconsole fuzz_devstate fuzz_snapshot fuzz_vcpu_state fuzz_oci_spec fuzz_cgi fuzz_spawn_msg fuzz_vm_msgs}
mkdir -p "$out"

for t in $targets; do
	mkdir -p "$out/corpus-$t" "$out/seeds-$t"
	case $t in
	fuzz_virtq)
		$cc $flags $fuzz -o "$out/$t" tests/fuzz/fuzz_virtq.c virtio/queue.c virtio/blk.c
		$cc $flags -o "$out/make_seeds" tests/fuzz/make_seeds.c
		"$out/make_seeds" "$out/seeds-$t"
		max_len=8192 ;;
	fuzz_config)
		# config.c (the INI front end of spec.c) names the sandbox's modes and namespaces: it links jail.c and filter.c's parsers.
		$cc $flags $fuzz -o "$out/$t" tests/fuzz/fuzz_config.c vmm/spec/config.c vmm/spec/spec.c vmm/spec/serve_config.c seccomp/jail.c \
			seccomp/filter.c seccomp/compile.c seccomp/policy.c build/gen/seccomp_filters.c -linih -lseccomp
		cp config.ini.example "$out/seeds-$t/example.ini"
		printf '[machine]\nmemory = 64M\nvcpus = 2\n[kernel]\npath = k.elf\ncmdline = -- a\n  b\n[drive.root]\npath = r.img\nreadonly = true\n[sandbox]\nseccomp = trap\nnamespaces = mount,ipc\n\0drive.x.path=x.img\0machine.memory=1G' \
			>"$out/seeds-$t/full.ini"
		max_len=4096 ;;
	fuzz_pvh)
		$cc $flags $fuzz -o "$out/$t" tests/fuzz/fuzz_pvh.c vmm/machine/boot/loader_pvh.c
		# The real guests, stripped (smaller inputs fuzz faster), when built.
		for elf in build/guest/hello.elf build/guest/blkcheck.elf; do
			[ -f "$elf" ] && objcopy --strip-all "$elf" "$out/seeds-$t/$(basename "$elf")" 2>/dev/null ||
				true
		done
		max_len=65536 ;;
	fuzz_net)
		$cc $flags $fuzz -o "$out/$t" tests/fuzz/fuzz_net.c virtio/queue.c virtio/net.c
		$cc $flags -o "$out/make_net_seeds" tests/fuzz/make_net_seeds.c
		"$out/make_net_seeds" "$out/seeds-$t"
		max_len=32768 ;;
	fuzz_cgi)
		$cc $flags -Iserve $fuzz -o "$out/$t" tests/fuzz/fuzz_cgi.c serve/cgi.c
		printf 'Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nbody' >"$out/seeds-$t/status"
		printf 'X: y\n\n' >"$out/seeds-$t/lf"
		max_len=16384 ;;
	fuzz_spawn_msg)
		$cc $flags -Iserve $fuzz -o "$out/$t" tests/fuzz/fuzz_spawn_msg.c serve/spawn_msg.c
		# A valid request: flags 0, 16 data bytes, SCM_RIGHTS with 4 descriptors.
		printf '\000\020\000PSlf\000\000\000\000\007\000\000\000\000\000\000\000\040\000\000\000\000\000\000\000\001\000\000\000\001\000\000\000\005\000\000\000\006\000\000\000\007\000\000\000\010\000\000\000' \
			>"$out/seeds-$t/request"
		max_len=512 ;;
	fuzz_vm_msgs)
		$cc $flags -Iserve $fuzz -o "$out/$t" tests/fuzz/fuzz_vm_msgs.c serve/vm_msgs.c
		printf 'R\153\167\007\264\265\303\233\163E\003hello\n\033[2J\n' >"$out/seeds-$t/ready"
		max_len=4096 ;;
	fuzz_vconsole)
		$cc $flags $fuzz -o "$out/$t" tests/fuzz/fuzz_vconsole.c virtio/queue.c virtio/console.c
		$cc $flags -o "$out/make_vconsole_seeds" tests/fuzz/make_vconsole_seeds.c
		"$out/make_vconsole_seeds" "$out/seeds-$t"
		max_len=32768 ;;
	fuzz_devstate)
		src="hw/state.c vmm/machine/snapshot/device_state.c hw/uart.c virtio/mmio.c virtio/mmio_state.c virtio/queue.c
			virtio/blk.c virtio/blk_state.c virtio/net.c virtio/net_state.c"
		$cc $flags $fuzz -o "$out/$t" tests/fuzz/fuzz_devstate.c $src
		$cc $flags -o "$out/make_devstate_seeds" tests/fuzz/make_devstate_seeds.c $src
		"$out/make_devstate_seeds" "$out/seeds-$t"
		max_len=70000 ;;
	fuzz_snapshot)
		$cc $flags $fuzz -o "$out/$t" tests/fuzz/fuzz_snapshot.c vmm/machine/snapshot/snapshot_file.c hw/state.c -lz
		$cc $flags -o "$out/make_snap_seeds" tests/fuzz/make_snap_seeds.c vmm/machine/snapshot/snapshot_file.c hw/state.c -lz
		"$out/make_snap_seeds" "$out/seeds-$t"
		max_len=65536 ;;
	fuzz_vcpu_state)
		$cc $flags $fuzz -o "$out/$t" tests/fuzz/fuzz_vcpu_state.c vmm/machine/snapshot/vcpu_state.c hw/state.c
		$cc $flags -o "$out/make_vcpu_state_seeds" tests/fuzz/make_vcpu_state_seeds.c hw/state.c
		"$out/make_vcpu_state_seeds" "$out/seeds-$t"
		max_len=16384 ;;
	fuzz_oci_spec)
		$cc -Ioci $flags $fuzz -o "$out/$t" tests/fuzz/fuzz_oci_spec.c oci/bundle.c -ljansson
		cp tests/oci/*.json "$out/seeds-$t/"
		max_len=16384 ;;
	*)
		echo "run.sh: unknown fuzz target $t" >&2
		exit 2 ;;
	esac
	"$out/$t" -max_total_time="${FUZZ_TIME:-30}" -max_len=$max_len -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$out/$t-" "$out/corpus-$t" "$out/seeds-$t"
done
