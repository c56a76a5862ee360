#include "virtio_attach.h"

#include <errno.h>
#include <linux/virtio_mmio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "stats.h"

struct attach_queue {
	struct virtio_attach *a;
	unsigned idx;
	int efd;
	bool watched;       /* in the event loop */
	int answer;         /* the queue polled after this one completes work; -1: none */
	uint64_t tail_ns;   /* how long its poll goes on after a catch */
	struct poll_window pw;
	uint64_t rearms;    /* our own writes to efd not yet read back */
};

struct virtio_attach {
	char name[48];
	struct machine *m;
	struct virtio_mmio *t;
	struct virtio_host host;
	int irq_fd;
	int probe;          /* an epoll set holding only the loop's: is anything ready? */
	uint64_t base;      /* the virtio-mmio window and its GSI, for announce */
	unsigned gsi;
	unsigned nq;
	struct attach_queue q[];
};

/* The next virtio-mmio window; -1 when all FLINT_VIRTIO_MAX are taken. */
static int next_slot(struct machine *m, uint64_t *base, unsigned *gsi, unsigned *vector)
{
	if (m->virtio_slots == FLINT_VIRTIO_MAX)
		return -1;
	*base = FLINT_VIRTIO_MMIO_GPA + m->virtio_slots * FLINT_VIRTIO_MMIO_STRIDE;
	*gsi = FLINT_VIRTIO_GSI_BASE + m->virtio_slots;
	*vector = FLINT_VIRTIO_VECTOR_BASE + m->virtio_slots;
	m->virtio_slots++;
	return 0;
}

static void on_interrupt(void *ctx)
{
	struct virtio_attach *a = ctx;
	uint64_t one = 1;

	if (write(a->irq_fd, &one, sizeof(one)) < 0) {
		/* an eventfd write fails only on counter overflow: already pending */
	}
}

static void poke(struct attach_queue *q)
{
	uint64_t one = 1;

	if (write(q->efd, &one, sizeof(one)) < 0) {
		/* only fails on counter overflow: the queue is pending anyway */
	}
}

/*
 * A QueueNotify write the ioeventfd did not match (another width) reached
 * the register file on a vCPU: pass it to the event loop the same way, so
 * device I/O never runs on a vCPU thread (and their sandbox needs none).
 */
static void on_kick(void *ctx, unsigned qidx)
{
	struct virtio_attach *a = ctx;

	if (qidx < a->nq)
		poke(&a->q[qidx]);
}

/*
 * One bounded call of the device; re-arms the queue if it left work.
 * *completed: the chains it gave back to the driver.
 */
static bool serve(struct attach_queue *q, bool polling, uint16_t *completed)
{
	if (!virtio_mmio_serve(q->a->t, q->idx, polling, completed))
		return false;
	q->rearms++;
	poke(q);
	return true;
}

static void after_serve(struct attach_queue *q, uint16_t completed);

void virtio_attach_serve(struct virtio_attach *a, unsigned qidx)
{
	uint16_t completed;

	if (qidx < a->nq && !serve(&a->q[qidx], false, &completed))
		after_serve(&a->q[qidx], completed);
}

void virtio_attach_set_poll(struct virtio_attach *a, unsigned qidx, bool poll)
{
	if (qidx < a->nq)
		a->q[qidx].answer = poll ? (int)qidx : -1;
}

void virtio_attach_poll_after(struct virtio_attach *a, unsigned from, unsigned to)
{
	if (from < a->nq && to < a->nq) {
		a->q[from].answer = (int)to;
		a->q[to].tail_ns = VIRTIO_ATTACH_ANSWER_TAIL_NS;
	}
}

int virtio_attach_probe(struct event_loop *el)
{
	struct epoll_event e = { .events = EPOLLIN };
	int fd = epoll_create1(EPOLL_CLOEXEC);

	if (fd >= 0 && epoll_ctl(fd, EPOLL_CTL_ADD, el->epfd, &e) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Anything for the event loop: a stop, a signal, another device's
 * descriptor.  Asked of the probe, not of the loop's own set: an
 * epoll_wait there would take the event (and an edge-triggered tap's
 * would be lost), while the probe only sees that one is waiting.
 */
static bool loop_wants_thread(struct event_loop *el, int probe)
{
	struct epoll_event e;

	return el->done || epoll_wait(probe, &e, 1, 0) != 0;
}

struct poll_outcome virtio_attach_poll(struct event_loop *el, int probe, const atomic_bool *stopping,
				       uint64_t window_ns, uint64_t tail_ns, enum poll_serve (*fn)(void *ctx),
				       void *ctx)
{
	uint64_t now = stats_now_ns(), end = now + window_ns, check = now + VIRTIO_ATTACH_CHECK_NS;
	struct poll_outcome o = { 0 };

	for (;;) {
		enum poll_serve r;

		if (atomic_load_explicit(stopping, memory_order_relaxed) || el->done) {
			o.cut = true;
			break;
		}
		now = stats_now_ns();
		if (o.calls && now >= end) /* the first call is always made */
			break;
		if (now >= check) {
			if (loop_wants_thread(el, probe)) {
				o.cut = true;
				break;
			}
			check = now + VIRTIO_ATTACH_CHECK_NS;
		}
		o.calls++;
		r = fn(ctx);
		if (r == POLL_IDLE)
			continue;
		o.caught = true;
		if (r == POLL_LEFT_WORK) {
			o.left_work = true;
			break;
		}
		/*
		 * The guest is answering: a stream's next request follows within
		 * microseconds, so a short tail from here catches it; a lone
		 * answer (an echo) has nothing behind it, and a full window more
		 * would only spin.
		 */
		now = stats_now_ns();
		end = now + tail_ns;
	}
	return o;
}

static enum poll_serve serve_cb(void *ctx)
{
	uint16_t completed;

	if (serve(ctx, true, &completed))
		return POLL_LEFT_WORK;
	return completed ? POLL_CAUGHT : POLL_IDLE;
}

/*
 * Keeps serving q for a moment before going back to epoll, after a call
 * (on q or on the queue q answers) that gave the driver `completed`
 * chains: a guest with requests in flight submits the next ones within
 * microseconds, and catching them here saves an eventfd round trip and a
 * wake-up each (QEMU's aio polling does the same).  Measured with
 * blkbench at queue depth 8: 64 KiB sequential reads 5.2 -> 8.8 GB/s with
 * a fixed 100 us, 7.5 GB/s with 30 us.  How long is q's own
 * (poll_window.h): it grows while polls catch work and closes when they
 * do not.  The poll ends as soon as the VM is stopping, the loop has any
 * descriptor ready (a stop, a signal, a tap, another queue), or the
 * device leaves work (then it is re-armed).
 */
static void poll_queue(struct attach_queue *q, uint16_t completed)
{
	struct machine *m = q->a->m;
	struct poll_outcome o;
	uint64_t window = poll_window_begin(&q->pw, stats_now_ns(), completed);

	if (!window)
		return;
	o = virtio_attach_poll(&m->el, q->a->probe, &m->vm.stopping, window,
			       window < q->tail_ns ? window : q->tail_ns, serve_cb, q);
	poll_window_end(&q->pw, stats_now_ns(), o.caught, o.cut);
	/* Notifies were off while it polled: on again, and a last look. */
	if (!o.left_work)
		serve(q, false, NULL);
}

static void after_serve(struct attach_queue *q, uint16_t completed)
{
	if (q->answer >= 0)
		poll_queue(&q->a->q[q->answer], completed);
}

/* A queue's eventfd fired: the guest notified (or we re-armed it). */
static void on_queue(void *ctx, uint32_t events)
{
	struct attach_queue *q = ctx;
	struct machine *m = q->a->m;
	uint64_t kicks;
	uint16_t completed;

	(void)events;
	if (read(q->efd, &kicks, sizeof(kicks)) != sizeof(kicks))
		return;
	if (kicks > q->rearms) {
		if (m->vm.stats) /* main thread only */
			m->vm.stats->ioeventfd_notifies += kicks - q->rearms;
		poll_window_notified(&q->pw, stats_now_ns());
	}
	q->rearms = 0;
	if (!serve(q, false, &completed))
		after_serve(q, completed);
}

struct virtio_attach *virtio_attach(struct machine *m, const char *name, const struct virtio_dev_ops *ops,
				    void *dev, char *err, size_t errlen)
{
	struct virtio_attach *a;
	uint64_t base;
	unsigned gsi, vector;

	if (!ops || !ops->num_queues) {
		snprintf(err, errlen, "[%s]: device has no queues (a bug in flint)", name);
		return NULL;
	}
	a = calloc(1, sizeof(*a) + ops->num_queues * sizeof(a->q[0]));
	if (!a) {
		snprintf(err, errlen, "[%s]: out of memory", name);
		return NULL;
	}
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->m = m;
	a->nq = ops->num_queues;
	a->irq_fd = -1;
	a->probe = -1;
	for (unsigned i = 0; i < a->nq; i++)
		a->q[i] = (struct attach_queue){ .a = a, .idx = i, .efd = -1, .answer = (int)i,
						 .tail_ns = VIRTIO_ATTACH_TAIL_NS };
	if (next_slot(m, &base, &gsi, &vector) < 0) {
		snprintf(err, errlen, "[%s]: too many virtio devices (at most %d in all)", a->name, FLINT_VIRTIO_MAX);
		goto fail;
	}
	a->host = (struct virtio_host){ .ctx = a, .interrupt = on_interrupt, .kick = on_kick };
	a->t = virtio_mmio_create(&m->vm.mem, a->name, ops, dev, &a->host);
	a->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	a->probe = virtio_attach_probe(&m->el);
	if (!a->t || a->irq_fd < 0 || a->probe < 0) {
		snprintf(err, errlen, "[%s]: %s", a->name, strerror(errno));
		goto fail;
	}
	if (bus_register(&m->vm.mmio, base, VIRTIO_MMIO_REGION_SIZE, a->name, &virtio_mmio_bus_ops, a->t) < 0) {
		snprintf(err, errlen, "[%s]: cannot place it at 0x%llx: %s", a->name,
			 (unsigned long long)base, strerror(errno));
		goto fail;
	}
	/*
	 * Bound now, not when the driver starts a queue: the first ioeventfd
	 * starts an SRCU grace period that VM teardown would otherwise wait
	 * for (docs/ARCHITECTURE.md), and the transport ignores notifies for
	 * queues that are not live.
	 */
	for (unsigned i = 0; i < a->nq; i++) {
		struct attach_queue *q = &a->q[i];

		q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (q->efd < 0) {
			snprintf(err, errlen, "[%s]: eventfd: %s", a->name, strerror(errno));
			goto fail;
		}
		if (vm_ioeventfd(&m->vm, base + VIRTIO_MMIO_QUEUE_NOTIFY, 4, i, q->efd, err, errlen) < 0)
			goto fail;
		if (ev_add(&m->el, q->efd, EPOLLIN, on_queue, q) < 0) {
			snprintf(err, errlen, "[%s]: event loop: %s", a->name, strerror(errno));
			goto fail;
		}
		q->watched = true;
	}
	if (vm_irq_msi(&m->vm, gsi, vector, a->irq_fd, err, errlen) < 0)
		goto fail;
	a->base = base;
	a->gsi = gsi;
	return a;
fail:
	virtio_attach_destroy(a);
	return NULL;
}

int virtio_attach_announce(const struct virtio_attach *a, struct machine *m, char *err, size_t errlen)
{
	if (machine_add_param(m, "virtio_mmio.device=%u@0x%llx:%u", (unsigned)VIRTIO_MMIO_REGION_SIZE,
			      (unsigned long long)a->base, a->gsi) < 0) {
		snprintf(err, errlen, "[%s]: kernel command line full", a->name);
		return -1;
	}
	return 0;
}

struct virtio_mmio *virtio_attach_transport(const struct virtio_attach *a)
{
	return a->t;
}

int virtio_attach_fds(const struct virtio_attach *a, int *fds, int max)
{
	int n = 0;

	if (VIRTIO_ATTACH_FDS(a->nq) > max)
		return 0;
	fds[n++] = a->irq_fd;
	fds[n++] = a->probe;
	for (unsigned i = 0; i < a->nq; i++)
		fds[n++] = a->q[i].efd;
	return n;
}

void virtio_attach_destroy(struct virtio_attach *a)
{
	if (!a)
		return;
	/* The bus keeps no pointer past the VM's end, and the vCPUs that
	 * could dispatch to it have stopped (or never started). */
	if (a->t)
		virtio_mmio_destroy(a->t);
	for (unsigned i = 0; i < a->nq; i++) {
		if (a->q[i].watched)
			ev_del(&a->m->el, a->q[i].efd);
		if (a->q[i].efd >= 0)
			close(a->q[i].efd);
	}
	if (a->irq_fd >= 0)
		close(a->irq_fd);
	if (a->probe >= 0)
		close(a->probe);
	free(a);
}
