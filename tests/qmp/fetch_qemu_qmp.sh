#!/bin/sh
# QEMU's own QMP client library and qmp-shell, from Debian's `qemu` source
# package, into build/qemu-py (no QMP client is packaged in Debian 12).
# Only python/qemu/qmp and scripts/qmp are unpacked (standard library
# only).  Uses a private copy of the machine's Debian source list, so the
# system's apt set-up is untouched (shared/PLATFORM.md).  Prints the
# python/ folder to put on sys.path; exits 1 if it cannot be fetched.
set -eu
cd "$(dirname "$0")/../.."
out=build/qemu-py
py=$(ls -d $out/qemu-*/python 2>/dev/null | head -1 || true)
if [ -n "$py" ] && [ -f "$py/qemu/qmp/qmp_client.py" ]; then
	echo "$PWD/$py"
	exit 0
fi
d=$PWD/build/apt
mkdir -p "$d/lists/partial" "$d/parts" "$d/src" "$out"
src=/etc/apt/sources.list.d/debian.sources
[ -r "$src" ] || { echo "no $src to derive a source list from" >&2; exit 1; }
sed 's/^Types: deb$/Types: deb-src/' "$src" >"$d/parts/src.sources"
O="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$d/parts -o Dir::State::Lists=$d/lists"
if ! ls "$d"/src/qemu_*.orig.tar.xz >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	apt-get $O update >/dev/null 2>&1 && (cd "$d/src" && apt-get $O source --download-only qemu >/dev/null 2>&1) ||
		{ echo "could not fetch Debian's qemu source package" >&2; exit 1; }
fi
tar -C "$out" -xJf "$(ls "$d"/src/qemu_*.orig.tar.xz | head -1)" --wildcards 'qemu-*/python/qemu/qmp' 'qemu-*/scripts/qmp'
echo "$PWD/$(ls -d $out/qemu-*/python | head -1)"
