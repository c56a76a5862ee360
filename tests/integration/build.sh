#!/usr/bin/env bash
# A fresh clone's bare `make` builds the monitor and every guest, installs
# nothing, and leaves everything under build/.
source "$(dirname "$0")/lib.sh"

fresh_clone_make_builds_everything() {
	needs git
	git rev-parse --git-dir >/dev/null 2>&1 || { echo "not a git checkout" >"$SKIP_FILE"; exit 77; }
	git clone -q . "$TMP/clone"
	local before after
	before=$(dpkg-query -W -f='${Package}\n' 2>/dev/null | sort | md5sum)
	make -C "$TMP/clone" -j2 >"$TMP/make.log" 2>&1 || fail "make failed: $(tail -20 "$TMP/make.log")"
	after=$(dpkg-query -W -f='${Package}\n' 2>/dev/null | sort | md5sum)
	[ "$before" = "$after" ] || fail "bare make changed the installed packages"
	[ -x "$TMP/clone/build/flint" ] || fail "no build/flint"
	for app in "$TMP"/clone/guest-kernel/apps/*.c; do
		app=$(basename "$app" .c)
		[ -s "$TMP/clone/build/guest/$app.elf" ] || fail "no build/guest/$app.elf"
	done
	# Nothing outside build/ is new or changed.
	[ -z "$(git -C "$TMP/clone" status --porcelain)" ] ||
		fail "the build wrote outside build/: $(git -C "$TMP/clone" status --porcelain | head -5)"
}

t fresh_clone_make_builds_everything
exit $((failures > 0))
