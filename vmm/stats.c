#include "stats.h"

#include <string.h>
#include <time.h>

const char *const stats_mark_names[MARK_COUNT] = {
	[MARK_MAIN] = "main",
	[MARK_CONFIG] = "config_parsed",
	[MARK_VM_READY] = "vm_ready",
	[MARK_FIRST_RUN] = "first_kvm_run",
	[MARK_GUEST_ENTRY] = "guest_entry",
	[MARK_GUEST_MAIN] = "guest_main",
	[MARK_GUEST_EXIT] = "guest_exit",
	[MARK_POWEROFF] = "poweroff_seen",
	[MARK_EXIT] = "process_exit",
};

static const char *const mark_help[MARK_COUNT] = {
	[MARK_MAIN] = "flint main() entered (exec and libc start-up come before it)",
	[MARK_CONFIG] = "configuration parsed",
	[MARK_VM_READY] = "VM, devices, kernel and vCPUs set up",
	[MARK_FIRST_RUN] = "first KVM_RUN",
	[MARK_GUEST_ENTRY] = "guest: first instruction (guest TSC)",
	[MARK_GUEST_MAIN] = "guest: main() entered (guest TSC)",
	[MARK_GUEST_EXIT] = "guest: power-off requested (guest TSC)",
	[MARK_POWEROFF] = "monitor saw the power-off",
	[MARK_EXIT] = "process exit",
};

uint64_t stats_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void stats_mark_at(struct stats *s, enum stats_mark m, uint64_t ns)
{
	if (s && !s->mark_ns[m])
		s->mark_ns[m] = ns;
}

void stats_mark(struct stats *s, enum stats_mark m)
{
	if (s)
		stats_mark_at(s, m, stats_now_ns());
}

/*
 * A table has one writer (its vCPU thread) and may be read at any time by
 * exit_table_snapshot (the control socket's x-flint-query-stats): a row is
 * filled before n publishes it, and never renamed afterwards, so a reader
 * sees whole rows; counters are stored whole, so it never sees a torn one.
 * The last row is "other" from the start: reasons past the table's size
 * fold into it rather than losing counts.
 */
static struct exit_stat *exit_slot(struct exit_table *t, const char *reason)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->e[i].reason, reason))
			return &t->e[i];
	if (t->n == STATS_MAX_REASONS - 1)
		reason = "other";
	else if (t->n == STATS_MAX_REASONS)
		return &t->e[t->n - 1];
	for (i = 0; i < t->n; i++)
		if (!strcmp(t->e[i].reason, reason))
			return &t->e[i];
	snprintf(t->e[i].reason, sizeof(t->e[i].reason), "%s", reason);
	t->e[i].count = t->e[i].total_ns = 0;
	__atomic_store_n(&t->n, t->n + 1, __ATOMIC_RELEASE);
	return &t->e[i];
}

void exit_table_add(struct exit_table *t, const char *reason, uint64_t ns)
{
	struct exit_stat *e = exit_slot(t, reason);

	/* Plain loads: only this thread writes.  Relaxed stores: on x86 the
	 * same mov, but whole for the reader. */
	__atomic_store_n(&e->count, e->count + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&e->total_ns, e->total_ns + ns, __ATOMIC_RELAXED);
}

void exit_table_merge(struct exit_table *into, const struct exit_table *from)
{
	for (int i = 0; i < from->n; i++) {
		struct exit_stat *e = exit_slot(into, from->e[i].reason);

		e->count += from->e[i].count;
		e->total_ns += from->e[i].total_ns;
	}
}

void exit_table_snapshot(struct exit_table *into, const struct exit_table *from)
{
	int n = __atomic_load_n(&from->n, __ATOMIC_ACQUIRE);

	for (int i = 0; i < n; i++) {
		struct exit_stat *e = exit_slot(into, from->e[i].reason);

		e->count += __atomic_load_n(&from->e[i].count, __ATOMIC_RELAXED);
		e->total_ns += __atomic_load_n(&from->e[i].total_ns, __ATOMIC_RELAXED);
	}
}

uint64_t stats_guest_tsc_to_ns(const struct stats *s, uint64_t tsc)
{
	uint64_t ticks, whole, part, ns;

	if (!s->tsc_khz || !s->guest_tsc0_ns || !tsc || tsc < s->guest_tsc0)
		return 0;
	/* ns = ticks * 10^6 / kHz, split so no step can overflow unseen. */
	ticks = tsc - s->guest_tsc0;
	part = ticks % s->tsc_khz * 1000000ull / s->tsc_khz; /* < 2^32 * 10^6: fits */
	if (__builtin_mul_overflow(ticks / s->tsc_khz, 1000000ull, &whole) ||
	    __builtin_add_overflow(whole, part, &ns) ||
	    __builtin_add_overflow(ns, s->guest_tsc0_ns, &ns))
		return 0;
	return ns;
}

void stats_guest_marks(struct stats *s, const uint64_t tsc[3], uint64_t now_ns)
{
	static const enum stats_mark marks[3] = { MARK_GUEST_ENTRY, MARK_GUEST_MAIN, MARK_GUEST_EXIT };
	uint64_t last = 0;

	for (int i = 0; i < 3; i++) {
		uint64_t ns;

		if (!tsc[i])
			continue;
		ns = stats_guest_tsc_to_ns(s, tsc[i]);
		if (!ns || ns > now_ns || ns < last) {
			s->invalid |= 1u << marks[i];
			continue;
		}
		stats_mark_at(s, marks[i], ns);
		last = ns;
	}
}

static double rel_us(const struct stats *s, enum stats_mark m)
{
	return ((double)s->mark_ns[m] - (double)s->mark_ns[MARK_MAIN]) / 1e3;
}

void stats_print_text(const struct stats *s, FILE *f)
{
	uint64_t total = 0;

	fprintf(f, "flint: boot timeline (µs since main())\n");
	for (int m = 0; m < MARK_COUNT; m++)
		if (s->invalid & (1u << m))
			fprintf(f, "  %10s  %s\n", "invalid", mark_help[m]);
		else if (s->mark_ns[m])
			fprintf(f, "  %10.1f  %s\n", rel_us(s, m), mark_help[m]);
	fprintf(f, "flint: exits to user space by reason (time = handling in flint)\n");
	fprintf(f, "  %-28s %8s %12s %10s\n", "reason", "count", "total µs", "mean µs");
	for (int i = 0; i < s->exits.n; i++) {
		const struct exit_stat *e = &s->exits.e[i];

		total += e->count;
		fprintf(f, "  %-28s %8llu %12.1f %10.2f\n", e->reason, (unsigned long long)e->count,
			e->total_ns / 1e3, e->count ? e->total_ns / 1e3 / e->count : 0.0);
	}
	fprintf(f, "  %-28s %8llu\n", "all exits", (unsigned long long)total);
	fprintf(f, "  %-28s %8llu  (no exit: batched in the coalesced ring)\n", "coalesced writes",
		(unsigned long long)s->coalesced_writes);
	fprintf(f, "  %-28s %8llu  (no exit: served from an ioeventfd)\n", "virtio queue notifies",
		(unsigned long long)s->ioeventfd_notifies);
	fprintf(f, "flint: console\n");
	fprintf(f, "  %-28s %8llu  (one exit each: mmio write uart buffer)\n", "buffers",
		(unsigned long long)s->console_buffers);
	fprintf(f, "  %-28s %8llu  (outside RAM, empty or too long: dropped)\n", "bad buffers",
		(unsigned long long)s->console_bad_buffers);
	fprintf(f, "  %-28s %8llu\n", "output bytes lost", (unsigned long long)s->console_dropped);
	if (s->console_errno)
		fprintf(f, "  %-28s %s\n", "output write error", strerror(s->console_errno));
	if (s->vconsole) {
		const struct virtio_console_stats *v = &s->vconsole_s;

		fprintf(f, "flint: virtio-console: in %llu bytes, out %llu bytes, out dropped %llu bytes\n",
			(unsigned long long)v->in_bytes, (unsigned long long)v->out_bytes,
			(unsigned long long)v->out_dropped);
		fprintf(f, "  waits: output for its reader %llu, input for guest buffers %llu\n",
			(unsigned long long)v->out_blocked, (unsigned long long)v->rx_no_buffer);
		if (v->out_errno)
			fprintf(f, "  %-28s %s\n", "output write error", strerror(v->out_errno));
	}
	for (unsigned i = 0; i < s->nnets; i++) {
		const struct virtio_net_stats *n = &s->nets[i].s;

		fprintf(f, "flint: %s: rx %llu packets %llu bytes, tx %llu packets %llu bytes\n", s->nets[i].name,
			(unsigned long long)n->rx_packets, (unsigned long long)n->rx_bytes,
			(unsigned long long)n->tx_packets, (unsigned long long)n->tx_bytes);
		fprintf(f, "  drops: rx too big %llu, rx no guest buffer %llu, rx bad header %llu, rx tap error %llu, "
			"tx short %llu, tx too big %llu, tx bad gso %llu, tx tap error %llu\n",
			(unsigned long long)n->rx_drop_too_big, (unsigned long long)n->rx_no_buffer,
			(unsigned long long)n->rx_drop_bad_hdr, (unsigned long long)n->rx_tap_error,
			(unsigned long long)n->tx_drop_short,
			(unsigned long long)n->tx_drop_too_big, (unsigned long long)n->tx_drop_bad_gso,
			(unsigned long long)n->tx_drop_tap_error);
	}
	if (s->pause.count || s->pause.failed)
		fprintf(f, "flint: pauses (QMP stop: request to last vCPU parked): %llu, %llu failed; "
			"last %.1f µs, median %.1f µs (of last %u), min %.1f, max %.1f, mean %.1f\n",
			(unsigned long long)s->pause.count, (unsigned long long)s->pause.failed,
			s->pause.last_ns / 1e3, s->pause.median_ns / 1e3, s->pause.window,
			s->pause.min_ns / 1e3, s->pause.max_ns / 1e3, s->pause.mean_ns / 1e3);
	if (s->generation)
		fprintf(f, "generation: 0x%016llx\n", (unsigned long long)s->generation);
}

void stats_print_json(const struct stats *s, FILE *f)
{
	const char *sep = "";

	fprintf(f, "{\"timeline_us\":{");
	for (int m = 0; m < MARK_COUNT; m++)
		if (s->invalid & (1u << m)) {
			fprintf(f, "%s\"%s\":\"invalid\"", sep, stats_mark_names[m]);
			sep = ",";
		} else if (s->mark_ns[m]) {
			fprintf(f, "%s\"%s\":%.1f", sep, stats_mark_names[m], rel_us(s, m));
			sep = ",";
		}
	fprintf(f, "},\"exits\":[");
	for (int i = 0; i < s->exits.n; i++) {
		const struct exit_stat *e = &s->exits.e[i];

		/* reasons are built from fixed words and hex numbers: no escaping needed */
		fprintf(f, "%s{\"reason\":\"%s\",\"count\":%llu,\"total_us\":%.1f,\"mean_us\":%.2f}",
			i ? "," : "", e->reason, (unsigned long long)e->count, e->total_ns / 1e3,
			e->count ? e->total_ns / 1e3 / e->count : 0.0);
	}
	fprintf(f, "],\"coalesced_writes\":%llu,\"ioeventfd_notifies\":%llu,",
		(unsigned long long)s->coalesced_writes, (unsigned long long)s->ioeventfd_notifies);
	/* errno names are fixed words: no escaping needed */
	fprintf(f, "\"console\":{\"buffers\":%llu,\"bad_buffers\":%llu,\"bytes_lost\":%llu,"
		"\"write_error\":\"%s\"},", (unsigned long long)s->console_buffers,
		(unsigned long long)s->console_bad_buffers, (unsigned long long)s->console_dropped,
		s->console_errno ? strerrorname_np(s->console_errno) : "");
	if (s->vconsole) {
		const struct virtio_console_stats *v = &s->vconsole_s;

		fprintf(f, "\"virtio_console\":{\"in_bytes\":%llu,\"out_bytes\":%llu,\"out_dropped\":%llu,"
			"\"out_blocked\":%llu,\"rx_no_buffer\":%llu,\"write_error\":\"%s\"},",
			(unsigned long long)v->in_bytes, (unsigned long long)v->out_bytes,
			(unsigned long long)v->out_dropped, (unsigned long long)v->out_blocked,
			(unsigned long long)v->rx_no_buffer, v->out_errno ? strerrorname_np(v->out_errno) : "");
	}
	fprintf(f, "\"nets\":[");
	for (unsigned i = 0; i < s->nnets; i++) {
		const struct virtio_net_stats *n = &s->nets[i].s;

		/* names are "net." + [A-Za-z0-9_-]: no escaping needed */
		fprintf(f, "%s{\"name\":\"%s\",\"rx_packets\":%llu,\"rx_bytes\":%llu,\"tx_packets\":%llu,"
			"\"tx_bytes\":%llu,\"rx_drop_too_big\":%llu,\"rx_no_buffer\":%llu,\"rx_drop_bad_hdr\":%llu,"
			"\"rx_tap_error\":%llu,\"tx_drop_short\":%llu,"
			"\"tx_drop_too_big\":%llu,\"tx_drop_bad_gso\":%llu,\"tx_drop_tap_error\":%llu}",
			i ? "," : "", s->nets[i].name, (unsigned long long)n->rx_packets,
			(unsigned long long)n->rx_bytes, (unsigned long long)n->tx_packets,
			(unsigned long long)n->tx_bytes, (unsigned long long)n->rx_drop_too_big,
			(unsigned long long)n->rx_no_buffer, (unsigned long long)n->rx_drop_bad_hdr,
			(unsigned long long)n->rx_tap_error, (unsigned long long)n->tx_drop_short,
			(unsigned long long)n->tx_drop_too_big, (unsigned long long)n->tx_drop_bad_gso,
			(unsigned long long)n->tx_drop_tap_error);
	}
	/* a string: JSON readers lose a 64-bit number's low bits */
	if (s->generation)
		fprintf(f, "],\"generation\":\"0x%016llx\"", (unsigned long long)s->generation);
	else
		fprintf(f, "],\"generation\":null");
	fprintf(f, ",\"pause\":{\"count\":%llu,\"failed\":%llu,\"last_ns\":%llu,\"median_ns\":%llu,"
		"\"median_of\":%u,\"min_ns\":%llu,\"max_ns\":%llu,\"mean_ns\":%llu}}\n",
		(unsigned long long)s->pause.count, (unsigned long long)s->pause.failed,
		(unsigned long long)s->pause.last_ns, (unsigned long long)s->pause.median_ns,
		s->pause.window, (unsigned long long)s->pause.min_ns,
		(unsigned long long)s->pause.max_ns, (unsigned long long)s->pause.mean_ns);
}
