#include "queue.h"

#include <endian.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <linux/virtio_config.h>

/*
 * Guest-shared fields are read and written with __atomic builtins: the
 * guest changes them concurrently, and a plain access would let the
 * compiler re-read a value after it was checked.
 */
#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

static uint64_t desc_bytes(uint16_t n) { return 16ull * n; }
/* Both include the event-index word: the spec sizes rings that way. */
static uint64_t avail_bytes(uint16_t n) { return 6 + 2ull * n; }
static uint64_t used_bytes(uint16_t n) { return 6 + 8ull * n; }

static bool has(const struct virtq *q, unsigned bit)
{
	return q->features & (1ull << bit);
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	/* Callers have checked both ranges lie in guest RAM, so no wrap. */
	return a < b + blen && b < a + alen;
}

static void *ring_ptr(const struct guest_mem *m, const char *what, uint64_t gpa, uint64_t len,
		      uint64_t align, char *why, size_t whylen)
{
	void *p;

	if (gpa % align) {
		snprintf(why, whylen, "%s at 0x%llx is not %llu-byte aligned", what,
			 (unsigned long long)gpa, (unsigned long long)align);
		return NULL;
	}
	p = guest_ptr(m, gpa, len);
	if (!p)
		snprintf(why, whylen, "%s at 0x%llx (+%llu bytes) is outside guest memory", what,
			 (unsigned long long)gpa, (unsigned long long)len);
	return p;
}

int virtq_init(struct virtq *q, const struct guest_mem *m, unsigned index, uint16_t size,
	       uint64_t desc, uint64_t avail, uint64_t used, uint64_t features,
	       const struct virtq_hooks *hooks, char *why, size_t whylen)
{
	struct virtq n = { .mem = m, .index = index, .size = size, .features = features,
			   .desc_gpa = desc, .avail_gpa = avail, .used_gpa = used };

	if (size == 0 || size > VIRTQ_SIZE_MAX || (size & (size - 1))) {
		snprintf(why, whylen, "queue size %u is not a power of two in 1..%u", size,
			 VIRTQ_SIZE_MAX);
		return -1;
	}
	n.desc = ring_ptr(m, "descriptor table", desc, desc_bytes(size), 16, why, whylen);
	if (!n.desc)
		return -1;
	n.avail = ring_ptr(m, "driver (avail) ring", avail, avail_bytes(size), 2, why, whylen);
	if (!n.avail)
		return -1;
	n.used = ring_ptr(m, "device (used) ring", used, used_bytes(size), 4, why, whylen);
	if (!n.used)
		return -1;
	/* The device writes the used ring; it must not land on what it reads. */
	if (ranges_overlap(desc, desc_bytes(size), avail, avail_bytes(size)) ||
	    ranges_overlap(desc, desc_bytes(size), used, used_bytes(size)) ||
	    ranges_overlap(avail, avail_bytes(size), used, used_bytes(size))) {
		snprintf(why, whylen, "rings overlap (descriptors 0x%llx, driver 0x%llx, device 0x%llx)",
			 (unsigned long long)desc, (unsigned long long)avail,
			 (unsigned long long)used);
		return -1;
	}
	if (hooks)
		n.hooks = *hooks;
	/*
	 * With EVENT_IDX a new queue's last signal counts as index 0, where the
	 * driver's used_event starts too: the first completion interrupts when
	 * the driver asked for it (§2.7.10), not always.  A guest that polls
	 * (Flint's asks for nothing until it halts) then takes no interrupt it
	 * never wanted: two per request for a function restored from a
	 * snapshot taken before its queues were ever used.
	 */
	if (features & (1ull << VIRTIO_RING_F_EVENT_IDX))
		n.signalled_valid = true;
	*q = n;
	return 0;
}

void virtq_fail(struct virtq *q, const char *fmt, ...)
{
	va_list ap;

	if (q->broken)
		return;
	q->broken = true;
	va_start(ap, fmt);
	vsnprintf(q->why, sizeof(q->why), fmt, ap);
	va_end(ap);
	if (q->hooks.fail)
		q->hooks.fail(q->hooks.ctx, q, q->why);
}

static bool overlaps_rings(const struct virtq *q, uint64_t gpa, uint32_t len)
{
	return ranges_overlap(gpa, len, q->desc_gpa, desc_bytes(q->size)) ||
	       ranges_overlap(gpa, len, q->avail_gpa, avail_bytes(q->size)) ||
	       ranges_overlap(gpa, len, q->used_gpa, used_bytes(q->size));
}

/* The one read of a descriptor: everything after works on this copy. */
static struct vring_desc load_desc(const struct vring_desc *d)
{
	return (struct vring_desc){
		.addr = le64toh(LOAD(&d->addr)),
		.len = le32toh(LOAD(&d->len)),
		.flags = le16toh(LOAD(&d->flags)),
		.next = le16toh(LOAD(&d->next)),
	};
}

struct walk {
	const struct vring_desc *table;
	uint16_t len;            /* entries in table */
	bool indirect;
	uint8_t seen[VIRTQ_SIZE_MAX / 8];
};

/* Switches the walk to an indirect table; returns false on a violation. */
static bool enter_indirect(struct virtq *q, struct walk *w, const struct vring_desc *d, uint16_t at)
{
	if (!has(q, VIRTIO_RING_F_INDIRECT_DESC)) {
		virtq_fail(q, "descriptor %u is indirect, but INDIRECT_DESC was not negotiated", at);
		return false;
	}
	if (w->indirect) {
		virtq_fail(q, "indirect descriptor %u inside an indirect table", at);
		return false;
	}
	if (d->flags & VRING_DESC_F_NEXT) {
		virtq_fail(q, "descriptor %u is both INDIRECT and NEXT", at);
		return false;
	}
	if (d->len == 0 || d->len % 16 || d->len / 16 > q->size) {
		virtq_fail(q, "indirect table of descriptor %u has length %u (need a multiple of 16, at most %u entries)",
			   at, d->len, q->size);
		return false;
	}
	/* 16-byte alignment keeps every field naturally aligned for LOAD. */
	if (d->addr % 16) {
		virtq_fail(q, "indirect table at 0x%llx is not 16-byte aligned",
			   (unsigned long long)d->addr);
		return false;
	}
	w->table = guest_ptr(q->mem, d->addr, d->len);
	if (!w->table) {
		virtq_fail(q, "indirect table at 0x%llx (+%u bytes) is outside guest memory",
			   (unsigned long long)d->addr, d->len);
		return false;
	}
	w->len = d->len / 16;
	w->indirect = true;
	memset(w->seen, 0, sizeof(w->seen));
	return true;
}

static bool add_seg(struct virtq *q, struct virtq_chain *c, const struct vring_desc *d, uint16_t at)
{
	bool wr = d->flags & VRING_DESC_F_WRITE;
	uint8_t *p;

	if (c->n == q->size) {
		virtq_fail(q, "descriptor chain from head %u is longer than the queue (%u)", c->head,
			   q->size);
		return false;
	}
	if (!wr && c->n > c->n_read) {
		virtq_fail(q, "descriptor %u is device-readable but follows a device-writable one", at);
		return false;
	}
	p = guest_ptr(q->mem, d->addr, d->len);
	if (!p) {
		virtq_fail(q, "descriptor %u buffer 0x%llx (+%u bytes) is outside guest memory", at,
			   (unsigned long long)d->addr, d->len);
		return false;
	}
	if (wr && overlaps_rings(q, d->addr, d->len)) {
		virtq_fail(q, "descriptor %u buffer 0x%llx (+%u bytes) is writable and overlaps the queue's own rings",
			   at, (unsigned long long)d->addr, d->len);
		return false;
	}
	c->seg[c->n++] = (struct virtq_seg){ p, d->addr, d->len, wr };
	if (wr)
		c->write_bytes += d->len;
	else {
		c->n_read++;
		c->read_bytes += d->len;
	}
	return true;
}

static int walk_chain(struct virtq *q, struct virtq_chain *c)
{
	struct walk w = { .table = q->desc, .len = q->size };
	uint16_t i = c->head;

	for (;;) {
		struct vring_desc d;

		if (i >= w.len) {
			virtq_fail(q, "descriptor index %u is beyond the %s table (%u entries)", i,
				   w.indirect ? "indirect" : "descriptor", w.len);
			return -1;
		}
		if (w.seen[i / 8] & (1u << (i % 8))) {
			virtq_fail(q, "descriptor chain from head %u loops back to %u", c->head, i);
			return -1;
		}
		w.seen[i / 8] |= 1u << (i % 8);
		d = load_desc(&w.table[i]);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!enter_indirect(q, &w, &d, i))
				return -1;
			i = 0;
			continue;
		}
		if (!add_seg(q, c, &d, i))
			return -1;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 1;
		i = d.next;
	}
}

int virtq_pop(struct virtq *q, struct virtq_chain *c)
{
	uint16_t avail_idx, pending, slot;

	if (q->broken)
		return -1;
	if (!q->size || __atomic_load_n(&q->halt, __ATOMIC_ACQUIRE))
		return 0;
	/* Acquire: the ring entries we read next were written before idx. */
	avail_idx = le16toh(__atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE));
	pending = (uint16_t)(avail_idx - q->last_avail);
	if (pending == 0)
		return 0;
	if (pending > q->size) {
		virtq_fail(q, "driver index %u is %u entries ahead of the device (queue size %u)",
			   avail_idx, pending, q->size);
		return -1;
	}
	slot = q->last_avail & (q->size - 1);
	c->head = le16toh(LOAD(&q->avail->ring[slot]));
	c->n = c->n_read = 0;
	c->read_bytes = c->write_bytes = 0;
	if (c->head >= q->size) {
		virtq_fail(q, "driver ring slot %u names head %u, beyond the queue (%u)", slot,
			   c->head, q->size);
		return -1;
	}
	if (walk_chain(q, c) < 0)
		return -1;
	q->last_avail++;
	return 1;
}

void virtq_unpop(struct virtq *q, uint16_t n)
{
	if (q->broken)
		return;
	q->last_avail -= n;
}

void virtq_push(struct virtq *q, uint16_t head, uint64_t written)
{
	struct vring_used_elem *e;

	if (q->broken || head >= q->size)
		return;
	if (written > UINT32_MAX) {
		virtq_fail(q, "device wrote %llu bytes into the chain at head %u: more than the used "
			   "ring's 32 bits can report", (unsigned long long)written, head);
		return;
	}
	e = &q->used->ring[q->used_idx & (q->size - 1)];
	STORE(&e->id, htole32(head));
	STORE(&e->len, htole32((uint32_t)written));
	q->used_idx++;
	q->unsignalled = true;
	/* Release: the element is visible before the index that exposes it. */
	__atomic_store_n(&q->used->idx, htole16(q->used_idx), __ATOMIC_RELEASE);
}

bool virtq_should_interrupt(struct virtq *q)
{
	uint16_t old = q->signalled_used, event;
	bool valid = q->signalled_valid;

	/* Our used->idx store must be visible before we read the driver's wish. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->unsignalled = false;
	if (!has(q, VIRTIO_RING_F_EVENT_IDX))
		return !(le16toh(LOAD(&q->avail->flags)) & VRING_AVAIL_F_NO_INTERRUPT);
	q->signalled_used = q->used_idx;
	q->signalled_valid = true;
	event = le16toh(LOAD(&q->avail->ring[q->size])); /* used_event */
	return !valid || vring_need_event(event, q->used_idx, old);
}

void virtq_notify_driver(struct virtq *q)
{
	if (q->broken || !q->unsignalled)
		return;
	if (virtq_should_interrupt(q) && q->hooks.interrupt)
		q->hooks.interrupt(q->hooks.ctx, q);
}

static uint16_t *avail_event(struct virtq *q)
{
	return (uint16_t *)&q->used->ring[q->size];
}

void virtq_disable_notify(struct virtq *q)
{
	/* With EVENT_IDX a stale avail_event already keeps the driver quiet. */
	if (q->broken || !q->size || has(q, VIRTIO_RING_F_EVENT_IDX))
		return;
	STORE(&q->used->flags, htole16(VRING_USED_F_NO_NOTIFY));
}

bool virtq_enable_notify(struct virtq *q)
{
	/*
	 * Halted: saying "nothing more" ends the handler's pop loop, so a
	 * reset waits for one request at most.
	 */
	if (q->broken || !q->size || __atomic_load_n(&q->halt, __ATOMIC_ACQUIRE))
		return false;
	if (q->polled)
		return le16toh(__atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE)) != q->last_avail;
	if (has(q, VIRTIO_RING_F_EVENT_IDX))
		STORE(avail_event(q), htole16(q->last_avail));
	else
		STORE(&q->used->flags, 0);
	/*
	 * The driver checks our flag after publishing its index; we check its
	 * index after publishing our flag.  The full fence makes sure at least
	 * one of us sees the other, so no buffer is stranded.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return le16toh(LOAD(&q->avail->idx)) != q->last_avail;
}

int virtq_chain_iov(const struct virtq_chain *c, bool writable, uint64_t off, uint64_t len,
		    struct iovec *iov, int max)
{
	unsigned i = writable ? c->n_read : 0, end = writable ? c->n : c->n_read;
	int n = 0;

	for (; i < end && len; i++) {
		const struct virtq_seg *s = &c->seg[i];
		uint64_t take;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		if (n == max)
			return -1;
		take = s->len - off < len ? s->len - off : len;
		iov[n++] = (struct iovec){ s->p + off, take };
		len -= take;
		off = 0;
	}
	return len ? -1 : n;
}

static size_t chain_copy(const struct virtq_chain *c, bool writable, uint64_t off, void *buf,
			 const void *src, size_t len)
{
	unsigned i = writable ? c->n_read : 0, end = writable ? c->n : c->n_read;
	size_t done = 0;

	for (; i < end && done < len; i++) {
		const struct virtq_seg *s = &c->seg[i];
		size_t take;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		take = s->len - off < len - done ? s->len - off : len - done;
		if (writable)
			memcpy(s->p + off, (const uint8_t *)src + done, take);
		else
			memcpy((uint8_t *)buf + done, s->p + off, take);
		done += take;
		off = 0;
	}
	return done;
}

size_t virtq_chain_read(const struct virtq_chain *c, uint64_t off, void *buf, size_t len)
{
	return chain_copy(c, false, off, buf, NULL, len);
}

size_t virtq_chain_write(const struct virtq_chain *c, uint64_t off, const void *buf, size_t len)
{
	return chain_copy(c, true, off, NULL, buf, len);
}
