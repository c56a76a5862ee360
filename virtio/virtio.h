/*
 * virtio devices and the virtio-mmio transport (version 2, virtio 1.2
 * §4.2.2).  A device (blk, net, console) is one virtio_dev_ops table and
 * never sees a transport register; the transport never looks inside a
 * request.  The monitor connects the transport to KVM through virtio_host.
 */
#ifndef FLINT_VIRTIO_H
#define FLINT_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "guest_mem.h"
#include "queue.h"

/* The register window of one virtio-mmio device (config space included). */
#define VIRTIO_MMIO_REGION_SIZE 0x200

struct virtio_dev_ops {
	const char *name;        /* "virtio-blk", for messages */
	uint32_t device_id;      /* VIRTIO_ID_* */
	uint16_t num_queues;
	uint16_t queue_max;      /* power of two, at most VIRTQ_SIZE_MAX */
	uint32_t config_size;    /* bytes of device config space */
	/*
	 * Device-specific feature bits offered (per instance: a read-only
	 * drive offers VIRTIO_BLK_F_RO).  The transport adds VERSION_1,
	 * INDIRECT_DESC and RING_EVENT_IDX itself.
	 */
	uint64_t (*features)(void *dev);
	/* off + len <= config_size, checked by the transport. */
	void (*config_read)(void *dev, uint32_t off, uint8_t *data, uint32_t len);
	void (*config_write)(void *dev, uint32_t off, const uint8_t *data, uint32_t len); /* or NULL */
	/*
	 * The driver made buffers available on q.  Runs on the thread that
	 * called virtio_mmio_notify(), never concurrently for the same queue.
	 * The device pops, serves, pushes, then virtq_notify_driver(q).
	 * A handler serves a bounded amount of work per call (so the event
	 * loop's stop and signal descriptors are never starved) and returns
	 * true when it stopped with work left: the caller must call again
	 * soon, after serving its other events.  false: the queue is drained
	 * (or the device is waiting for the guest).
	 */
	bool (*queue_notify)(void *dev, struct virtq *q);
	void (*reset)(void *dev); /* or NULL; no queue handler is running */
	/*
	 * Before a snapshot (virtio_mmio_save): finish every request the
	 * device has taken from q and not yet returned, popping nothing new,
	 * so no half-served request is ever saved.  Runs like queue_notify,
	 * on a live queue only.  NULL: the device never keeps a request
	 * across handler calls.
	 */
	void (*quiesce)(void *dev, struct virtq *q);
};

/*
 * What the monitor provides.  Every hook may be NULL.  queue_live and
 * interrupt run with the transport's lock held: they must not call back
 * into the transport.  kick runs without it.
 */
struct virtio_host {
	void *ctx;
	/*
	 * Queue qidx starts (live = true, at DRIVER_OK) or stops (reset, a
	 * violation, FAILED): for a monitor that wants to know.  Flint's
	 * (vmm/machine/devices/virtio_attach.c) leaves it NULL: it binds every queue's
	 * ioeventfd when the device is created and keeps it bound (binding
	 * later would make VM teardown wait for an SRCU grace period), and
	 * the transport itself ignores notifies for queues that are not live.
	 * Returning -1 on start fails the device (DEVICE_NEEDS_RESET).
	 */
	int (*queue_live)(void *ctx, unsigned qidx, bool live);
	/* Raise the device's interrupt (the monitor pulses its irqfd). */
	void (*interrupt)(void *ctx);
	/*
	 * A QueueNotify write reached the register file (no ioeventfd took
	 * it).  NULL: the vCPU runs virtio_mmio_notify() itself.  Set it to
	 * hand the work to the event loop (e.g. write the queue's eventfd).
	 */
	void (*kick)(void *ctx, unsigned qidx);
};

struct virtio_mmio;

/*
 * One device behind one register window.  name labels log lines
 * ("drive.root").  m, ops, dev and host must outlive the transport.
 * Returns NULL (errno EINVAL) if ops is malformed, ENOMEM.
 */
struct virtio_mmio *virtio_mmio_create(const struct guest_mem *m, const char *name,
				       const struct virtio_dev_ops *ops, void *dev,
				       const struct virtio_host *host);
/* Frees t; the monitor has stopped its vCPUs and notify threads before. */
void virtio_mmio_destroy(struct virtio_mmio *t);

/* Register with bus_register(mmio, base, VIRTIO_MMIO_REGION_SIZE, name, &this, t). */
extern const struct bus_ops virtio_mmio_bus_ops;

/*
 * The queue's ioeventfd fired: serve it (from the event loop or an I/O
 * thread, not a vCPU).  Does nothing unless the queue is live and the
 * device is DRIVER_OK and not failed.  Returns the handler's answer: true
 * when it left work for another call.
 */
bool virtio_mmio_notify(struct virtio_mmio *t, unsigned qidx);
/*
 * The same for a monitor that polls the queue (vmm/machine/devices/virtio_attach.c):
 * `polling` says it will call again soon without a notify, so the driver
 * is not asked for one (struct virtq's `polled`; the poll's last call
 * passes false), and *completed (may be NULL) says how many chains the
 * handler gave back to the driver: whether the poll caught work.
 */
bool virtio_mmio_serve(struct virtio_mmio *t, unsigned qidx, bool polling, uint16_t *completed);

struct state_out;
struct state_in;

/*
 * The transport's guest-visible state as a snapshot record (hw/state.h,
 * virtio/mmio_state.c): status, features, selectors, ISR and each
 * queue's registers and ring indices.  save first lets the device finish
 * what it has started (ops->quiesce), so it may write guest memory; no
 * handler may run meanwhile.  Returns 0, or -1 when out of memory.
 */
int virtio_mmio_save(struct virtio_mmio *t, struct state_out *out);
/*
 * Into a transport fresh from virtio_mmio_create (same ops, guest memory
 * mapped) before anything else touches it.  Checks everything and
 * changes nothing unless all of it fits: -1 with the reason in err
 * ("queue 0: size 3 is not a power of two ...").  Then it asks the host
 * (hooks.kick) to serve each live queue once, and the first notify
 * raises the interrupt again if the driver had not acknowledged it, so
 * nothing waits for a kick or an interrupt the snapshot swallowed.  With
 * no kick hook the caller calls virtio_mmio_notify for each queue itself.
 */
int virtio_mmio_load(struct virtio_mmio *t, struct state_in *in, char *err, size_t errlen);

/* Device status as the driver reads it (for tests and diagnostics). */
uint32_t virtio_mmio_status(struct virtio_mmio *t);

#endif
