/*
 * Split virtqueue, driver side (§2.7).  The rings live in the heap; the
 * free-descriptor list and each chain's bookkeeping live in driver-private
 * arrays, so nothing the device could scribble on steers the driver.
 *
 * Notifications both ways follow EVENT_IDX when negotiated (§2.7.7,
 * §2.7.10), else the flags, which are only hints:
 *  - kicks: only when the device's avail_event asks for one;
 *  - interrupts: suppressed (used_event half the index space ahead) except
 *    while virtq_wait() is about to halt.  A completion found by polling
 *    thus costs neither an interrupt nor the register reads that
 *    acknowledging one takes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flint.h>

#include "arch/x86_64/cpu.h"
#include "drivers/virtio_mmio.h"
#include "drivers/virtq.h"
#include "kernel/clock.h"
#include "kernel/timer.h"

#define DEFAULT_POLL_US   200
#define WATCHDOG_NS       1000000000ull    /* halts never last longer */
#define TIMEOUT_NS        30000000000ull   /* no completion for this long: give up */
#define FAR_AHEAD         0x8000           /* half the 16-bit index space */
#define CACHE_LINE        64

struct virtq {
	struct virtio_dev *dev;
	unsigned index;
	uint16_t size;
	bool event_idx;
	bool irq_on;                  /* used_event / flags currently ask for interrupts */
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	volatile uint16_t *used_event; /* in the avail ring, after ring[size] */
	volatile uint16_t *avail_event; /* in the used ring, after ring[size] */
	uint16_t avail_idx;           /* ours: the next avail slot */
	uint16_t kicked_idx;          /* avail_idx when the device was last told */
	uint16_t last_used;           /* used entries consumed so far */
	uint16_t free_head, num_free;
	uint16_t *link;               /* next free descriptor; within a chain, the next one */
	uint16_t *tail, *count;       /* per chain head: its last descriptor, its length */
	void **token;                 /* per chain head: the caller's token; NULL if free */
};

static uint64_t poll_tsc;
static bool poll_set;
static bool warned_no_interrupt;

static uint64_t poll_ticks(void)
{
	if (!poll_set) {
		const char *p = cmdline_param("virtio.poll_us");
		unsigned long us = p ? strtoul(p, NULL, 0) : DEFAULT_POLL_US;

		poll_tsc = clock_ns_to_tsc((uint64_t)us * 1000);
		poll_set = true;
	}
	return poll_tsc;
}

static size_t align_up(size_t n, size_t a)
{
	return (n + a - 1) & ~(a - 1);
}

struct virtq *virtq_alloc(struct virtio_dev *d, unsigned qidx, unsigned size)
{
	/* Descriptors, then the avail ring (+ used_event); the used ring (+
	 * avail_event) on its own cache line, since only the device writes it. */
	size_t desc_bytes = sizeof(struct virtq_desc) * size;
	size_t avail_bytes = sizeof(struct virtq_avail) + sizeof(uint16_t) * (size + 1);
	size_t used_off = align_up(desc_bytes + avail_bytes, CACHE_LINE);
	size_t used_bytes = sizeof(struct virtq_used) + sizeof(struct virtq_used_elem) * size +
			    sizeof(uint16_t);
	size_t total = used_off + used_bytes;
	struct virtq *q;
	char *mem, *rings;

	/* Set-up time only; on failure the caller gives up on the device, so
	 * whatever was allocated stays allocated. */
	if (size == 0 || size > 32768)
		return NULL;
	q = calloc(1, sizeof(*q));
	mem = malloc(total + CACHE_LINE);
	if (!q || !mem)
		return NULL;
	q->link = malloc(sizeof(*q->link) * size);
	q->tail = malloc(sizeof(*q->tail) * size);
	q->count = malloc(sizeof(*q->count) * size);
	q->token = calloc(size, sizeof(*q->token));
	if (!q->link || !q->tail || !q->count || !q->token)
		return NULL;
	rings = (char *)align_up((uintptr_t)mem, CACHE_LINE);
	memset(rings, 0, total);
	q->dev = d;
	q->index = qidx;
	q->size = (uint16_t)size;
	q->event_idx = virtio_has(d, VIRTIO_F_EVENT_IDX);
	q->desc = (struct virtq_desc *)rings;
	q->avail = (struct virtq_avail *)(rings + desc_bytes);
	q->used = (struct virtq_used *)(rings + used_off);
	q->used_event = &q->avail->ring[size];
	q->avail_event = (volatile uint16_t *)&q->used->ring[size];
	for (unsigned i = 0; i < size; i++)
		q->link[i] = (uint16_t)(i + 1);
	q->num_free = (uint16_t)size;
	/* Quiet until someone waits. */
	if (q->event_idx)
		*q->used_event = FAR_AHEAD;
	else
		q->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	return q;
}

void virtq_addresses(const struct virtq *q, uint64_t *desc, uint64_t *avail, uint64_t *used)
{
	*desc = (uintptr_t)q->desc;
	*avail = (uintptr_t)q->avail;
	*used = (uintptr_t)q->used;
}

unsigned virtq_size(const struct virtq *q)
{
	return q->size;
}

unsigned virtq_free(const struct virtq *q)
{
	return q->num_free;
}

int virtq_add(struct virtq *q, const struct virtq_seg *segs, unsigned n, void *token)
{
	uint16_t head = q->free_head, i = head, last = head;

	if (n == 0 || n > q->num_free || !token)
		return -1;
	for (unsigned k = 0; k < n; k++) {
		struct virtq_desc *dd = &q->desc[i];

		dd->addr = (uintptr_t)segs[k].addr;
		dd->len = segs[k].len;
		dd->flags = (uint16_t)((segs[k].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
				       (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		dd->next = k + 1 < n ? q->link[i] : 0;
		last = i;
		i = q->link[i];
	}
	q->free_head = i;
	q->num_free = (uint16_t)(q->num_free - n);
	q->tail[head] = last;
	q->count[head] = (uint16_t)n;
	q->token[head] = token;
	q->avail->ring[q->avail_idx & (q->size - 1)] = head;
	q->avail_idx++;
	/* Release: the descriptors and the ring slot before the index that exposes them. */
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
	return 0;
}

void virtq_kick(struct virtq *q)
{
	uint16_t old = q->kicked_idx, now = q->avail_idx;

	if (old == now)
		return;
	q->kicked_idx = now;
	/* Our avail->idx store must be visible before we read whether the
	 * device wants a kick, or both sides could wait for the other. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->event_idx) {
		if (!virtq_need_event(*q->avail_event, now, old))
			return;
	} else if (__atomic_load_n(&q->used->flags, __ATOMIC_RELAXED) & VIRTQ_USED_F_NO_NOTIFY) {
		return;
	}
	virtio_notify(q->dev, q->index);
}

static uint16_t used_idx(const struct virtq *q)
{
	return __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
}

void *virtq_pop(struct virtq *q, uint32_t *len)
{
	uint16_t idx = used_idx(q), head;
	struct virtq_used_elem e;
	void *token;

	if (idx == q->last_used)
		return NULL;
	if ((uint16_t)(idx - q->last_used) > q->size)
		panic("virtio: %s at %#lx moved its used index from %u to %u, past the %u-entry queue",
		      virtio_name(q->dev), (unsigned long)q->dev->base, q->last_used, idx, q->size);
	e = q->used->ring[q->last_used & (q->size - 1)];
	q->last_used++;
	if (q->event_idx && !q->irq_on)
		*q->used_event = (uint16_t)(q->last_used + FAR_AHEAD);
	if (e.id >= q->size || !q->token[e.id])
		panic("virtio: %s at %#lx returned descriptor %u, which is not the head of a chain in "
		      "flight", virtio_name(q->dev), (unsigned long)q->dev->base, e.id);
	head = (uint16_t)e.id;
	token = q->token[head];
	q->token[head] = NULL;
	q->link[q->tail[head]] = q->free_head;
	q->free_head = head;
	q->num_free = (uint16_t)(q->num_free + q->count[head]);
	if (len)
		*len = e.len;
	return token;
}

static bool has_used(const struct virtq *q)
{
	return used_idx(q) != q->last_used;
}

/* Asks for an interrupt at the next completion; true if one is already there. */
static bool irq_enable(struct virtq *q)
{
	q->irq_on = true;
	if (q->event_idx)
		*q->used_event = q->last_used;
	else
		q->avail->flags = 0;
	/* The device reads our wish after writing its index; we read its index
	 * after writing our wish: the fence makes at least one of us see the other. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return has_used(q);
}

static void irq_disable(struct virtq *q)
{
	q->irq_on = false;
	if (q->event_idx)
		*q->used_event = (uint16_t)(q->last_used + FAR_AHEAD);
	else
		q->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
}

static _Noreturn void timed_out(struct virtq *q)
{
	struct virtio_dev *d = q->dev;
	uint32_t status = virtio_check_status(d);

	panic("virtio: %s at %#lx (irq %u, vector %#x): no completion in %llu s with %u "
	      "requests in flight (used index %u, status %#x)", virtio_name(d), (unsigned long)d->base,
	      d->irq, d->vector, TIMEOUT_NS / 1000000000ull, q->size - q->num_free, used_idx(q),
	      status);
}

/*
 * Halts until q has a completion or the TSC passes `deadline`; returns
 * whether a completion is there.  `timeout` (TSC ticks from the start,
 * 0 for none) panics instead of returning, for callers whose device must
 * answer.  Every halt is bounded by the 1 s watchdog, which also notices
 * a completion whose interrupt never arrived.
 */
static bool wait(struct virtq *q, uint64_t deadline, uint64_t timeout)
{
	uint64_t start, now, watchdog = clock_ns_to_tsc(WATCHDOG_NS), until;

	if (has_used(q))
		return true;
	virtq_kick(q);
	/* Reading the used ring costs nothing; an interrupt costs its delivery
	 * plus two register accesses to acknowledge it.  Poll a little first. */
	start = rdtsc();
	for (uint64_t end = start + poll_ticks(); rdtsc() < end;) {
		if (has_used(q))
			return true;
		if (rdtsc() >= deadline)
			return false;
		__builtin_ia32_pause();
	}
	/*
	 * The device may have interrupted after our last acknowledgement, for
	 * a completion already found (it raises after writing its index, so
	 * irq_enable() can see the entry first).  On a level line routed as
	 * an edge that leaves the line high, and an edge-detecting IOAPIC
	 * would swallow the interrupt this halt waits for: a stall until the
	 * next timer.  Acknowledge first; whatever completes after this read
	 * then raises the line afresh.  Flint's MSIs need no such care.
	 */
	if (q->dev->level_as_edge)
		virtio_ack(q->dev);
	while (!irq_enable(q)) {
		now = rdtsc();
		if (now >= deadline)
			break;
		if (timeout && now - start > timeout)
			timed_out(q);
		until = deadline - now < watchdog ? deadline : now + watchdog;
		timer_halt_by(until);
		/*
		 * A vring interrupt says nothing a look at the ring does not;
		 * InterruptStatus matters for a configuration change (and
		 * DEVICE_NEEDS_RESET), which wakes a halt with nothing to show.
		 * So under Flint (an MSI, never left pending) it is read only
		 * then: two exits fewer per wake-up.
		 */
		if (!q->dev->msi_no_ack || !has_used(q))
			virtio_ack(q->dev);
		if (has_used(q) && until == now + watchdog && rdtsc() >= until &&
		    !warned_no_interrupt) {
			warned_no_interrupt = true;
			printf("virtio: %s at %#lx (irq %u, vector %#x) completed a request but its "
			       "interrupt did not wake the guest: is the interrupt routed?\n",
			       virtio_name(q->dev), (unsigned long)q->dev->base, q->dev->irq,
			       q->dev->vector);
		}
	}
	irq_disable(q);
	return has_used(q);
}

void virtq_wait(struct virtq *q)
{
	wait(q, UINT64_MAX, clock_ns_to_tsc(TIMEOUT_NS));
}

bool virtq_wait_until(struct virtq *q, uint64_t deadline)
{
	return wait(q, deadline, 0);
}
