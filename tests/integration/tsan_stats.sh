#!/usr/bin/env bash
# The exit tables' lock-free live reads (vmm/machine/stats.c, exit_table_snapshot)
# under ThreadSanitizer: a writer thread and a snapshotting reader must
# race cleanly (build/tsan/test_stats_live, tests/qmp/qmp.mk).
cd "$(dirname "$0")/../.."
command -v "${TSAN_CC:-clang}" >/dev/null || { echo "SKIP tsan_stats (needs clang)"; exit 0; }
if make -s build/tsan/test_stats_live >build/tsan_stats.log 2>&1 &&
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" build/tsan/test_stats_live >>build/tsan_stats.log 2>&1; then
	grep '^PASS ' build/tsan_stats.log | sed 's/^PASS /PASS tsan: /'
else
	tail -40 build/tsan_stats.log
	echo "FAIL tsan: test_stats_live (see build/tsan_stats.log)"
fi
