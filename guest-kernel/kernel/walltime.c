/*
 * The wall clock: the host's CLOCK_REALTIME at one guest TSC value, from
 * the pv page, plus the TSC ticks since.  The page is read on every call
 * (plain memory, no exit), so the first call after a restore already uses
 * the restore's pair: no cached copy can go stale.
 */
#include "kernel/clock.h"
#include "kernel/pv.h"
#include "kernel/walltime.h"

bool walltime_ns(uint64_t *ns)
{
	struct flint_pv_info p;
	uint64_t tsc, d;

	if (!pv_read(&p, &tsc))
		return false;
	/* A TSC behind the pair (another vCPU's, not quite in step) counts back. */
	if (tsc >= p.wall_tsc) {
		d = clock_tsc_to_ns(tsc - p.wall_tsc);
		*ns = __builtin_add_overflow(p.wall_ns, d, ns) ? UINT64_MAX : p.wall_ns + d;
	} else {
		d = clock_tsc_to_ns(p.wall_tsc - tsc);
		*ns = d > p.wall_ns ? 0 : p.wall_ns - d;
	}
	return true;
}
