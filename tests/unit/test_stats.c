/*
 * --stats: guest-reported TSC stamps are untrusted input.  Any value must
 * convert without undefined behaviour, and one that cannot be a moment of
 * the VM's life shows as "invalid" in both output formats.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "stats.h"

#define T0_NS 5000000000ull     /* host time of the correlation */
#define TSC0 1000000ull         /* guest TSC at that moment */
#define KHZ 2000000u            /* 2 GHz: 2 ticks per ns */

static struct stats base(void)
{
	struct stats s = { 0 };

	s.mark_ns[MARK_MAIN] = T0_NS - 1000000;
	s.guest_tsc0 = TSC0;
	s.guest_tsc0_ns = T0_NS;
	s.tsc_khz = KHZ;
	return s;
}

/* Output of one format into a buffer the test frees. */
static char *print(const struct stats *s, bool json)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (json)
		stats_print_json(s, f);
	else
		stats_print_text(s, f);
	fclose(f);
	return out;
}

TEST(tsc_converts_exactly)
{
	struct stats s = base();

	CHECK(stats_guest_tsc_to_ns(&s, TSC0) == T0_NS);
	CHECK(stats_guest_tsc_to_ns(&s, TSC0 + 2000) == T0_NS + 1000);
	/* Beyond 2^53 ticks a double loses the last nanoseconds; integers do not. */
	CHECK(stats_guest_tsc_to_ns(&s, TSC0 + (1ull << 55) + 2) == T0_NS + (1ull << 54) + 1);
	s.tsc_khz = 0;
	CHECK(stats_guest_tsc_to_ns(&s, TSC0) == 0);
}

TEST(extreme_tsc_is_not_a_time)
{
	struct stats s = base();

	/* Used to convert an out-of-range double to uint64_t (UBSan): now
	 * exact, and after "now", which stats_guest_marks rejects. */
	CHECK(stats_guest_tsc_to_ns(&s, UINT64_MAX) == T0_NS + (UINT64_MAX - TSC0) / 2);
	s.tsc_khz = 1;
	CHECK(stats_guest_tsc_to_ns(&s, UINT64_MAX / 2) == 0);
	s.guest_tsc0_ns = UINT64_MAX - 10;
	s.tsc_khz = KHZ;
	CHECK(stats_guest_tsc_to_ns(&s, TSC0 + 1000000) == 0);
}

TEST(tsc_before_the_vm_started_is_not_a_time)
{
	struct stats s = base();

	CHECK(stats_guest_tsc_to_ns(&s, TSC0 - 1) == 0);
	CHECK(stats_guest_tsc_to_ns(&s, 1) == 0);
}

TEST(good_stamps_placed_in_order)
{
	struct stats s = base();
	const uint64_t tsc[3] = { TSC0 + 2000, TSC0 + 4000, TSC0 + 6000 };
	char *txt, *js;

	stats_guest_marks(&s, tsc, T0_NS + 10000);
	CHECK(s.mark_ns[MARK_GUEST_ENTRY] == T0_NS + 1000);
	CHECK(s.mark_ns[MARK_GUEST_MAIN] == T0_NS + 2000);
	CHECK(s.mark_ns[MARK_GUEST_EXIT] == T0_NS + 3000);
	txt = print(&s, false);
	js = print(&s, true);
	CHECK(!strstr(txt, "invalid"));
	CHECK(!strstr(js, "invalid"));
	CHECK_CONTAINS(js, "\"guest_main\":1002.0");
	free(txt);
	free(js);
}

TEST(bad_stamps_shown_invalid)
{
	struct stats s = base();
	/* entry before the VM, main fine, exit after now */
	const uint64_t tsc[3] = { TSC0 - 5, TSC0 + 4000, UINT64_MAX };
	char *txt, *js;

	stats_guest_marks(&s, tsc, T0_NS + 10000);
	CHECK(s.mark_ns[MARK_GUEST_MAIN] == T0_NS + 2000);
	txt = print(&s, false);
	js = print(&s, true);
	CHECK_CONTAINS(txt, "invalid  guest: first instruction");
	CHECK_CONTAINS(txt, "invalid  guest: power-off requested");
	CHECK(!strstr(txt, "invalid  guest: main()"));
	CHECK_CONTAINS(js, "\"guest_entry\":\"invalid\"");
	CHECK_CONTAINS(js, "\"guest_exit\":\"invalid\"");
	CHECK_CONTAINS(js, "\"guest_main\":1002.0");
	free(txt);
	free(js);
}

TEST(stamps_out_of_order_shown_invalid)
{
	struct stats s = base();
	const uint64_t tsc[3] = { TSC0 + 6000, TSC0 + 4000, 0 };
	char *js;

	stats_guest_marks(&s, tsc, T0_NS + 10000);
	CHECK(s.mark_ns[MARK_GUEST_ENTRY] == T0_NS + 3000);
	js = print(&s, true);
	CHECK_CONTAINS(js, "\"guest_main\":\"invalid\"");
	CHECK(!strstr(js, "guest_exit")); /* 0: the guest never wrote it */
	free(js);
}

/* QMP stop's pauses: a line in the text only once there was one, and
 * always an object in the JSON. */
TEST(pauses_shown_in_both_formats)
{
	struct stats s = base();
	char *txt, *js;

	txt = print(&s, false);
	js = print(&s, true);
	CHECK(!strstr(txt, "pauses"));
	CHECK_CONTAINS(js, "\"pause\":{\"count\":0,");
	free(txt);
	free(js);
	s.pause = (struct pause_summary){ .count = 3, .failed = 1, .last_ns = 41000, .min_ns = 40000,
					  .max_ns = 90000, .mean_ns = 57000, .median_ns = 41000,
					  .window = 3 };
	txt = print(&s, false);
	js = print(&s, true);
	CHECK_CONTAINS(txt, "pauses (QMP stop: request to last vCPU parked): 3, 1 failed; last 41.0 µs, "
		       "median 41.0 µs (of last 3), min 40.0, max 90.0, mean 57.0");
	CHECK_CONTAINS(js, "\"pause\":{\"count\":3,\"failed\":1,\"last_ns\":41000,\"median_ns\":41000,"
		       "\"median_of\":3,\"min_ns\":40000,\"max_ns\":90000,\"mean_ns\":57000}}");
	free(txt);
	free(js);
}

CHECK_MAIN()
