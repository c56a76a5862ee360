/* flint serve's Prometheus counters (metrics_listen, GET /metrics). */
#ifndef FLINT_SERVE_METRICS_H
#define FLINT_SERVE_METRICS_H

#include <stdint.h>
#include <stdio.h>

#define METRICS_BUCKETS 12

enum fail_cause {
	FAIL_CRASH, FAIL_EXIT, FAIL_BAD_OUTPUT, FAIL_TOO_MUCH_OUTPUT, FAIL_TIMEOUT, FAIL_NO_VM,
	FAIL_QUEUE_FULL, FAIL_DRAINING, FAIL_NEVER_READY, FAIL_SPAWN, FAIL_CLIENT_GONE, FAIL_CAUSES
};

struct latency {
	uint64_t buckets[METRICS_BUCKETS]; /* cumulative at print time, counts here */
	uint64_t count;
	double sum;
};

struct metrics {
	uint64_t by_status[600];
	struct latency request, vm_start;
	uint64_t started, restored, booted;
	uint64_t failures[FAIL_CAUSES];
};

const char *fail_cause_name(enum fail_cause c);
void latency_add(struct latency *l, uint64_t ns);
/* The text exposition format; pool gauges come from the caller. */
void metrics_print(const struct metrics *m, FILE *f, unsigned ready, unsigned starting, unsigned busy,
		   unsigned waiting, int snapshot);

#endif
