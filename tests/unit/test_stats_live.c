/* Exit tables read while a vCPU thread writes them (x-flint-query-stats). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "stats.h"

#define REASONS 30        /* more than the table holds: the rest fold into "other" */
#define ADDS 300000

static struct exit_table table;
static atomic_bool writer_done;

static void reason_name(int i, char *buf, size_t len)
{
	snprintf(buf, len, "pio write dev%02d", i);
}

static void *writer(void *arg)
{
	char r[40];

	(void)arg;
	for (int i = 0; i < ADDS; i++) {
		reason_name(i % REASONS, r, sizeof(r));
		exit_table_add(&table, r, 3);
	}
	atomic_store(&writer_done, true);
	return NULL;
}

static bool known_reason(const char *r)
{
	char want[40];

	if (!strcmp(r, "other"))
		return true;
	for (int i = 0; i < REASONS; i++) {
		reason_name(i, want, sizeof(want));
		if (!strcmp(r, want))
			return true;
	}
	return false;
}

TEST(snapshot_while_writing_sees_whole_rows_and_growing_counts)
{
	pthread_t t;
	uint64_t last_total = 0;
	int snapshots = 0;
	bool ok = true;

	memset(&table, 0, sizeof(table));
	pthread_create(&t, NULL, writer, NULL);
	while (!atomic_load(&writer_done) || snapshots == 0) {
		struct exit_table snap = { 0 };
		uint64_t total = 0;

		exit_table_snapshot(&snap, &table);
		for (int i = 0; i < snap.n; i++) {
			if (!known_reason(snap.e[i].reason)) {
				fprintf(stderr, "  torn reason \"%s\"\n", snap.e[i].reason);
				ok = false;
			}
			/* every exit adds 3 ns: count and time move together */
			if (snap.e[i].total_ns > 3 * snap.e[i].count + 3 * 1000000 ||
			    snap.e[i].total_ns + 3 * 1000000 < 3 * snap.e[i].count)
				ok = false;
			total += snap.e[i].count;
		}
		if (total < last_total)
			ok = false; /* a later snapshot never sees fewer exits */
		last_total = total;
		snapshots++;
	}
	pthread_join(t, NULL);
	CHECK(ok);
	CHECK(snapshots > 0);
	CHECK(table.n == STATS_MAX_REASONS);
	CHECK(!strcmp(table.e[STATS_MAX_REASONS - 1].reason, "other"));
	{
		struct exit_table snap = { 0 };
		uint64_t total = 0;

		exit_table_snapshot(&snap, &table);
		for (int i = 0; i < snap.n; i++)
			total += snap.e[i].count;
		CHECK(total == ADDS);
	}
}

TEST(other_row_collects_reasons_past_the_table)
{
	struct exit_table t = { 0 };
	char r[40];

	for (int i = 0; i < STATS_MAX_REASONS + 5; i++) {
		snprintf(r, sizeof(r), "reason %d", i);
		exit_table_add(&t, r, 1);
		/* The last row is "other" from its first use: a row a reader
		 * may already have seen is never renamed. */
		if (i == STATS_MAX_REASONS - 1)
			CHECK(!strcmp(t.e[i].reason, "other"));
	}
	CHECK(t.n == STATS_MAX_REASONS);
	CHECK(!strcmp(t.e[STATS_MAX_REASONS - 2].reason, "reason 22"));
	CHECK(!strcmp(t.e[STATS_MAX_REASONS - 1].reason, "other"));
	CHECK(t.e[STATS_MAX_REASONS - 1].count == 6);
	/* a reason already in the table still finds its own row */
	exit_table_add(&t, "reason 3", 1);
	CHECK(t.e[3].count == 2);
}

CHECK_MAIN()
