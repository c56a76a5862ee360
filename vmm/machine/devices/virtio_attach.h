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
 * comes back.  After a handler that drained its queue and gave the driver
 * something back, the queue may be polled for a while (its window,
 * poll_window.h: guests with requests in flight send the next within
 * microseconds), but never while the VM is stopping or the loop has
 * anything else to do: the poll checks vm->stopping at every turn and the
 * loop's descriptors every VIRTIO_ATTACH_CHECK_NS.
 */
#ifndef FLINT_VIRTIO_ATTACH_H
#define FLINT_VIRTIO_ATTACH_H

#include <stddef.h>

#include "machine.h"
#include "poll_window.h"
#include "virtio.h"

/*
 * How often a poll asks whether the event loop has anything ready (a stop,
 * a signal, a tap, another queue): one poll() on its epoll descriptor,
 * 0.4 us on the KVM host of 2026-12 (0.16 us for epoll_wait), so asking
 * every 2 us keeps a tap's frame from waiting behind a transmit queue's
 * poll while spending a fifth of the spin asking.
 */
#define VIRTIO_ATTACH_CHECK_NS 2000
/* How long a poll goes on after it caught work (at most its window). */
#define VIRTIO_ATTACH_TAIL_NS 10000
/*
 * The same for a queue polled for answers (virtio_attach_poll_after): an
 * answer's frames leave together, and spinning on after them took the
 * core an HTTP client needed (keep-alive 0.88x QEMU with the 10 us tail).
 */
#define VIRTIO_ATTACH_ANSWER_TAIL_NS 2000

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
/*
 * Chains completed on queue `from` are answered on queue `to`: poll `to`
 * (with its own window) after them, instead of `from`.  virtio-net: a
 * frame delivered on RX is answered on TX (an echo, a response, an ACK)
 * within microseconds, and the poll takes it without a notify and a
 * wake-up of this thread.  `to`'s poll stops VIRTIO_ATTACH_ANSWER_TAIL_NS
 * after a catch.
 */
void virtio_attach_poll_after(struct virtio_attach *a, unsigned from, unsigned to);
/* The descriptors the attachment needs once the guest runs; returns how
 * many it wrote (all or none): VIRTIO_ATTACH_FDS(queues) of them. */
#define VIRTIO_ATTACH_FDS(nq) ((int)(nq) + 2) /* the irqfd, the poll's probe, a notify per queue */
int virtio_attach_fds(const struct virtio_attach *a, int *fds, int max);
/* After the vCPUs have stopped; NULL is ignored. */
void virtio_attach_destroy(struct virtio_attach *a);

/*
 * The poll on its own (tests drive it without KVM): calls serve(ctx) until
 * window_ns pass without it catching work (after a catch, until tail_ns
 * pass without another: the attach path gives VIRTIO_ATTACH_TAIL_NS),
 * *stopping is set or el is done (cut), el has a descriptor
 * ready (probe says so), checked every VIRTIO_ATTACH_CHECK_NS (cut), or
 * serve says it left work (it re-armed: caught, and the poll ends).
 */
enum poll_serve {
	POLL_IDLE,       /* nothing to do */
	POLL_CAUGHT,     /* served work, the queue is drained again */
	POLL_LEFT_WORK,  /* served work and re-armed the queue for the rest */
};
struct poll_outcome {
	uint64_t calls;
	bool caught, cut;
	bool left_work;  /* ended by POLL_LEFT_WORK */
};
struct poll_outcome virtio_attach_poll(struct event_loop *el, int probe, const atomic_bool *stopping,
				       uint64_t window_ns, uint64_t tail_ns, enum poll_serve (*serve)(void *ctx),
				       void *ctx);
/* The probe virtio_attach_poll asks: a new epoll set watching el's (-1 on failure). */
int virtio_attach_probe(struct event_loop *el);

#endif
