/*
 * Named instances in a module's record (vmm/device_state.c): each
 * instance gets exactly its own bytes back, in any order, and a record
 * from a machine with another device list is refused by name.
 */
#include <stdlib.h>

#include "check.h"
#include "device_state.h"

struct fake {
	uint32_t v;
	int loads;
};

static int fake_save(void *obj, struct state_out *o)
{
	state_put_u32(o, ((struct fake *)obj)->v);
	return 0;
}

static int fake_load(void *obj, struct state_in *in, char *err, size_t errlen)
{
	struct fake *f = obj;
	uint32_t v;

	if (!state_get_u32(in, &v)) {
		snprintf(err, errlen, "%s", in->why);
		return -1;
	}
	if (v == 0xbad) {
		snprintf(err, errlen, "MAC differs");
		return -1;
	}
	f->v = v;
	f->loads++;
	return 0;
}

static const struct device_instance_ops ops = { fake_save, fake_load, NULL };

static struct state_out save_list(const char *const *names, const uint32_t *vals, unsigned n)
{
	struct fake f[4];
	struct device_instance v[4];
	struct state_out o = { 0 };

	for (unsigned i = 0; i < n; i++) {
		f[i] = (struct fake){ vals[i], 0 };
		v[i] = (struct device_instance){ names[i], &f[i], NULL };
	}
	CHECK(device_state_save(v, n, &ops, &o) == 0);
	return o;
}

/* Loads r into instances named names; returns load's answer, err filled. */
static int load_list(const struct state_out *r, const char *const *names, unsigned n,
		     struct fake *f, char *err, size_t errlen)
{
	struct device_instance v[4];
	struct state_in in = state_in_make(r->buf, r->len);

	for (unsigned i = 0; i < n; i++) {
		f[i] = (struct fake){ 0, 0 };
		v[i] = (struct device_instance){ names[i], &f[i], NULL };
	}
	err[0] = 0;
	return device_state_load(v, n, &ops, &in, err, errlen);
}

TEST(instances_matched_by_name_in_any_order)
{
	static const char *const saved[] = { "drive.root", "drive.data" };
	static const char *const here[] = { "drive.data", "drive.root" };
	static const uint32_t vals[] = { 11, 22 };
	struct state_out r = save_list(saved, vals, 2), again;
	struct fake f[2];
	char err[200];

	CHECK(load_list(&r, here, 2, f, err, sizeof(err)) == 0);
	CHECK(f[0].v == 22 && f[1].v == 11 && f[0].loads == 1 && f[1].loads == 1);
	again = save_list(saved, vals, 2);
	CHECK(again.len == r.len && !memcmp(again.buf, r.buf, r.len));
	state_out_free(&r);
	state_out_free(&again);
}

TEST(another_device_list_refused_by_name)
{
	static const char *const two[] = { "drive.root", "drive.data" };
	static const char *const one[] = { "drive.root" };
	static const char *const other[] = { "drive.root", "drive.scratch" };
	static const char *const twice[] = { "drive.root", "drive.root" };
	static const uint32_t vals[] = { 1, 2 };
	struct state_out r2 = save_list(two, vals, 2), r1 = save_list(one, vals, 1),
			 rt = save_list(twice, vals, 2);
	struct fake f[2];
	char err[200];

	CHECK(load_list(&r1, two, 2, f, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "drive.data missing from the snapshot");
	CHECK(load_list(&r2, one, 1, f, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "the snapshot has drive.data, which this machine lacks");
	CHECK(load_list(&r2, other, 2, f, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "drive.data, which this machine lacks");
	CHECK(load_list(&rt, two, 2, f, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "drive.root twice");
	state_out_free(&r1);
	state_out_free(&r2);
	state_out_free(&rt);
}

TEST(instance_errors_name_the_instance)
{
	static const char *const names[] = { "net.n0", "net.n1" };
	static const uint32_t vals[] = { 5, 0xbad };
	struct state_out r = save_list(names, vals, 2);
	struct fake f[2];
	char err[200];

	CHECK(load_list(&r, names, 2, f, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "net.n1: MAC differs");
	state_out_free(&r);
}

TEST(malformed_records_refused)
{
	static const char *const names[] = { "console" };
	static const uint32_t vals[] = { 7 };
	struct state_out r = save_list(names, vals, 1);
	uint8_t m[64];
	struct state_out x = { m, 0, sizeof(m), false };
	struct fake f[1];
	char err[200];

	/* u32 count, u8 name length, "console", u32 length, u32 value. */
	CHECK(r.len == 4 + 1 + 7 + 4 + 4);
	for (size_t len = 0; len < r.len; len++) {
		x.len = len;
		memcpy(m, r.buf, len);
		CHECK(load_list(&x, names, 1, f, err, sizeof(err)) < 0);
		CHECK_CONTAINS(err, "truncated");
	}
	memcpy(m, r.buf, r.len);
	x.len = r.len + 1;
	m[r.len] = 0;
	CHECK(load_list(&x, names, 1, f, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "trailing bytes");
	x.len = r.len;
	m[12] = 5; /* the instance's own length: one byte more than its record */
	CHECK(load_list(&x, names, 1, f, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "truncated");
	m[12] = 3; /* one less: the loader runs out inside its own part */
	CHECK(load_list(&x, names, 1, f, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "console: truncated");
	memcpy(m, r.buf, r.len);
	m[4] = 0; /* empty name */
	CHECK(load_list(&x, names, 1, f, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "impossible length");
	m[4] = 0xff; /* longer than any name: nothing may be written past name[] */
	CHECK(load_list(&x, names, 1, f, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "impossible length");
	memcpy(m, r.buf, r.len);
	m[6] = 0; /* NUL inside the name */
	CHECK(load_list(&x, names, 1, f, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "NUL");
	memcpy(m, r.buf, r.len);
	m[0] = 0xff; /* a count far beyond the bytes */
	CHECK(load_list(&x, names, 1, f, err, sizeof(err)) < 0);
	state_out_free(&r);
}

CHECK_MAIN()
