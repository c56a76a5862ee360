/* The pause latency log (pause_stats.h). */
#include "pause_stats.h"

#include <stdlib.h>
#include <string.h>

void pause_log_add(struct pause_log *l, uint64_t ns)
{
	l->recent[l->count % PAUSE_RECENT] = ns;
	if (!l->count || ns < l->min_ns)
		l->min_ns = ns;
	if (ns > l->max_ns)
		l->max_ns = ns;
	l->last_ns = ns;
	l->total_ns += ns;
	l->count++;
}

void pause_log_failed(struct pause_log *l)
{
	l->failed++;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

void pause_log_summary(const struct pause_log *l, struct pause_summary *out)
{
	uint64_t v[PAUSE_RECENT];
	unsigned n = l->count < PAUSE_RECENT ? (unsigned)l->count : PAUSE_RECENT;

	memset(out, 0, sizeof(*out));
	out->failed = l->failed;
	if (!n)
		return;
	out->count = l->count;
	out->last_ns = l->last_ns;
	out->min_ns = l->min_ns;
	out->max_ns = l->max_ns;
	out->mean_ns = l->total_ns / l->count;
	memcpy(v, l->recent, n * sizeof(v[0]));
	qsort(v, n, sizeof(v[0]), cmp_u64);
	/* An even window takes the lower middle: a value that was measured. */
	out->median_ns = v[(n - 1) / 2];
	out->window = n;
}
