#!/bin/sh
# Makes sure the Debian packages a target needs are installed.  As root it
# installs what is missing; otherwise it prints the apt-get line and fails.
# Usage: scripts/deps.sh build|test|bench
set -eu
build="gcc make libc6-dev linux-libc-dev libseccomp-dev libinih-dev libjansson-dev zlib1g-dev python3 e2fsprogs"
test="$build time util-linux qemu-system-x86 clang curl iproute2 iputils-ping pkg-config mandoc"
bench="$test hyperfine wrk"
case "${1:-build}" in
build) want=$build ;;
test) want=$test ;;
bench) want=$bench ;;
*) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac
missing=
for p in $want; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "flint needs these Debian packages; install them with:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends$missing >&2
