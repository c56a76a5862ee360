/* Unit tests for vmm/machine/devices/poll_window.c: the adaptive poll window, times passed in. */
#include "check.h"
#include "poll_window.h"

#define US 1000ull

/* A queue that just gave work back and drained at `now`, polled with the window it gets. */
static uint64_t drain(struct poll_window *w, uint64_t now, unsigned completed)
{
	return poll_window_begin(w, now, completed);
}

TEST(starts_closed)
{
	struct poll_window w = { 0 };

	CHECK(drain(&w, 1000 * US, 1) == 0);
}

TEST(opens_when_the_guest_answers_within_the_maximum)
{
	struct poll_window w = { 0 };

	CHECK(drain(&w, 1000 * US, 4) == 0);
	poll_window_notified(&w, 1000 * US + 2 * US);
	CHECK(drain(&w, 1100 * US, 4) == POLL_WINDOW_START_NS);
}

TEST(opens_long_enough_to_catch_the_answer_it_saw)
{
	struct poll_window w = { 0 };

	CHECK(drain(&w, 1000 * US, 1) == 0);
	poll_window_notified(&w, 1000 * US + 12 * US);
	CHECK(drain(&w, 1100 * US, 1) == 15 * US);
	/* capped at the maximum */
	w.ns = 0;
	poll_window_notified(&w, 1100 * US + POLL_WINDOW_MAX_NS);
	CHECK(drain(&w, 1200 * US, 1) == POLL_WINDOW_MAX_NS);
}

TEST(stays_closed_when_the_guest_answers_late)
{
	struct poll_window w = { 0 };

	CHECK(drain(&w, 1000 * US, 4) == 0);
	poll_window_notified(&w, 1000 * US + POLL_WINDOW_MAX_NS + 1);
	CHECK(drain(&w, 1200 * US, 4) == 0);
}

TEST(never_polls_with_nothing_given_back)
{
	struct poll_window w = { .ns = POLL_WINDOW_MAX_NS };

	CHECK(drain(&w, 1000 * US, 0) == 0);
	/* and a notify after such a call says nothing about polling */
	w.ns = 0;
	poll_window_notified(&w, 1001 * US);
	CHECK(w.ns == 0);
}

TEST(grows_while_polls_catch_work_up_to_the_maximum)
{
	struct poll_window w = { .ns = POLL_WINDOW_START_NS };
	uint64_t now = 1000 * US, last = 0;

	for (int i = 0; i < 20; i++) {
		uint64_t win = drain(&w, now, 8);

		CHECK(win >= last && win <= POLL_WINDOW_MAX_NS);
		last = win;
		poll_window_end(&w, now + win, true, false);
		now += 100 * US;
	}
	CHECK(last == POLL_WINDOW_MAX_NS);
	CHECK(w.hits == 20 && w.misses == 0);
}

TEST(shrinks_to_nothing_when_polls_miss)
{
	struct poll_window w = { .ns = POLL_WINDOW_MAX_NS };
	uint64_t now = 1000 * US;
	int polls = 0;

	while (drain(&w, now, 1)) {
		poll_window_end(&w, now + w.ns, false, false);
		now += 100 * US;
		CHECK(++polls < 10);
	}
	/* 20 -> 10 -> 0: two wasted polls, then none */
	CHECK(polls == 2);
	CHECK(w.misses == 2 && w.ns == 0);
}

TEST(a_cut_poll_changes_nothing_unless_it_caught)
{
	struct poll_window w = { .ns = POLL_WINDOW_START_NS };

	drain(&w, 1000 * US, 1);
	poll_window_end(&w, 1005 * US, false, true);
	CHECK(w.ns == POLL_WINDOW_START_NS && w.misses == 0);
	drain(&w, 1100 * US, 1);
	poll_window_end(&w, 1105 * US, true, true);
	CHECK(w.ns == 2 * POLL_WINDOW_START_NS && w.hits == 1);
}

CHECK_MAIN()
