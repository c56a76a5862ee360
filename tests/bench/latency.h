/*
 * What the bench's latency clients (paced.c, reuse.c) share: the monotonic
 * clock in nanoseconds and the order qsort puts latencies in.
 */
#ifndef FLINT_BENCH_LATENCY_H
#define FLINT_BENCH_LATENCY_H

#include <stdint.h>
#include <time.h>

static inline uint64_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

#endif
