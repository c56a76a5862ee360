#!/bin/sh
# Fetches Debian's `lwip` source package into build/ and unpacks it
# (hosted/fetch-source.sh: a private deb-src list, PLATFORM.md "A Debian
# package's source"; nothing installed, lwIP never vendored).
# Usage: fetch-lwip.sh OUTDIR   -> OUTDIR/src/lwip (the unpacked tree)
set -eu
[ -f "$1/src/lwip/src/core/init.c" ] && exit 0
exec "$(dirname "$0")/../hosted/fetch-source.sh" lwip "${LWIP_VERSION:-2.1.3}" "$1" "$1/src/lwip"
