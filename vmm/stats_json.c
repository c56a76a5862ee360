/* x-flint-query-stats: the --stats figures as JSON, readable while the VM runs. */
#include "stats_json.h"

static json_t *pause_json(const struct pause_summary *p)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:i,s:I,s:I,s:I}", "count", (json_int_t)p->count, "failed",
			 (json_int_t)p->failed, "last_ns", (json_int_t)p->last_ns, "median_ns",
			 (json_int_t)p->median_ns, "median_of", (int)p->window, "min_ns",
			 (json_int_t)p->min_ns, "max_ns", (json_int_t)p->max_ns, "mean_ns",
			 (json_int_t)p->mean_ns);
}

json_t *stats_json(const struct stats *s, const struct exit_table *exits,
		   const struct pause_summary *pause)
{
	json_t *timeline = json_object(), *rows = json_array(), *o;
	uint64_t total = 0, gen = __atomic_load_n(&s->generation, __ATOMIC_RELAXED);
	char hex[19];

	/* Marks are written once by one thread before anyone can query; the
	 * guest's own arrive after the run and are absent while it runs. */
	for (int m = 0; m < MARK_COUNT; m++) {
		uint64_t ns = __atomic_load_n(&s->mark_ns[m], __ATOMIC_RELAXED);

		if (ns)
			json_object_set_new(timeline, stats_mark_names[m],
					    json_real(((double)ns - (double)s->mark_ns[MARK_MAIN]) / 1e3));
	}
	for (int i = 0; i < exits->n; i++) {
		const struct exit_stat *e = &exits->e[i];

		total += e->count;
		json_array_append_new(rows, json_pack("{s:s,s:I,s:f}", "reason", e->reason, "count",
						      (json_int_t)e->count, "total_us", e->total_ns / 1e3));
	}
	o = json_pack("{s:o,s:o,s:I,s:I,s:I,s:o}", "timeline_us", timeline, "exits", rows,
			 "all_exits", (json_int_t)total, "coalesced_writes",
			 (json_int_t)__atomic_load_n(&s->coalesced_writes, __ATOMIC_RELAXED),
			 "ioeventfd_notifies",
			 (json_int_t)__atomic_load_n(&s->ioeventfd_notifies, __ATOMIC_RELAXED),
			 "pause", pause_json(pause));
	/* a string: JSON readers lose a 64-bit number's low bits */
	snprintf(hex, sizeof(hex), "0x%016llx", (unsigned long long)gen);
	if (o)
		json_object_set_new(o, "generation", gen ? json_string(hex) : json_null());
	return o;
}
