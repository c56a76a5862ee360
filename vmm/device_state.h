/*
 * A device module's snapshot record, as a list of named instances
 * ("drive.root", "net.n0", "console"), so a record from a machine with
 * another device list is refused by name, never loaded into the wrong
 * device.  Record (hw/state.h): u32 count, then per instance u8 name
 * length, the name, u32 length and that many bytes of the instance's own
 * record.  Each instance is loaded from exactly its own bytes.  A virtio
 * instance's part is its device model's record, then its transport's
 * (virtio_mmio_save, which finishes requests in flight first).
 */
#ifndef FLINT_DEVICE_STATE_H
#define FLINT_DEVICE_STATE_H

#include <stddef.h>

#include "state.h"

#define DEVICE_STATE_NAME_MAX 63
#define DEVICE_STATE_INSTANCES_MAX 16 /* per module */

struct virtio_mmio;

struct device_instance {
	const char *name;
	void *obj;                     /* the device model */
	struct virtio_mmio *transport; /* its virtio-mmio transport, or NULL */
};

/* The device model's record (not the transport's). */
struct device_instance_ops {
	int (*save)(void *obj, struct state_out *out);
	/* err names no instance: the caller prefixes "name: ". */
	int (*load)(void *obj, struct state_in *in, char *err, size_t errlen);
	/* For the module helpers below: fills v with the module's
	 * instances (at most DEVICE_STATE_INSTANCES_MAX), returns how many. */
	unsigned (*instances)(void *module_state, struct device_instance *v);
};

/* 0, or -1 (out of memory, or an instance's save failed). */
int device_state_save(const struct device_instance *v, unsigned n,
		      const struct device_instance_ops *ops, struct state_out *out);
/*
 * Loads every instance in v from its part of the record, matched by
 * name, in whatever order the record has them.  -1 with err such as
 * "drive.root missing from the snapshot", "the snapshot has net.n1,
 * which this machine lacks", "net.n0: MAC differs (...)".  A failed load
 * may have loaded some instances: the machine is then torn down.
 */
int device_state_load(const struct device_instance *v, unsigned n,
		      const struct device_instance_ops *ops, struct state_in *in, char *err,
		      size_t errlen);

/* A device module's save and load hooks, over ops->instances(module_state). */
int device_state_save_module(const struct device_instance_ops *ops, void *module_state,
			     struct state_out *out);
int device_state_load_module(const struct device_instance_ops *ops, void *module_state,
			     struct state_in *in, char *err, size_t errlen);

#endif
