/*
 * Device state records: the guest-visible state of one device, as a flat
 * little-endian byte string a snapshot carries (docs/ARCHITECTURE.md,
 * "Snapshot format").  A device saves with the state_put_* calls and
 * loads with the state_get_* calls in the same order; the snapshot file
 * frames each record with the device's name, a version and a length.
 *
 * Host resources (an image's descriptor, a tap) are never in a record:
 * they come from the spec the machine is built from.  A record read back
 * is hostile input (a snapshot file is): state_get_* never reads past the
 * record, a failure is sticky (every later get fails too, so a loader may
 * check once at the end), and the loader checks every value it got
 * against its own limits before using it.
 */
#ifndef FLINT_HW_STATE_H
#define FLINT_HW_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct state_out {
	uint8_t *buf;            /* malloc'd; the caller frees it */
	size_t len, cap;
	bool failed;             /* out of memory: every later put is a no-op */
};

void state_put_u8(struct state_out *o, uint8_t v);
void state_put_u16(struct state_out *o, uint16_t v);
void state_put_u32(struct state_out *o, uint32_t v);
void state_put_u64(struct state_out *o, uint64_t v);
void state_put_bool(struct state_out *o, bool v);
void state_put_bytes(struct state_out *o, const void *p, size_t n);
void state_out_free(struct state_out *o);

struct state_in {
	const uint8_t *p;
	size_t len, off;
	const char *why;         /* NULL until the first failure: "truncated", or the loader's own */
};

static inline struct state_in state_in_make(const void *p, size_t len)
{
	return (struct state_in){ .p = p, .len = len };
}

/* Each returns false (and leaves *v at 0) once the record is exhausted or
 * has failed before. */
bool state_get_u8(struct state_in *in, uint8_t *v);
bool state_get_u16(struct state_in *in, uint16_t *v);
bool state_get_u32(struct state_in *in, uint32_t *v);
bool state_get_u64(struct state_in *in, uint64_t *v);
/* Only 0 or 1: anything else fails ("not a boolean"). */
bool state_get_bool(struct state_in *in, bool *v);
bool state_get_bytes(struct state_in *in, void *p, size_t n);
/* Marks the record bad with a loader's reason (a static string), so one
 * check at the end reports the first thing that was wrong. */
void state_fail(struct state_in *in, const char *why);
/* true when nothing failed and every byte was read ("trailing bytes"
 * otherwise): call it once after loading. */
bool state_in_done(struct state_in *in);

#endif
