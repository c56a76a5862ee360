/*
 * The pv page's contents and the ready register's decoding (hw/paravirt.c):
 * what the monitor writes at boot and at a restore, from given random
 * bytes and clock pair, and which guest writes count as "ready".
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "paravirt.h"

static uint8_t rnd[PV_RANDOM_BYTES];

static void fill_rnd(uint8_t base)
{
	for (unsigned i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)(base + i * 7);
}

TEST(page_holds_what_it_was_given)
{
	struct flint_pv_info p;
	uint64_t gen;

	fill_rnd(0x11);
	memset(&p, 0xee, sizeof(p));
	pv_info_make(&p, 1, rnd, 1796600000123456789ull, 962096964400ull);
	memcpy(&gen, rnd, 8);
	CHECK(p.magic == FLINT_PV_INFO_MAGIC);
	CHECK(p.seq == 1);
	CHECK(p.flags == 0);
	CHECK(p.generation == gen);
	CHECK(!memcmp(p.random, rnd + 8, sizeof(p.random)));
	CHECK(p.wall_ns == 1796600000123456789ull);
	CHECK(p.wall_tsc == 962096964400ull);
}

TEST(generation_is_never_zero)
{
	struct flint_pv_info p;

	fill_rnd(0x40);
	memset(rnd, 0, 8);
	pv_info_make(&p, 7, rnd, 0, 0);
	CHECK(p.generation != 0);
	CHECK(p.seq == 7);
	CHECK(!memcmp(p.random, rnd + 8, sizeof(p.random)));
}

TEST(restore_seq_moves_on_and_never_reads_zero_or_one)
{
	struct flint_pv_info p;

	fill_rnd(0);
	pv_info_make(&p, 1, rnd, 0, 0);
	CHECK(pv_info_next_seq(&p) == 2);
	p.seq = 41;
	CHECK(pv_info_next_seq(&p) == 42);
	p.seq = UINT32_MAX;
	CHECK(pv_info_next_seq(&p) == 1);   /* wraps past 0, which means "no Flint" */
	/* the guest wrote over its page: still a restore the guest can see */
	p.magic = 0;
	p.seq = 1;
	CHECK(pv_info_next_seq(&p) == 2);
	memset(&p, 0xff, sizeof(p));
	CHECK(pv_info_next_seq(&p) == 2);
}

static int readies;
static void *ready_ctx;

static void ready(void *ctx)
{
	readies++;
	ready_ctx = ctx;
}

static void write32(struct pv_window *w, uint64_t off, uint32_t v, uint32_t len)
{
	uint8_t b[8] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	pv_window_write(w, off, b, len);
}

TEST(only_the_ready_write_calls_the_hook)
{
	int token;
	struct pv_window w = { .ready = ready, .ctx = &token };

	readies = 0;
	write32(&w, FLINT_PV_READY, FLINT_PV_READY_VALUE, 4);
	CHECK(readies == 1);
	CHECK(ready_ctx == &token);
	write32(&w, FLINT_PV_READY + 4, FLINT_PV_READY_VALUE, 4);   /* other offset */
	write32(&w, FLINT_PV_READY, FLINT_PV_READY_VALUE, 2);       /* other widths */
	write32(&w, FLINT_PV_READY, FLINT_PV_READY_VALUE, 8);
	write32(&w, FLINT_PV_READY, FLINT_PV_READY_VALUE, 1);
	write32(&w, FLINT_PV_READY, FLINT_PV_READY_VALUE ^ 1, 4);   /* other value */
	write32(&w, FLINT_PV_READY, 0, 4);
	CHECK(readies == 1);
	write32(&w, FLINT_PV_READY, FLINT_PV_READY_VALUE, 4);
	CHECK(readies == 2);
}

TEST(without_a_hook_the_write_just_returns)
{
	struct pv_window w = { 0 };

	write32(&w, FLINT_PV_READY, FLINT_PV_READY_VALUE, 4);
	CHECK(1);
}

TEST(reads_are_zero)
{
	struct pv_window w = { .ready = ready };
	uint8_t b[8];

	for (uint32_t len = 1; len <= 8; len *= 2) {
		memset(b, 0xaa, sizeof(b));
		readies = 0;
		pv_window_read(&w, FLINT_PV_READY, b, len);
		for (uint32_t i = 0; i < len; i++)
			CHECK(b[i] == 0);
		CHECK(len == 8 || b[len] == 0xaa);
		CHECK(readies == 0);
	}
}

CHECK_MAIN()
