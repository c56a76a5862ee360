#!/usr/bin/env bash
# Fetches what the nested KVM host boots: Debian's own kernel (with its
# kvm-amd and 9p modules) and busybox-static, as .deb files unpacked under
# build/nested/ (never installed, never committed).  Prints the directory.
# Usage: tests/nested/fetch.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=build/nested/pkgs
mkdir -p "$dir"
if ! [ -f "$dir/ok" ]; then
	kpkg() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'; }
	kpkg=$(kpkg)
	# A machine whose package lists were never fetched knows no package.
	if [ -z "$kpkg" ] && [ "$(id -u)" -eq 0 ]; then apt-get update -qq >&2 && kpkg=$(kpkg); fi
	[ -n "$kpkg" ] || { echo "nested: apt knows no linux-image-amd64" >&2; exit 1; }
	rm -rf "$dir"/*
	# apt-get download writes to the current directory; as root it warns
	# that _apt cannot write there, which is harmless.
	(cd "$dir" && apt-get download -q "$kpkg" busybox-static >/dev/null 2>&1) ||
		{ echo "nested: apt-get download $kpkg busybox-static failed" >&2; exit 1; }
	for d in "$dir"/*.deb; do dpkg-deb -x "$d" "$dir/root"; done
	touch "$dir/ok"
fi
echo "$dir/root"
