/*
 * virtio-blk over a raw image file (virtio 1.2 §5.2).  One drive per
 * struct; the transport calls its queue handler on the serving thread.
 */
#ifndef FLINT_VIRTIO_BLK_H
#define FLINT_VIRTIO_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio.h"

struct virtio_blk;

/*
 * Opens the image (read-only if asked: then the guest sees VIRTIO_BLK_F_RO
 * and every write fails with IOERR) and takes an advisory OFD lock on it:
 * a write lock when read-write, a read lock when read-only, so two monitors
 * never share an image unless both only read it.  A size that is not a
 * multiple of 512 is rounded down (the tail is invisible to the guest).
 * On failure returns NULL with one line in err, e.g.
 *     image data.img is in use by another VM (locked)
 */
struct virtio_blk *virtio_blk_open(const char *path, bool readonly, char *err, size_t errlen);
void virtio_blk_close(struct virtio_blk *b);

uint64_t virtio_blk_capacity(const struct virtio_blk *b); /* in 512-byte sectors */
bool virtio_blk_readonly(const struct virtio_blk *b);
/* The image's descriptor, which the sandbox must keep open. */
int virtio_blk_fd(const struct virtio_blk *b);

struct state_out;
struct state_in;

/*
 * Snapshot record (virtio/blk_state.c): what the guest learnt of the
 * image (its size, whether it is read-only), so a restore onto an image
 * the guest would see differently is refused; load changes nothing.  A
 * request in progress is never in it: the transport's save finishes it
 * first (virtio_dev_ops.quiesce).
 */
int virtio_blk_save(const struct virtio_blk *b, struct state_out *out);
int virtio_blk_load(struct virtio_blk *b, struct state_in *in, char *err, size_t errlen);

/* The ops table for virtio_mmio_create(..., &virtio_blk_ops, blk, ...). */
extern const struct virtio_dev_ops virtio_blk_ops;

#endif
