/* The --stats figures as a JSON object, for x-flint-query-stats. */
#ifndef FLINT_STATS_JSON_H
#define FLINT_STATS_JSON_H

#include <jansson.h>

#include "stats.h"

/* s's timeline and counters with `exits` (a snapshot of the vCPUs'
 * tables) as the exit table, and `pause` (the pauses so far):
 * {"timeline_us": {...}, "exits": [{"reason", "count", "total_us"}],
 * "all_exits", "coalesced_writes", "ioeventfd_notifies", "pause":
 * {"count", "failed", "last_ns", "median_ns", "median_of", "min_ns",
 * "max_ns", "mean_ns"}}.  A new reference, NULL when out of memory. */
json_t *stats_json(const struct stats *s, const struct exit_table *exits,
		   const struct pause_summary *pause);

#endif
