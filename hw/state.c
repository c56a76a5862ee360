/* Device state records (state.h): little-endian, bounds-checked. */
#include "state.h"

#include <stdlib.h>
#include <string.h>

static uint8_t *room(struct state_out *o, size_t n)
{
	if (o->failed)
		return NULL;
	if (n > o->cap - o->len) {
		size_t cap = o->cap ? o->cap : 256;
		uint8_t *b;

		while (cap - o->len < n) {
			if (cap > SIZE_MAX / 2) {
				o->failed = true;
				return NULL;
			}
			cap *= 2;
		}
		b = realloc(o->buf, cap);
		if (!b) {
			o->failed = true;
			return NULL;
		}
		o->buf = b;
		o->cap = cap;
	}
	o->len += n;
	return o->buf + o->len - n;
}

static void put_le(struct state_out *o, uint64_t v, size_t n)
{
	uint8_t *p = room(o, n);

	for (size_t i = 0; p && i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void state_put_u8(struct state_out *o, uint8_t v) { put_le(o, v, 1); }
void state_put_u16(struct state_out *o, uint16_t v) { put_le(o, v, 2); }
void state_put_u32(struct state_out *o, uint32_t v) { put_le(o, v, 4); }
void state_put_u64(struct state_out *o, uint64_t v) { put_le(o, v, 8); }
void state_put_bool(struct state_out *o, bool v) { put_le(o, v ? 1 : 0, 1); }

void state_put_bytes(struct state_out *o, const void *src, size_t n)
{
	uint8_t *p = room(o, n);

	if (p && n)
		memcpy(p, src, n);
}

void state_out_free(struct state_out *o)
{
	free(o->buf);
	*o = (struct state_out){ 0 };
}

void state_fail(struct state_in *in, const char *why)
{
	if (!in->why)
		in->why = why;
}

static const uint8_t *take(struct state_in *in, size_t n)
{
	if (in->why)
		return NULL;
	if (n > in->len - in->off) {
		state_fail(in, "truncated");
		return NULL;
	}
	in->off += n;
	return in->p + in->off - n;
}

static bool get_le(struct state_in *in, uint64_t *v, size_t n)
{
	const uint8_t *p = take(in, n);

	*v = 0;
	if (!p)
		return false;
	for (size_t i = 0; i < n; i++)
		*v |= (uint64_t)p[i] << (8 * i);
	return true;
}

bool state_get_u64(struct state_in *in, uint64_t *v) { return get_le(in, v, 8); }

bool state_get_u8(struct state_in *in, uint8_t *v)
{
	uint64_t x;
	bool ok = get_le(in, &x, 1);

	*v = (uint8_t)x;
	return ok;
}

bool state_get_u16(struct state_in *in, uint16_t *v)
{
	uint64_t x;
	bool ok = get_le(in, &x, 2);

	*v = (uint16_t)x;
	return ok;
}

bool state_get_u32(struct state_in *in, uint32_t *v)
{
	uint64_t x;
	bool ok = get_le(in, &x, 4);

	*v = (uint32_t)x;
	return ok;
}

bool state_get_bool(struct state_in *in, bool *v)
{
	uint64_t x;

	*v = false;
	if (!get_le(in, &x, 1))
		return false;
	if (x > 1) {
		state_fail(in, "not a boolean");
		return false;
	}
	*v = x;
	return true;
}

bool state_get_bytes(struct state_in *in, void *dst, size_t n)
{
	const uint8_t *p = take(in, n);

	if (!p) {
		memset(dst, 0, n);
		return false;
	}
	if (n)
		memcpy(dst, p, n);
	return true;
}

bool state_in_done(struct state_in *in)
{
	if (!in->why && in->off != in->len)
		state_fail(in, "trailing bytes");
	return !in->why;
}
