/*
 * The guest side of the pv page (guest-kernel/kernel/pv.c, walltime.c,
 * random.c), built for the host against a page in ordinary memory and a
 * simulated TSC.  A restore can land between any two guest instructions:
 * the tests land one in the middle of a read (from rdtsc, or from the
 * n-th look at the page) and check that no value mixes two restores.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "kernel/clock.h"
#include "kernel/pv.h"
#include "kernel/walltime.h"

#include <flint.h>

#define TSC_PER_NS 2   /* a 2 GHz TSC */

static struct flint_pv_info page;
static uint64_t now;
static unsigned writes;
static uintptr_t write_addr;
static uint32_t write_val;
/* A restore that happens at the n-th look at the page (pv_info_page), or at the next rdtsc. */
static unsigned restore_at_look;
static bool restore_at_rdtsc;
static struct flint_pv_info restored;

static void restore_now(void)
{
	page = restored;
	restore_at_look = 0;
	restore_at_rdtsc = false;
}

const volatile struct flint_pv_info *pv_info_page(void)
{
	if (restore_at_look && !--restore_at_look)
		restore_now();
	return &page;
}

uint64_t rdtsc(void)
{
	if (restore_at_rdtsc)
		restore_now();
	return now;
}

uint64_t clock_tsc_to_ns(uint64_t ticks) { return ticks / TSC_PER_NS; }

/* The clock's set-up (kernel/clock.c): counted, and whether it came
 * before the ready write (into the snapshot, not on a request's path). */
static unsigned clock_setups, clock_before_write;

uint64_t clock_tsc_hz(void)
{
	clock_setups++;
	if (!writes)
		clock_before_write++;
	return TSC_PER_NS * 1000000000ull;
}

void mmio_write32(uintptr_t addr, uint32_t v)
{
	writes++;
	write_addr = addr;
	write_val = v;
}

static struct flint_pv_info make(uint32_t seq, uint8_t rnd, uint64_t wall_ns, uint64_t wall_tsc)
{
	struct flint_pv_info p = { .magic = FLINT_PV_INFO_MAGIC, .seq = seq, .wall_ns = wall_ns,
				   .wall_tsc = wall_tsc, .generation = 0x1000 + rnd };

	for (unsigned i = 0; i < sizeof(p.random); i++)
		p.random[i] = (uint8_t)(rnd + 13 * i);
	return p;
}

TEST(without_flint_nothing_is_there_and_ready_writes_nothing)
{
	uint64_t ns = 7;

	memset(&page, 0, sizeof(page));
	writes = 0;
	CHECK(flint_seq() == 0);
	CHECK(flint_generation() == 0);
	CHECK(!walltime_ns(&ns));
	flint_ready();
	CHECK(writes == 0);
	/* a near miss of the magic is no page either */
	page = make(1, 1, 5, 5);
	page.magic ^= 1ull << 63;
	CHECK(flint_seq() == 0 && flint_generation() == 0);
	flint_ready();
	CHECK(writes == 0);
}

TEST(ready_is_one_4_byte_write_of_the_value)
{
	page = make(1, 1, 0, 0);
	writes = 0;
	clock_setups = clock_before_write = 0;
	flint_ready();
	CHECK(writes == 1);
	CHECK(clock_setups == 1 && clock_before_write == 1);
	CHECK(write_addr == FLINT_PV_MMIO_GPA + FLINT_PV_READY);
	CHECK(write_val == FLINT_PV_READY_VALUE);
	CHECK(flint_seq() == 1);
	CHECK(flint_generation() == 0x1001);
}

TEST(wall_clock_is_the_pair_plus_the_tsc_since)
{
	uint64_t ns;

	page = make(1, 1, 1796600000000000000ull, 1000000);
	now = 1000000 + 3 * TSC_PER_NS * 1000000000ull + 10;   /* 3 s and 5 ns later */
	CHECK(walltime_ns(&ns) && ns == 1796600003000000005ull);
	now = 1000000 - 2 * TSC_PER_NS;                        /* a TSC 2 ns behind the pair */
	CHECK(walltime_ns(&ns) && ns == 1796599999999999998ull);
	page = make(1, 1, 1, 1000000);                          /* ... near the epoch: no wrap */
	now = 0;
	CHECK(walltime_ns(&ns) && ns == 0);
	page = make(1, 1, UINT64_MAX - 1, 0);                   /* ... near the end of time */
	now = 1000;
	CHECK(walltime_ns(&ns) && ns == UINT64_MAX);
}

TEST(wall_clock_follows_a_restore_at_once)
{
	uint64_t ns;

	page = make(1, 1, 5000000000ull, 0);
	now = 2 * TSC_PER_NS;
	CHECK(walltime_ns(&ns) && ns == 5000000002ull);
	/* saved at TSC 2 ns, restored 1000 s later with its TSC going on from there */
	page = make(2, 2, 1005000000002ull, 2 * TSC_PER_NS);
	now = 3 * TSC_PER_NS;
	CHECK(walltime_ns(&ns) && ns == 1005000000003ull);
}

TEST(wall_clock_read_across_a_restore_uses_one_pair)
{
	uint64_t ns;

	page = make(1, 1, 5000000000ull, 0);
	restored = make(2, 2, 9000000000ull, 100);
	now = 100 + 4 * TSC_PER_NS;
	restore_at_rdtsc = true;   /* between reading the old pair and the TSC */
	CHECK(walltime_ns(&ns));
	CHECK(ns == 9000000004ull);   /* the mixed answer would be 5000000054 */
	CHECK(!restore_at_rdtsc);
}

static uint64_t first_draw_with(uint8_t rnd, uint32_t seq)
{
	page = make(seq, rnd, 0, 0);
	return flint_random();
}

TEST(random_numbers_come_from_the_page_and_change_at_a_restore)
{
	uint64_t a0, a1, b0, again;

	a0 = first_draw_with(0xa0, 1);
	a1 = flint_random();
	CHECK(a0 != a1);
	/* a clone of the same snapshot with other host random bytes */
	b0 = first_draw_with(0xb0, 2);
	CHECK(b0 != a0 && b0 != a1);
	/* the same bytes again (seq moved): the stream starts over from them */
	again = first_draw_with(0xa0, 3);
	CHECK(again == a0);
	CHECK(flint_random() == a1);
}

/* Known answer: an all-zero key at block 0 (nonce 0) is RFC 8439 A.1's test vector #1. */
TEST(random_stream_is_chacha20)
{
	page = make(10, 0, 0, 0);
	memset(page.random, 0, sizeof(page.random));
	/* A.1 #1 keystream starts 76 b8 e0 ad a0 f1 3d 90 */
	CHECK(flint_random() == ((uint64_t)0xade0b876 << 32 | 0x903df1a0));
}

TEST(a_draw_across_a_restore_is_made_again_with_the_new_key)
{
	uint64_t b0 = first_draw_with(0xb0, 50);

	for (unsigned k = 1; k <= 2; k++) {
		(void)first_draw_with(0xa0, 60 + 2 * k);   /* keyed with A at this seq */
		restored = make(61 + 2 * k, 0xb0, 0, 0);
		restore_at_look = k;                        /* before or after the draw's last check */
		CHECK(flint_random() == b0);
		CHECK(restore_at_look == 0);
	}
}

CHECK_MAIN()
