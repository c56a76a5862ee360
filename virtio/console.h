/*
 * virtio-console (virtio 1.2 §5.3), one port, no multiport: queue 0
 * receives (host input -> guest), queue 1 transmits (guest -> host
 * output).  The device reads and writes two host descriptors it is given
 * and never opens, watches or polls them itself: the monitor
 * (vmm/vconsole.c) makes them non-blocking, watches them, and serves
 * VIRTIO_CONSOLE_RXQ when the input is readable and VIRTIO_CONSOLE_TXQ
 * when a blocked output is writable again.  So it is testable with pipes.
 *
 * End of input: a single-port virtio console has no way to say it (only
 * multiport's PORT_OPEN does), so this device returns one receive buffer
 * with length 0 once its input has ended, and takes no buffer after
 * that.  A driver that knows the convention (guest-kernel's) reads end of
 * file there; Linux's hvc driver just recycles the empty buffer.
 *
 * Nothing is lost on the way in: input that arrives while the guest has
 * posted no receive buffer stays in the host descriptor (a pipe holds
 * it; the writer blocks) until a buffer comes.  On the way out the guest
 * waits for a reader that is slow (its transmit buffers come back only
 * once written); output is dropped, and counted, only after a write
 * error (a reader that left) and for the unwritten rest of one buffer
 * when a snapshot is taken while the reader is stalled.
 */
#ifndef FLINT_VIRTIO_CONSOLE_H
#define FLINT_VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio.h"

#define VIRTIO_CONSOLE_RXQ 0
#define VIRTIO_CONSOLE_TXQ 1
/* Chains one queue_notify call serves at most before it says "more". */
#define VIRTIO_CONSOLE_BUDGET 64
/* One receive buffer takes at most this much per read. */
#define VIRTIO_CONSOLE_READ_MAX (1u << 20)

struct virtio_console_params {
	int in_fd;   /* -1: no input, the guest reads end of file at once */
	int out_fd;  /* -1: output is taken and discarded */
	void *ctx;
	/* out_fd would block: serve VIRTIO_CONSOLE_TXQ again once it is writable. */
	void (*out_blocked)(void *ctx);
	/* Writing failed with errno err: the rest of the output is dropped.  Once. */
	void (*out_failed)(void *ctx, int err);
	/* The input ended (end of file or a read error): stop watching in_fd.  Once. */
	void (*in_done)(void *ctx);
};

/* Counters, written only by the serving thread; read after the run. */
struct virtio_console_stats {
	uint64_t in_bytes, out_bytes;
	uint64_t out_dropped;   /* guest output bytes lost (write error, or a save while blocked) */
	uint64_t out_blocked;   /* times output waited for its reader */
	uint64_t rx_no_buffer;  /* times input waited for the guest's receive buffers */
	int out_errno, in_errno;
};

struct virtio_console;

/*
 * Both descriptors stay the caller's; each must be -1, non-blocking, or a
 * regular file.  NULL with errno EINVAL (a blocking pipe, say) or ENOMEM.
 */
struct virtio_console *virtio_console_create(const struct virtio_console_params *p);
void virtio_console_destroy(struct virtio_console *c);
const struct virtio_console_stats *virtio_console_stats(const struct virtio_console *c);
/* The end of input has been given to the guest (or there was no input). */
bool virtio_console_input_ended(const struct virtio_console *c);

struct state_out;
struct state_in;

/*
 * Snapshot record (virtio/console_state.c): the features and config
 * space the guest saw; load refuses a device that differs and changes
 * nothing.  No request lives between handler calls once quiesced; the
 * input stream is the restoring process's own (its stdin).
 */
int virtio_console_save(struct virtio_console *c, struct state_out *out);
int virtio_console_load(struct virtio_console *c, struct state_in *in, char *err, size_t errlen);

extern const struct virtio_dev_ops virtio_console_ops;

#endif
