/* Device state records (hw/state.c): round trips, bounds, sticky failure. */
#include <stdlib.h>

#include "check.h"
#include "state.h"

TEST(round_trip_every_width)
{
	struct state_out o = { 0 };
	struct state_in in;
	uint8_t a, raw[3];
	uint16_t b;
	uint32_t c;
	uint64_t d;
	bool e;

	state_put_u8(&o, 0xab);
	state_put_u16(&o, 0xbeef);
	state_put_u32(&o, 0xdeadbeef);
	state_put_u64(&o, 0x0123456789abcdefull);
	state_put_bool(&o, true);
	state_put_bytes(&o, "xyz", 3);
	CHECK(!o.failed && o.len == 1 + 2 + 4 + 8 + 1 + 3);
	CHECK(o.buf[1] == 0xef && o.buf[2] == 0xbe); /* little-endian on the wire */
	in = state_in_make(o.buf, o.len);
	CHECK(state_get_u8(&in, &a) && a == 0xab);
	CHECK(state_get_u16(&in, &b) && b == 0xbeef);
	CHECK(state_get_u32(&in, &c) && c == 0xdeadbeef);
	CHECK(state_get_u64(&in, &d) && d == 0x0123456789abcdefull);
	CHECK(state_get_bool(&in, &e) && e);
	CHECK(state_get_bytes(&in, raw, 3) && !memcmp(raw, "xyz", 3));
	CHECK(state_in_done(&in));
	state_out_free(&o);
}

TEST(truncated_record_fails_and_stays_failed)
{
	uint8_t buf[5] = { 1, 2, 3, 4, 5 };
	struct state_in in = state_in_make(buf, sizeof(buf));
	uint32_t c;
	uint64_t d = 7;
	uint8_t a;

	CHECK(state_get_u32(&in, &c) && c == 0x04030201);
	CHECK(!state_get_u64(&in, &d) && d == 0);
	CHECK(!state_get_u8(&in, &a)); /* a byte is left, but the failure is sticky */
	CHECK(!state_in_done(&in));
	CHECK(in.why && !strcmp(in.why, "truncated"));
}

TEST(trailing_bytes_and_bad_booleans_are_errors)
{
	uint8_t buf[2] = { 2, 0 };
	struct state_in in = state_in_make(buf, sizeof(buf));
	bool e;
	uint8_t a;

	CHECK(!state_get_bool(&in, &e));
	CHECK(!strcmp(in.why, "not a boolean"));
	in = state_in_make(buf, sizeof(buf));
	CHECK(state_get_u8(&in, &a));
	CHECK(!state_in_done(&in) && !strcmp(in.why, "trailing bytes"));
}

TEST(loader_reason_wins_over_later_failures)
{
	uint8_t buf[1] = { 9 };
	struct state_in in = state_in_make(buf, sizeof(buf));
	uint8_t a;

	CHECK(state_get_u8(&in, &a));
	state_fail(&in, "queue size not a power of two");
	state_fail(&in, "something later");
	CHECK(!state_in_done(&in) && !strcmp(in.why, "queue size not a power of two"));
}

CHECK_MAIN()
