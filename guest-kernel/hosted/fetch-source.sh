#!/bin/sh
# Fetches one Debian source package's upstream tarball into build/ and
# unpacks it, the way net/fetch-lwip.sh fetches lwIP: a private copy of the
# machine's Debian source list switched to deb-src (PLATFORM.md, "A Debian
# package's source"); the machine's apt set-up is not touched, nothing is
# installed, nothing is vendored.
# Usage: fetch-source.sh PACKAGE VERSION OUTDIR TREE [PATCH...]
#   -> TREE (the unpacked upstream tree; kept if it exists), with each
#   PATCH (a name in the package's debian/patches/, e.g. Debian's security
#   fixes) applied in order.
set -eu
pkg=$1 want=$2
mkdir -p "$3"
out=$(cd "$3" && pwd)   # apt resolves relative paths against /etc/apt
tree=$4
[ -d "$tree" ] && exit 0
d=$out/apt/$pkg   # one apt state per package: make may fetch two at once
sources=/etc/apt/sources.list.d/debian.sources
if [ ! -r "$sources" ]; then
	echo "fetch-source.sh: $sources is missing: $pkg comes from Debian's '$pkg' source" \
	     "package; on a non-Debian host unpack $pkg $want into $tree by hand" >&2
	exit 1
fi
mkdir -p "$d/lists/partial" "$d/parts"
sed 's/^Types: deb$/Types: deb-src/' "$sources" >"$d/parts/src.sources"
O="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$d/parts -o Dir::State::Lists=$d/lists"
O="$O -o Dir::Cache=$d/cache -o APT::Sandbox::User=root"
if [ ! -f "$d/lists/.updated" ]; then
	# shellcheck disable=SC2086
	if ! apt-get $O -qq update >"$d/update.log" 2>&1; then
		echo "fetch-source.sh: apt-get update of the private deb-src list failed (network?):" >&2
		tail -5 "$d/update.log" >&2
		exit 1
	fi
	touch "$d/lists/.updated"
fi
dl=$out/dl-$pkg
rm -rf "$dl"
mkdir -p "$dl"
# shellcheck disable=SC2086
if ! (cd "$dl" && apt-get $O -qq source --download-only "$pkg") >"$d/source.log" 2>&1; then
	echo "fetch-source.sh: apt-get source --download-only $pkg failed:" >&2
	tail -5 "$d/source.log" >&2
	exit 1
fi
orig=$(ls "$dl"/"$pkg"_*.orig.tar.* 2>/dev/null | head -1)
case "$orig" in
*"_$want"*) ;;
"") echo "fetch-source.sh: no ${pkg}_*.orig.tar.* downloaded (see $d/source.log)" >&2; exit 1 ;;
*) echo "fetch-source.sh: got $(basename "$orig"), this build is written for $pkg $want" >&2; exit 1 ;;
esac
rm -rf "$tree.tmp"
mkdir -p "$tree.tmp"
tar -xf "$orig" -C "$tree.tmp" --strip-components=1
shift 4
if [ $# -gt 0 ]; then
	deb=$(ls "$dl"/"$pkg"_*.debian.tar.* 2>/dev/null | head -1)
	[ -n "$deb" ] || { echo "fetch-source.sh: no ${pkg}_*.debian.tar.* to take $* from" >&2; exit 1; }
	command -v patch >/dev/null || { echo "fetch-source.sh: 'patch' is missing (apt-get install patch)" >&2; exit 1; }
	for p in "$@"; do
		tar -xOf "$deb" "debian/patches/$p" >"$tree.tmp/.$p" ||
			{ echo "fetch-source.sh: $p is not in $(basename "$deb")" >&2; exit 1; }
		patch -s -p1 -d "$tree.tmp" <"$tree.tmp/.$p" ||
			{ echo "fetch-source.sh: $p does not apply to $(basename "$orig")" >&2; exit 1; }
		rm "$tree.tmp/.$p"
	done
fi
mv "$tree.tmp" "$tree"
