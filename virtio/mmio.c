/*
 * virtio-mmio version 2 register file: one switch over the VIRTIO_MMIO_*
 * offsets.  Everything device-specific goes through virtio_dev_ops.
 *
 * Locking, the rule every access follows (make check runs a racing test
 * of it under ThreadSanitizer, tests/unit/test_mmio_race.c):
 *
 *  - `lock` guards the transport: every read and write of a register, of
 *    a vq_slot field, and of a queue's set-up (virtq_init, reset's clear,
 *    and `halt`) happens with it held.  vCPUs take it for every access,
 *    the serving thread for interrupts and failures.
 *  - Each queue also has `run`, held by the serving thread while the
 *    device serves that queue (virtio_mmio_notify).  That thread reads and
 *    writes the queue's ring state (struct virtq) without `lock`: nobody
 *    else touches it while a handler may run, because set-up is refused
 *    once DRIVER_OK is set, the handler runs only when it is, and the only
 *    way out of DRIVER_OK is reset, which takes `run` before it clears the
 *    queue.
 *  - `halt` is the one field written while a handler runs: reset stores it
 *    (atomic release, under `lock`) before it waits for `run`, and the
 *    handler loads it (atomic acquire) at each pop, so a reset waits for
 *    one bounded slice at most.
 *
 * Order: run, then lock.
 */
#include "virtio.h"
#include "mmio_impl.h"

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#define MMIO_MAGIC 0x74726976u   /* "virt" */
#define MMIO_VENDOR 0x544e4c46u  /* "FLNT" */

static void logmsg(struct virtio_mmio *t, bool *once, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void logmsg(struct virtio_mmio *t, bool *once, const char *fmt, ...)
{
	va_list ap;

	if (*once)
		return;
	*once = true;
	fprintf(stderr, "flint: %s (%s): ", t->name, t->ops->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (further such messages from this device are suppressed)\n");
}

static void raise_irq_locked(struct virtio_mmio *t, uint32_t why)
{
	t->isr |= why;
	if (t->host.interrupt)
		t->host.interrupt(t->host.ctx);
}

static void stop_queue_locked(struct virtio_mmio *t, struct vq_slot *s)
{
	if (!s->live)
		return;
	s->live = false;
	if (t->host.queue_live)
		t->host.queue_live(t->host.ctx, s->index, false);
}

/* DEVICE_NEEDS_RESET; the driver hears of it if it is already running. */
static void fail_locked(struct virtio_mmio *t, const char *why)
{
	logmsg(t, &t->logged_violation, "%s; device needs reset", why);
	if (t->status & S_NEEDS_RESET)
		return;
	t->status |= S_NEEDS_RESET;
	if (t->status & S_DRIVER_OK)
		raise_irq_locked(t, VIRTIO_MMIO_INT_CONFIG);
}

/* virtq hooks: called by the serving thread with the slot's run lock held. */
static void queue_failed(void *ctx, struct virtq *q, const char *why)
{
	struct vq_slot *s = ctx;
	struct virtio_mmio *t = s->t;
	char msg[200];

	snprintf(msg, sizeof(msg), "queue %u: %s", q->index, why);
	pthread_mutex_lock(&t->lock);
	stop_queue_locked(t, s);
	fail_locked(t, msg);
	pthread_mutex_unlock(&t->lock);
}

static void queue_interrupt(void *ctx, struct virtq *q)
{
	struct vq_slot *s = ctx;
	struct virtio_mmio *t = s->t;

	(void)q;
	pthread_mutex_lock(&t->lock);
	if (s->live)
		raise_irq_locked(t, VIRTIO_MMIO_INT_VRING);
	pthread_mutex_unlock(&t->lock);
}

struct virtio_mmio *virtio_mmio_create(const struct guest_mem *m, const char *name,
				       const struct virtio_dev_ops *ops, void *dev,
				       const struct virtio_host *host)
{
	struct virtio_mmio *t;
	uint64_t transport_bits = ((1ull << (VIRTIO_TRANSPORT_F_END - VIRTIO_TRANSPORT_F_START)) - 1)
				  << VIRTIO_TRANSPORT_F_START;

	if (!m || !ops || !ops->queue_notify || !ops->config_read || ops->num_queues == 0 ||
	    ops->queue_max == 0 || ops->queue_max > VIRTQ_SIZE_MAX ||
	    (ops->queue_max & (ops->queue_max - 1)) ||
	    ops->config_size > VIRTIO_MMIO_REGION_SIZE - VIRTIO_MMIO_CONFIG) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t) + ops->num_queues * sizeof(t->q[0]));
	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	t->mem = m;
	t->name = name ? name : ops->name;
	t->ops = ops;
	t->dev = dev;
	if (host)
		t->host = *host;
	t->offered = (ops->features ? ops->features(dev) & ~transport_bits : 0) |
		     1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_RING_F_INDIRECT_DESC |
		     1ull << VIRTIO_RING_F_EVENT_IDX;
	for (unsigned i = 0; i < ops->num_queues; i++) {
		pthread_mutex_init(&t->q[i].run, NULL);
		t->q[i].t = t;
		t->q[i].index = i;
	}
	return t;
}

void virtio_mmio_destroy(struct virtio_mmio *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < t->ops->num_queues; i++)
		pthread_mutex_destroy(&t->q[i].run);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

uint32_t virtio_mmio_status(struct virtio_mmio *t)
{
	uint32_t s;

	pthread_mutex_lock(&t->lock);
	s = t->status;
	pthread_mutex_unlock(&t->lock);
	return s;
}

/*
 * Writing 0 to Status.  Asks running handlers to stop at their next pop,
 * waits for them, then forgets every queue: after this returns the device
 * touches no guest memory until the driver sets it up again.
 */
static void reset(struct virtio_mmio *t)
{
	unsigned n = t->ops->num_queues;

	/*
	 * Under `lock`: another vCPU's queue set-up (virtq_init) writes the
	 * same struct.  Released before waiting for `run`: the handler takes
	 * `lock` to raise interrupts, so holding it here could deadlock.
	 */
	pthread_mutex_lock(&t->lock);
	for (unsigned i = 0; i < n; i++)
		__atomic_store_n(&t->q[i].q.halt, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&t->lock);
	for (unsigned i = 0; i < n; i++)
		pthread_mutex_lock(&t->q[i].run);
	pthread_mutex_lock(&t->lock);
	for (unsigned i = 0; i < n; i++) {
		struct vq_slot *s = &t->q[i];

		stop_queue_locked(t, s);
		s->num = 0;
		s->desc = s->avail = s->used = 0;
		s->ready = false;
		memset(&s->q, 0, sizeof(s->q));
	}
	t->driver_features = 0;
	t->dev_features_sel = t->drv_features_sel = t->queue_sel = 0;
	t->status = 0;
	t->isr = 0;
	if (t->ops->reset)
		t->ops->reset(t->dev);
	pthread_mutex_unlock(&t->lock);
	for (unsigned i = n; i-- > 0;)
		pthread_mutex_unlock(&t->q[i].run);
}

static void go_live_locked(struct virtio_mmio *t)
{
	for (unsigned i = 0; i < t->ops->num_queues; i++) {
		struct vq_slot *s = &t->q[i];
		char msg[64];

		if (!s->ready || s->live)
			continue;
		s->live = true;
		if (t->host.queue_live && t->host.queue_live(t->host.ctx, i, true) < 0) {
			s->live = false;
			snprintf(msg, sizeof(msg), "queue %u: the monitor could not start it", i);
			fail_locked(t, msg);
		}
	}
}

/*
 * The driver only ever adds bits, in the order of virtio 1.2 §3.1.1
 * (ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK; FAILED any time); anything
 * else is ignored.  FEATURES_OK does not stick unless we can honour every
 * feature the driver took.
 */
static void write_status_locked(struct virtio_mmio *t, uint32_t v)
{
	uint32_t old = t->status & ~S_NEEDS_RESET, add;

	v &= ~S_NEEDS_RESET;
	add = v & ~old;
	if ((old & ~v) || (add & S_DRIVER && !(v & S_ACK)) ||
	    (add & S_FEATURES_OK && !(v & S_DRIVER)) ||
	    (add & S_DRIVER_OK && !(old & S_FEATURES_OK)) ||
	    (v & ~(S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK | S_FAILED))) {
		logmsg(t, &t->logged_status, "driver wrote status 0x%x over 0x%x: out of order, ignored",
		       v, t->status);
		return;
	}
	if (add & S_FEATURES_OK && !virtio_mmio_features_ok(t->driver_features, t->offered))
		v &= ~S_FEATURES_OK;
	t->status = v | (t->status & S_NEEDS_RESET);
	if (v & S_FAILED) {
		for (unsigned i = 0; i < t->ops->num_queues; i++)
			stop_queue_locked(t, &t->q[i]);
	} else if (add & S_DRIVER_OK && !(t->status & S_NEEDS_RESET)) {
		go_live_locked(t);
	}
}

const struct virtq_hooks virtio_mmio_queue_hooks = { .fail = queue_failed, .interrupt = queue_interrupt };

static void queue_ready_locked(struct virtio_mmio *t, struct vq_slot *s, uint32_t v)
{
	struct virtq_hooks h = virtio_mmio_queue_hooks;
	char why[160], msg[200];

	if (v == 0 || s->ready) {
		s->ready = v != 0;
		return;
	}
	if (!(t->status & S_FEATURES_OK)) {
		snprintf(msg, sizeof(msg), "queue %u: enabled before FEATURES_OK", s->index);
		fail_locked(t, msg);
		return;
	}
	if (s->num > t->ops->queue_max) {
		snprintf(msg, sizeof(msg), "queue %u: QueueNum %u exceeds QueueNumMax %u", s->index,
			 s->num, t->ops->queue_max);
		fail_locked(t, msg);
		return;
	}
	h.ctx = s;
	if (virtq_init(&s->q, t->mem, s->index, (uint16_t)s->num, s->desc, s->avail, s->used,
		       t->driver_features, &h, why, sizeof(why)) < 0) {
		snprintf(msg, sizeof(msg), "queue %u: %s", s->index, why);
		fail_locked(t, msg);
		return;
	}
	s->ready = true;
}

static void set_half(uint64_t *r, bool high, uint32_t v)
{
	if (high)
		*r = (*r & 0xffffffffull) | (uint64_t)v << 32;
	else
		*r = (*r & ~0xffffffffull) | v;
}

static struct vq_slot *selected(struct virtio_mmio *t)
{
	return t->queue_sel < t->ops->num_queues ? &t->q[t->queue_sel] : NULL;
}

static void write_reg_locked(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	struct vq_slot *s = selected(t);
	/* No VIRTIO_F_RING_RESET: queues are set up only before DRIVER_OK. */
	bool queue_writable = s && !s->ready && !(t->status & S_DRIVER_OK);

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		t->dev_features_sel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		t->drv_features_sel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if ((t->status & S_DRIVER) && !(t->status & S_FEATURES_OK) && t->drv_features_sel < 2)
			set_half(&t->driver_features, t->drv_features_sel == 1, v);
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		t->queue_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (queue_writable)
			s->num = v;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (queue_writable)
			set_half(&s->desc, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, v);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		if (queue_writable)
			set_half(&s->avail, off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH, v);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		if (queue_writable)
			set_half(&s->used, off == VIRTIO_MMIO_QUEUE_USED_HIGH, v);
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (s && !(t->status & S_DRIVER_OK))
			queue_ready_locked(t, s, v);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		t->isr &= ~v;
		break;
	case VIRTIO_MMIO_STATUS:
		write_status_locked(t, v);
		break;
	default: /* read-only, legacy-only or unknown: ignored */
		break;
	}
}

static bool read_reg_locked(struct virtio_mmio *t, uint64_t off, uint32_t *v)
{
	struct vq_slot *s = selected(t);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE: *v = MMIO_MAGIC; break;
	case VIRTIO_MMIO_VERSION: *v = 2; break;
	case VIRTIO_MMIO_DEVICE_ID: *v = t->ops->device_id; break;
	case VIRTIO_MMIO_VENDOR_ID: *v = MMIO_VENDOR; break;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		*v = t->dev_features_sel == 0 ? (uint32_t)t->offered
		   : t->dev_features_sel == 1 ? (uint32_t)(t->offered >> 32) : 0;
		break;
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: *v = t->dev_features_sel; break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: *v = t->drv_features_sel; break;
	case VIRTIO_MMIO_QUEUE_SEL: *v = t->queue_sel; break;
	case VIRTIO_MMIO_QUEUE_NUM_MAX: *v = s ? t->ops->queue_max : 0; break;
	case VIRTIO_MMIO_QUEUE_NUM: *v = s ? s->num : 0; break;
	case VIRTIO_MMIO_QUEUE_READY: *v = s ? s->ready : 0; break;
	case VIRTIO_MMIO_INTERRUPT_STATUS: *v = t->isr; break;
	case VIRTIO_MMIO_STATUS: *v = t->status; break;
	/*
	 * Constant: a driver re-reads config while this changes, but no field
	 * of ours changes after creation (capacity is fixed at open).
	 */
	case VIRTIO_MMIO_CONFIG_GENERATION: *v = 0; break;
	default: return false; /* reads as all ones, e.g. SHMLen: no regions */
	}
	return true;
}

static void mmio_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
	struct virtio_mmio *t = opaque;
	uint32_t v;

	if (off >= VIRTIO_MMIO_CONFIG) {
		uint64_t rel = off - VIRTIO_MMIO_CONFIG;

		if (rel + len <= t->ops->config_size) {
			pthread_mutex_lock(&t->lock);
			t->ops->config_read(t->dev, (uint32_t)rel, data, len);
			pthread_mutex_unlock(&t->lock);
		}
		return;
	}
	/* Registers are 32 bits wide and read as such (§4.2.2). */
	if (len != 4 || off % 4)
		return;
	pthread_mutex_lock(&t->lock);
	if (read_reg_locked(t, off, &v)) {
		v = htole32(v);
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&t->lock);
}

static void mmio_write(void *opaque, uint64_t off, const uint8_t *data, uint32_t len)
{
	struct virtio_mmio *t = opaque;
	uint32_t v;

	if (off >= VIRTIO_MMIO_CONFIG) {
		uint64_t rel = off - VIRTIO_MMIO_CONFIG;

		if (rel + len <= t->ops->config_size && t->ops->config_write) {
			pthread_mutex_lock(&t->lock);
			t->ops->config_write(t->dev, (uint32_t)rel, data, len);
			pthread_mutex_unlock(&t->lock);
		}
		return;
	}
	if (len != 4 || off % 4)
		return;
	memcpy(&v, data, 4);
	v = le32toh(v);
	/* These two take the queues' run locks, which come before `lock`. */
	if (off == VIRTIO_MMIO_QUEUE_NOTIFY) {
		if (v >= t->ops->num_queues)
			return;
		if (t->host.kick)
			t->host.kick(t->host.ctx, v);
		else
			virtio_mmio_notify(t, v);
		return;
	}
	if (off == VIRTIO_MMIO_STATUS && v == 0) {
		reset(t);
		return;
	}
	pthread_mutex_lock(&t->lock);
	write_reg_locked(t, off, v);
	pthread_mutex_unlock(&t->lock);
}

const struct bus_ops virtio_mmio_bus_ops = { .read = mmio_read, .write = mmio_write };

bool virtio_mmio_notify(struct virtio_mmio *t, unsigned qidx)
{
	return virtio_mmio_serve(t, qidx, false, NULL);
}

bool virtio_mmio_serve(struct virtio_mmio *t, unsigned qidx, bool polling, uint16_t *completed)
{
	struct vq_slot *s;
	bool serve, more = false;
	uint16_t before;

	if (completed)
		*completed = 0;
	if (qidx >= t->ops->num_queues)
		return false;
	s = &t->q[qidx];
	pthread_mutex_lock(&s->run);
	pthread_mutex_lock(&t->lock);
	if (t->reraise) {
		t->reraise = false;
		if (t->isr)
			raise_irq_locked(t, 0);
	}
	serve = s->live && (t->status & S_DRIVER_OK) && !(t->status & S_FAILED);
	pthread_mutex_unlock(&t->lock);
	if (serve) {
		/* used_idx is the serving thread's, and we hold `run`: no race. */
		before = s->q.used_idx;
		s->q.polled = polling;
		more = t->ops->queue_notify(t->dev, &s->q);
		s->q.polled = false;
		if (completed)
			*completed = (uint16_t)(s->q.used_idx - before);
	}
	pthread_mutex_unlock(&s->run);
	return more;
}
