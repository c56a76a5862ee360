#!/bin/sh
# Fetches Debian's `lwip` source package into build/ and unpacks it, using a
# private copy of the machine's own Debian source list switched to deb-src
# (PLATFORM.md, "A Debian package's source"): the machine's apt set-up is
# not touched and nothing is installed.  lwIP is never vendored.
# Usage: fetch-lwip.sh OUTDIR   -> OUTDIR/src/lwip (the unpacked tree)
set -eu
mkdir -p "$1"
out=$(cd "$1" && pwd)   # apt resolves relative paths against /etc/apt
want=${LWIP_VERSION:-2.1.3}
d=$out/apt
tree=$out/src/lwip
if [ -f "$tree/src/core/init.c" ]; then
	exit 0
fi
sources=/etc/apt/sources.list.d/debian.sources
if [ ! -r "$sources" ]; then
	echo "fetch-lwip.sh: $sources is missing: lwIP comes from Debian's 'lwip' source" \
	     "package; on a non-Debian host unpack lwip-$want into $tree by hand" >&2
	exit 1
fi
mkdir -p "$d/lists/partial" "$d/parts" "$out/src"
sed 's/^Types: deb$/Types: deb-src/' "$sources" >"$d/parts/src.sources"
O="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$d/parts -o Dir::State::Lists=$d/lists"
O="$O -o Dir::Cache=$d/cache -o APT::Sandbox::User=root"
# shellcheck disable=SC2086
if ! apt-get $O -qq update >"$d/update.log" 2>&1; then
	echo "fetch-lwip.sh: apt-get update of the private deb-src list failed (network?):" >&2
	tail -5 "$d/update.log" >&2
	exit 1
fi
rm -rf "$out/src/dl"
mkdir -p "$out/src/dl"
# shellcheck disable=SC2086
if ! (cd "$out/src/dl" && apt-get $O -qq source --download-only lwip) >"$d/source.log" 2>&1; then
	echo "fetch-lwip.sh: apt-get source --download-only lwip failed:" >&2
	tail -5 "$d/source.log" >&2
	exit 1
fi
orig=$(ls "$out"/src/dl/lwip_*.orig.tar.* 2>/dev/null | head -1)
case "$orig" in
*"_$want"*) ;;
"") echo "fetch-lwip.sh: no lwip_*.orig.tar.* downloaded (see $d/source.log)" >&2; exit 1 ;;
*) echo "fetch-lwip.sh: got $(basename "$orig"), this build is written for lwIP $want" >&2; exit 1 ;;
esac
rm -rf "$tree.tmp"
mkdir -p "$tree.tmp"
tar -xf "$orig" -C "$tree.tmp" --strip-components=1
mv "$tree.tmp" "$tree"
