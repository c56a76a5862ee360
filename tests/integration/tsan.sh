#!/usr/bin/env bash
# The transport's locking under ThreadSanitizer (`make check`, tests/tsan.mk):
# two register-hammering threads and a notifying one must race cleanly.
cd "$(dirname "$0")/../.."
if make -s check >build/tsan.log 2>&1; then
	grep '^PASS ' build/tsan.log | sed 's/^PASS /PASS tsan: /'
else
	tail -40 build/tsan.log
	echo "FAIL tsan: make check (see build/tsan.log)"
fi
