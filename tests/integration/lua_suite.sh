#!/usr/bin/env bash
# Lua 5.4.4's own test suite (lua-5.4.4-tests: upstream's testes/) inside
# the guest, one lua.elf boot per file, in the suite's portable mode
# (_port, _soft: what it says needs no platform extras and no hours).  The
# suite is not in Debian and CI reaches only Debian's archive, so it is
# never fetched by the build nor committed: put it in build/hosted/lua-tests
# (e.g. `git -C LUA-CLONE archive v5.4.4 testes | tar -x -C build/hosted/lua-tests
# --strip-components=1`) or point LUA_TESTS at it; without it this prints SKIP.
# Excluded, as the guest excludes what they need (guest-kernel/README.md, "Lua"):
#   files.lua  writes and removes files, io.popen, os.getenv("PATH")
#   all.lua    the driver that runs every file, files.lua included
source "$(dirname "$0")/lib.sh"
SUITE=${LUA_TESTS:-build/hosted/lua-tests}
EXCLUDED="files.lua all.lua"

every_portable_file_passes() {
	if [ ! -f "$SUITE/strings.lua" ]; then
		echo "Lua's test suite (lua-5.4.4-tests) is not in Debian, CI fetches only from Debian's archive; none in $SUITE" >"$SKIP_FILE"
		exit 77
	fi
	needs kvm
	rootfs/mkimage --format cpio "$SUITE" "$TMP/suite.cpio" >/dev/null
	local f bad=0 ran=0
	for f in $(cd "$SUITE" && ls ./*.lua | sed 's|^\./||'); do
		case " $EXCLUDED " in *" $f "*) echo "  skipped $f (excluded: see the header)"; continue ;; esac
		run "$FLINT" run "$(ini lua "initrd = $TMP/suite.cpio" \
			"cmdline = -- -e _port=true _soft=true dofile(\"/$f\")")" --set machine.memory=512M
		ran=$((ran + 1))
		if [ "$rc" -ne 0 ]; then
			echo "  $f: status $rc: $(grep -a 'lua:' "$OUT" | head -1)" >&2
			bad=$((bad + 1))
		fi
	done
	echo "  $ran files run, $bad failed"
	[ "$bad" -eq 0 ]
}

t every_portable_file_passes
exit $((failures > 0))
