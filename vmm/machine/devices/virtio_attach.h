/*
 * One virtio device attached to the VM: the path every virtio device
 * module (vmm/machine/devices/drive.c, vmm/machine/devices/net.c) goes through, so none of them does the
 * plumbing itself.  virtio_attach() places the device in the next
 * virtio-mmio window (base address, GSI, MSI vector: this file owns the
 * numbering), creates its transport, gives each of ops->num_queues queues
 * an eventfd bound as the QueueNotify ioeventfd and served by the event
 * loop, and asks vm.c for the interrupt route (set once, vm_commit_irqs).
 * The boot door announces the device on the guest's command line
 * (virtio_attach_announce, from the module's announce hook); a restore
 * does not, the guest already knows it.
 *
 * Serving a queue (the event loop, main thread): one call of the device's
 * handler; when it says it left work (virtio_dev_ops.queue_notify returned
 * true) the queue is re-armed by writing its own eventfd, so the loop
 * serves the stop eventfd and signalfd, and every other device, before it
 * comes back.  After a handler that drained its queue, the queue is polled
 * for up to VIRTIO_ATTACH_POLL_NS (guests with requests in flight send the
 * next within microseconds), but never while the VM is stopping or a stop
 * or signal waits: the window checks vm->stopping at every turn and the
 * loop's urgent descriptors every VIRTIO_ATTACH_CHECK_NS.
 */
#ifndef FLINT_VIRTIO_ATTACH_H
#define FLINT_VIRTIO_ATTACH_H

#include <stddef.h>

#include "machine.h"
#include "virtio.h"

#define VIRTIO_ATTACH_POLL_NS 50000
/*
 * How often the window asks whether a stop or signal waits: one
 * epoll_wait with no timeout, measured at 4.7 us on the development host
 * (200000 calls in a loop; any system call costs ~4.4 us there), so a
 * 10 us interval would spend half the window asking.
 * Every 25 us is one question per 50 us window; a signal then waits 25 us
 * at most, a stop (vm->stopping, a plain load) not at all.
 */
#define VIRTIO_ATTACH_CHECK_NS 25000

struct virtio_attach;

/*
 * Attaches (ops, dev) under `name` ("drive.data", for messages; copied).
 * dev must outlive the attachment.  NULL with err set on failure, with
 * everything it made undone.
 */
struct virtio_attach *virtio_attach(struct machine *m, const char *name, const struct virtio_dev_ops *ops,
				    void *dev, char *err, size_t errlen);
struct virtio_mmio *virtio_attach_transport(const struct virtio_attach *a);
/* "virtio_mmio.device=SIZE@BASE:GSI" on the guest's command line (boot only). */
int virtio_attach_announce(const struct virtio_attach *a, struct machine *m, char *err, size_t errlen);
/* Serves queue qidx now (a descriptor the device reads from became ready,
 * e.g. a tap), on the event loop's thread, with the same re-arm rule. */
void virtio_attach_serve(struct virtio_attach *a, unsigned qidx);
/*
 * Whether queue qidx gets the poll window after a notify (default: yes).
 * Off for a queue whose work comes from a host descriptor the loop already
 * watches (virtio-net RX: the tap), where polling would only ask the tap
 * again and again.
 */
void virtio_attach_set_poll(struct virtio_attach *a, unsigned qidx, bool poll);
/* The descriptors the attachment needs once the guest runs; returns how
 * many it wrote (all or none). */
int virtio_attach_fds(const struct virtio_attach *a, int *fds, int max);
/* After the vCPUs have stopped; NULL is ignored. */
void virtio_attach_destroy(struct virtio_attach *a);

/*
 * The poll window on its own (tests drive it without KVM): calls
 * serve(ctx) until window_ns have passed, *stopping is set, el is done or
 * has an urgent descriptor ready (checked every VIRTIO_ATTACH_CHECK_NS),
 * or serve returns true (work left: it re-armed).  Returns the calls made.
 */
uint64_t virtio_attach_poll(struct event_loop *el, const atomic_bool *stopping, uint64_t window_ns,
			    bool (*serve)(void *ctx), void *ctx);

#endif
