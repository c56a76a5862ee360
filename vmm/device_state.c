/* Named instances in one module record (device_state.h). */
#include "device_state.h"

#include "virtio.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int save_one(const struct device_instance *v, const struct device_instance_ops *ops,
		    struct state_out *out)
{
	if (ops->save(v->obj, out) < 0)
		return -1;
	return v->transport ? virtio_mmio_save(v->transport, out) : 0;
}

static int load_one(const struct device_instance *v, const struct device_instance_ops *ops,
		    struct state_in *in, char *err, size_t errlen)
{
	if (ops->load(v->obj, in, err, errlen) < 0)
		return -1;
	return v->transport ? virtio_mmio_load(v->transport, in, err, errlen) : 0;
}

int device_state_save(const struct device_instance *v, unsigned n,
		      const struct device_instance_ops *ops, struct state_out *out)
{
	state_put_u32(out, n);
	for (unsigned i = 0; i < n; i++) {
		struct state_out sub = { 0 };
		size_t len = strlen(v[i].name);
		int r;

		if (len > DEVICE_STATE_NAME_MAX)
			return -1;
		r = save_one(&v[i], ops, &sub);
		state_put_u8(out, (uint8_t)len);
		state_put_bytes(out, v[i].name, len);
		state_put_u32(out, (uint32_t)sub.len);
		state_put_bytes(out, sub.buf, sub.len);
		if (r < 0 || sub.failed || sub.len > UINT32_MAX)
			out->failed = true;
		state_out_free(&sub);
	}
	return out->failed ? -1 : 0;
}

/* Reads one instance's name and bytes; -1 with err on a malformed record. */
static int get_instance(struct state_in *in, char *name, struct state_in *sub, char *err,
			size_t errlen)
{
	uint8_t nlen;
	uint32_t len;

	state_get_u8(in, &nlen);
	if (!in->why && (nlen == 0 || nlen > DEVICE_STATE_NAME_MAX))
		state_fail(in, "a device name of impossible length");
	if (in->why)
		nlen = 0; /* get_bytes would clear nlen bytes of name */
	state_get_bytes(in, name, nlen);
	name[nlen] = 0;
	if (!in->why && strlen(name) != nlen)
		state_fail(in, "a device name with a NUL in it");
	state_get_u32(in, &len);
	if (!in->why && len > in->len - in->off)
		state_fail(in, "truncated");
	if (in->why) {
		snprintf(err, errlen, "device record: %s", in->why);
		return -1;
	}
	*sub = state_in_make(in->p + in->off, len);
	in->off += len;
	return 0;
}

int device_state_load(const struct device_instance *v, unsigned n,
		      const struct device_instance_ops *ops, struct state_in *in, char *err,
		      size_t errlen)
{
	bool *done = calloc(n ? n : 1, sizeof(*done));
	uint32_t count;
	int r = -1;

	if (!done) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!state_get_u32(in, &count)) {
		snprintf(err, errlen, "device record: %s", in->why);
		goto out;
	}
	for (uint32_t k = 0; k < count; k++) {
		char name[DEVICE_STATE_NAME_MAX + 1], why[400];
		struct state_in sub;
		unsigned i;

		if (get_instance(in, name, &sub, err, errlen) < 0)
			goto out;
		for (i = 0; i < n && strcmp(v[i].name, name); i++)
			;
		if (i == n) {
			snprintf(err, errlen, "the snapshot has %s, which this machine lacks "
				 "(the device list differs)", name);
			goto out;
		}
		if (done[i]) {
			snprintf(err, errlen, "the snapshot has %s twice", name);
			goto out;
		}
		if (load_one(&v[i], ops, &sub, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s: %s", name, why);
			goto out;
		}
		if (!state_in_done(&sub)) {
			snprintf(err, errlen, "%s: %s", name, sub.why);
			goto out;
		}
		done[i] = true;
	}
	if (!state_in_done(in)) {
		snprintf(err, errlen, "device record: %s", in->why);
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		if (!done[i]) {
			snprintf(err, errlen, "%s missing from the snapshot (the device list differs)",
				 v[i].name);
			goto out;
		}
	}
	r = 0;
out:
	free(done);
	return r;
}

int device_state_save_module(const struct device_instance_ops *ops, void *module_state,
			     struct state_out *out)
{
	struct device_instance v[DEVICE_STATE_INSTANCES_MAX];

	return device_state_save(v, ops->instances(module_state, v), ops, out);
}

int device_state_load_module(const struct device_instance_ops *ops, void *module_state,
			     struct state_in *in, char *err, size_t errlen)
{
	struct device_instance v[DEVICE_STATE_INSTANCES_MAX];

	return device_state_load(v, ops->instances(module_state, v), ops, in, err, errlen);
}
