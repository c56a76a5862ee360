#!/bin/sh
# Builds the Debian package from a copy of this tree (dpkg-buildpackage
# would `make clean` the tree itself), runs lintian (no errors allowed),
# and with --install also installs it, boots the hello example and the
# README's SDK example, and removes it again.  Not part of `make test`:
# it rebuilds everything (a few minutes) and, with --install, touches /usr.
# Needs: dpkg-dev debhelper lintian (root for --install).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/flint-0.1.0"
(cd "$here" && git ls-files -co --exclude-standard | tar -cf - -T -) | tar -x -C "$tmp/flint-0.1.0"
(cd "$tmp/flint-0.1.0" && dpkg-buildpackage -us -uc >"$tmp/build.log" 2>&1) ||
	{ tail -20 "$tmp/build.log"; echo "debcheck: dpkg-buildpackage failed" >&2; exit 1; }
lintian "$tmp"/flint_*.changes | tee "$tmp/lintian.log"
if grep -q '^E:' "$tmp/lintian.log"; then echo "debcheck: lintian errors" >&2; exit 1; fi
echo "debcheck: built $(basename "$tmp"/flint_*_amd64.deb), lintian: no errors"
[ "${1:-}" = --install ] || exit 0
dpkg -i "$tmp"/flint_*_amd64.deb >/dev/null
trap 'dpkg -r flint >/dev/null; rm -rf "$tmp"' EXIT
(cd / && flint run /usr/share/flint/examples/hello.ini) | grep -q "Hello from Flint"
awk '/^## Write your own guest/ { on = 1 } on && /^    #include/ { code = 1 }
	code { print substr($0, 5) } code && /^    }$/ { exit }' "$here/README.md" >"$tmp/greet.c"
cc -O2 -o "$tmp/greet.elf" "$tmp/greet.c" $(pkg-config --cflags --libs flint-guest)
printf '[kernel]\npath = greet.elf\ncmdline = WHO=deb --\n' >"$tmp/greet.ini"
flint run "$tmp/greet.ini" | grep -q "Hello, deb, from greet"
echo "debcheck: installed, booted hello and the SDK example, removed"
