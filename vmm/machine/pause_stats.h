/*
 * Pause latency (issue 9): for each QMP `stop`, the time from the request
 * to the last vCPU parked outside KVM_RUN, as flint itself measures it.
 * A log of them and its summary; the log is written and read under the
 * VM's pause lock (vmm/machine/vcpu_pause.c), so it needs no atomics.
 */
#ifndef FLINT_PAUSE_STATS_H
#define FLINT_PAUSE_STATS_H

#include <stdint.h>

/* Recent pauses kept for the median: enough for a bench's batch, small
 * enough to sort on every query. */
#define PAUSE_RECENT 64

struct pause_log {
	uint64_t count;                 /* pauses that completed */
	uint64_t failed;                /* timed out, or the VM stopped meanwhile */
	uint64_t last_ns, min_ns, max_ns, total_ns;
	uint64_t recent[PAUSE_RECENT];  /* ring: pause k at recent[k % PAUSE_RECENT] */
};

struct pause_summary {
	uint64_t count, failed;
	uint64_t last_ns, min_ns, max_ns, mean_ns;
	uint64_t median_ns;             /* of the last `window` pauses */
	unsigned window;
};

void pause_log_add(struct pause_log *l, uint64_t ns);
void pause_log_failed(struct pause_log *l);
/* All zero when no pause completed. */
void pause_log_summary(const struct pause_log *l, struct pause_summary *out);

#endif
