/*
 * virtio-blk's snapshot record (blk.h).  Version 1: u64 capacity in
 * sectors, bool read-only.  The image itself is a host resource from the
 * spec (it may be another file, e.g. a copy); the record only makes sure
 * the guest finds the disk it knew.  The drive's GET_ID string (the
 * image's file name) is not checked: a restore onto a copy is expected.
 */
#include "blk.h"

#include <stdio.h>

#include "state.h"

int virtio_blk_save(const struct virtio_blk *b, struct state_out *o)
{
	state_put_u64(o, virtio_blk_capacity(b));
	state_put_bool(o, virtio_blk_readonly(b));
	return o->failed ? -1 : 0;
}

int virtio_blk_load(struct virtio_blk *b, struct state_in *in, char *err, size_t errlen)
{
	uint64_t sectors;
	bool ro;

	state_get_u64(in, &sectors);
	state_get_bool(in, &ro);
	if (in->why) {
		snprintf(err, errlen, "%s", in->why);
		return -1;
	}
	if (sectors != virtio_blk_capacity(b)) {
		snprintf(err, errlen, "the image has %llu sectors, the snapshot's guest knows %llu "
			 "(use an image of the same size)",
			 (unsigned long long)virtio_blk_capacity(b), (unsigned long long)sectors);
		return -1;
	}
	if (ro != virtio_blk_readonly(b)) {
		snprintf(err, errlen, "the drive is %s here but was %s in the snapshot",
			 ro ? "read-write" : "read-only", ro ? "read-only" : "read-write");
		return -1;
	}
	return 0;
}
