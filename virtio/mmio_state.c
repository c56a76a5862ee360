/*
 * The virtio-mmio transport's snapshot record (virtio.h: virtio_mmio_save,
 * virtio_mmio_load; the contract is in docs/ARCHITECTURE.md, "Device
 * state").  Version 1, little-endian:
 *
 *   u16 queues   u32 status   u64 driver features
 *   u32 DeviceFeaturesSel   u32 DriverFeaturesSel   u32 QueueSel   u32 ISR
 *   per queue: u32 QueueNum, u64 desc, u64 driver ring, u64 device ring,
 *              bool ready, bool live, bool broken,
 *              u16 next avail slot, u16 used index, u16 used index at the
 *              last interrupt, bool that one is valid, bool pushed since
 *
 * What the transport derives is not saved: the features offered (from
 * the device, checked against the driver's), host pointers to the rings
 * (virtq_init recomputes and re-checks them), ConfigGeneration (always
 * 0).  Ring contents live in guest memory, which the snapshot carries.
 *
 * A record is hostile input: the loader checks every field against what
 * the register file itself could have produced, and refuses the rest.
 */
#include "mmio_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "state.h"

struct q_rec {
	uint32_t num;
	uint64_t desc, avail, used;
	bool ready, live, broken;
	uint16_t last_avail, used_idx, signalled_used;
	bool signalled_valid, unsignalled;
	struct virtq vq; /* ready: the rings, checked by virtq_init */
};

struct t_rec {
	uint32_t status, dev_sel, drv_sel, queue_sel, isr;
	uint64_t features;
};

static void put_queue(struct state_out *o, const struct vq_slot *s)
{
	/* A queue that is not ready may keep a stale ring from an earlier
	 * enable; it is never used, so it is saved as zeros. */
	const struct virtq *q = &s->q;
	bool rings = s->ready;

	state_put_u32(o, s->num);
	state_put_u64(o, s->desc);
	state_put_u64(o, s->avail);
	state_put_u64(o, s->used);
	state_put_bool(o, s->ready);
	state_put_bool(o, s->live);
	state_put_bool(o, rings && q->broken);
	state_put_u16(o, rings ? q->last_avail : 0);
	state_put_u16(o, rings ? q->used_idx : 0);
	state_put_u16(o, rings ? q->signalled_used : 0);
	state_put_bool(o, rings && q->signalled_valid);
	state_put_bool(o, rings && q->unsignalled);
}

int virtio_mmio_save(struct virtio_mmio *t, struct state_out *o)
{
	unsigned n = t->ops->num_queues;

	/* Run locks first (the order is run, then lock), held to the end so
	 * no handler starts between the quiesce and the record. */
	for (unsigned i = 0; i < n; i++) {
		struct vq_slot *s = &t->q[i];
		bool serve;

		pthread_mutex_lock(&s->run);
		pthread_mutex_lock(&t->lock);
		serve = s->live && (t->status & S_DRIVER_OK) && !(t->status & S_FAILED);
		pthread_mutex_unlock(&t->lock);
		/* Without `lock`: the device may raise an interrupt as it finishes. */
		if (serve && t->ops->quiesce)
			t->ops->quiesce(t->dev, &s->q);
	}
	pthread_mutex_lock(&t->lock);
	state_put_u16(o, (uint16_t)n);
	state_put_u32(o, t->status);
	state_put_u64(o, t->driver_features);
	state_put_u32(o, t->dev_features_sel);
	state_put_u32(o, t->drv_features_sel);
	state_put_u32(o, t->queue_sel);
	state_put_u32(o, t->isr);
	for (unsigned i = 0; i < n; i++)
		put_queue(o, &t->q[i]);
	pthread_mutex_unlock(&t->lock);
	for (unsigned i = n; i-- > 0;)
		pthread_mutex_unlock(&t->q[i].run);
	return o->failed ? -1 : 0;
}

static void get_queue(struct state_in *in, struct q_rec *r)
{
	state_get_u32(in, &r->num);
	state_get_u64(in, &r->desc);
	state_get_u64(in, &r->avail);
	state_get_u64(in, &r->used);
	state_get_bool(in, &r->ready);
	state_get_bool(in, &r->live);
	state_get_bool(in, &r->broken);
	state_get_u16(in, &r->last_avail);
	state_get_u16(in, &r->used_idx);
	state_get_u16(in, &r->signalled_used);
	state_get_bool(in, &r->signalled_valid);
	state_get_bool(in, &r->unsignalled);
}

/* The status register as write_status_locked can leave it; NULL if so. */
static const char *status_impossible(uint32_t st)
{
	if (st & ~(uint32_t)(S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK | S_FAILED | S_NEEDS_RESET))
		return "has bits virtio does not define";
	if ((st & S_DRIVER && !(st & S_ACK)) || (st & S_FEATURES_OK && !(st & S_DRIVER)) ||
	    (st & S_DRIVER_OK && !(st & S_FEATURES_OK)))
		return "skips a step of ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK";
	return NULL;
}

static int check_queue(const struct virtio_mmio *t, const struct t_rec *tr, unsigned i,
		       struct q_rec *r, char *err, size_t errlen)
{
	char why[160];
	bool event_idx = tr->features & (1ull << VIRTIO_RING_F_EVENT_IDX);

	if (!r->ready) {
		if (r->live || r->broken || r->last_avail || r->used_idx || r->signalled_used ||
		    r->signalled_valid || r->unsignalled) {
			snprintf(err, errlen, "queue %u is not ready but has ring state", i);
			return -1;
		}
		return 0;
	}
	if (!(tr->status & S_FEATURES_OK)) {
		snprintf(err, errlen, "queue %u is ready before FEATURES_OK", i);
		return -1;
	}
	if (r->num > t->ops->queue_max) {
		snprintf(err, errlen, "queue %u: size %u exceeds the device's maximum %u", i, r->num,
			 t->ops->queue_max);
		return -1;
	}
	if (virtq_init(&r->vq, t->mem, i, (uint16_t)r->num, r->desc, r->avail, r->used, tr->features,
		       NULL, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "queue %u: %s", i, why);
		return -1;
	}
	if (r->live && (!(tr->status & S_DRIVER_OK) || (tr->status & S_FAILED))) {
		snprintf(err, errlen, "queue %u is live without DRIVER_OK (status 0x%x)", i, tr->status);
		return -1;
	}
	if (r->broken && (r->live || !(tr->status & S_NEEDS_RESET))) {
		snprintf(err, errlen, "queue %u is broken but %s", i,
			 r->live ? "still live" : "the device does not need a reset");
		return -1;
	}
	/* Nothing half-served is saved (ops->quiesce): every chain taken is back. */
	if (!r->broken && r->last_avail != r->used_idx) {
		snprintf(err, errlen, "queue %u has %u requests in flight (a save finishes them all)", i,
			 (uint16_t)(r->last_avail - r->used_idx));
		return -1;
	}
	if ((r->signalled_valid && !event_idx) || (!r->signalled_valid && r->signalled_used)) {
		snprintf(err, errlen, "queue %u: interrupt suppression state without EVENT_IDX", i);
		return -1;
	}
	return 0;
}

static int check(const struct virtio_mmio *t, const struct t_rec *tr, struct q_rec *q, char *err,
		 size_t errlen)
{
	const char *why = status_impossible(tr->status);

	if (why) {
		snprintf(err, errlen, "status 0x%x %s", tr->status, why);
		return -1;
	}
	if ((tr->status & S_FEATURES_OK) && !virtio_mmio_features_ok(tr->features, t->offered)) {
		snprintf(err, errlen,
			 "the driver accepted features 0x%llx, which this device does not offer (0x%llx): "
			 "was it set up differently when the snapshot was taken?",
			 (unsigned long long)tr->features, (unsigned long long)t->offered);
		return -1;
	}
	if (tr->isr & ~(uint32_t)(VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG)) {
		snprintf(err, errlen, "interrupt status 0x%x has bits virtio-mmio does not define", tr->isr);
		return -1;
	}
	for (unsigned i = 0; i < t->ops->num_queues; i++)
		if (check_queue(t, tr, i, &q[i], err, errlen) < 0)
			return -1;
	return 0;
}

static void apply_queue(struct vq_slot *s, const struct q_rec *r)
{
	struct virtq_hooks h = virtio_mmio_queue_hooks;

	s->num = r->num;
	s->desc = r->desc;
	s->avail = r->avail;
	s->used = r->used;
	s->ready = r->ready;
	s->live = r->live;
	memset(&s->q, 0, sizeof(s->q));
	if (!r->ready)
		return;
	s->q = r->vq;
	h.ctx = s;
	s->q.hooks = h;
	s->q.last_avail = r->last_avail;
	s->q.used_idx = r->used_idx;
	s->q.signalled_used = r->signalled_used;
	s->q.signalled_valid = r->signalled_valid;
	s->q.unsignalled = r->unsignalled;
	if (r->broken) {
		s->q.broken = true;
		snprintf(s->q.why, sizeof(s->q.why), "broken before the snapshot");
	}
}

/* Tells the host about live queues; -1 (nothing changed yet) if it refuses one. */
static int start_queues_locked(struct virtio_mmio *t, const struct q_rec *q, char *err, size_t errlen)
{
	for (unsigned i = 0; t->host.queue_live && i < t->ops->num_queues; i++) {
		if (!q[i].live || t->host.queue_live(t->host.ctx, i, true) == 0)
			continue;
		snprintf(err, errlen, "the monitor could not start queue %u", i);
		for (unsigned k = 0; k < i; k++)
			if (q[k].live)
				t->host.queue_live(t->host.ctx, k, false);
		return -1;
	}
	return 0;
}

int virtio_mmio_load(struct virtio_mmio *t, struct state_in *in, char *err, size_t errlen)
{
	unsigned n = t->ops->num_queues;
	struct t_rec tr;
	struct q_rec *q;
	uint16_t nq;
	bool kicked = false;
	int r = -1;

	if (!state_get_u16(in, &nq)) {
		snprintf(err, errlen, "%s", in->why);
		return -1;
	}
	if (nq != n) {
		snprintf(err, errlen, "the snapshot's device has %u queues, this one %u", nq, n);
		return -1;
	}
	q = calloc(n, sizeof(*q));
	if (!q) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	state_get_u32(in, &tr.status);
	state_get_u64(in, &tr.features);
	state_get_u32(in, &tr.dev_sel);
	state_get_u32(in, &tr.drv_sel);
	state_get_u32(in, &tr.queue_sel);
	state_get_u32(in, &tr.isr);
	for (unsigned i = 0; i < n; i++)
		get_queue(in, &q[i]);
	if (in->why) {
		snprintf(err, errlen, "%s", in->why);
		goto out;
	}
	if (check(t, &tr, q, err, errlen) < 0)
		goto out;
	for (unsigned i = 0; i < n; i++)
		pthread_mutex_lock(&t->q[i].run);
	pthread_mutex_lock(&t->lock);
	r = start_queues_locked(t, q, err, errlen);
	if (r == 0) {
		t->status = tr.status;
		t->driver_features = tr.features;
		t->dev_features_sel = tr.dev_sel;
		t->drv_features_sel = tr.drv_sel;
		t->queue_sel = tr.queue_sel;
		t->isr = tr.isr;
		t->reraise = tr.isr != 0;
		for (unsigned i = 0; i < n; i++)
			apply_queue(&t->q[i], &q[i]);
	}
	pthread_mutex_unlock(&t->lock);
	for (unsigned i = n; i-- > 0;)
		pthread_mutex_unlock(&t->q[i].run);
	/*
	 * A notify the guest made just before the save may never have been
	 * served (it sat in an eventfd, which is host state): serve each live
	 * queue once.  A queue with nothing to do returns at once.
	 */
	for (unsigned i = 0; r == 0 && t->host.kick && i < n; i++) {
		if (q[i].live) {
			t->host.kick(t->host.ctx, i);
			kicked = true;
		}
	}
	if (r == 0 && t->host.kick && tr.isr && !kicked)
		t->host.kick(t->host.ctx, 0); /* only to raise the interrupt again */
out:
	free(q);
	return r;
}
