/*
 * The guest's virtqueue wait (guest-kernel/drivers/virtq.c), built for the
 * host against a simulated device, interrupt line and clock: whether a
 * halt ends at the device's interrupt or only at the 1 s watchdog.
 *
 * The line is virtio-mmio's level (high while InterruptStatus is non-zero)
 * seen through an edge-triggered IOAPIC entry, as the guest routes it
 * under QEMU.  An IOAPIC that detects edges (KVM's in-kernel one) delivers
 * only when the line goes from low to high; QEMU's own re-delivers on
 * every raise and would hide the bug this covers.  On Flint every
 * interrupt is an MSI: each raise delivers, whatever InterruptStatus holds.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "drivers/virtio_mmio.h"
#include "drivers/virtq.h"
#include "kernel/clock.h"
#include "kernel/timer.h"

#define QSIZE 8
#define WATCHDOG_NS 1000000000ull

static uint64_t now;           /* the TSC, in ns (clock_ns_to_tsc is the identity) */
static uint32_t isr;           /* the device's InterruptStatus: the line is high while non-zero */
static bool pending;           /* an interrupt reached the CPU and ends the next halt */
static bool detects_edges;     /* KVM's IOAPIC; false: QEMU's, or an MSI */
static unsigned acks, halts, halts_by_timer;
static int complete_in_halt;   /* buffers the device finishes while the guest halts */
static struct virtio_dev dev;
static struct virtq *q, *queues[16]; /* the guest never frees a queue: keep them reachable */
static unsigned nqueues;
static uint16_t dev_avail, dev_used;

uint64_t rdtsc(void) { return now; }
uint64_t clock_ns_to_tsc(uint64_t ns) { return ns; }
const char *cmdline_param(const char *name) { return !strcmp(name, "virtio.poll_us") ? "0" : NULL; }
const char *virtio_name(const struct virtio_dev *d) { (void)d; return "virtio-test"; }
uint32_t virtio_check_status(struct virtio_dev *d) { (void)d; return 0; }
void virtio_notify(const struct virtio_dev *d, unsigned qidx) { (void)d, (void)qidx; }

_Noreturn void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	abort();
}

static void raise_line(uint32_t why)
{
	bool was_high = isr != 0;

	isr |= why;
	if (!detects_edges || !was_high)
		pending = true;
}

void virtio_ack(struct virtio_dev *d)
{
	(void)d;
	acks++;
	isr = 0;
}

/* The device uses the next available buffer and interrupts if used_event asks (§2.7.10). */
static void device_complete(void)
{
	uint64_t desc, avail, used;
	struct virtq_avail *a;
	struct virtq_used *u;
	uint16_t old = dev_used, used_event;

	virtq_addresses(q, &desc, &avail, &used);
	a = (struct virtq_avail *)(uintptr_t)avail;
	u = (struct virtq_used *)(uintptr_t)used;
	u->ring[dev_used % QSIZE].id = a->ring[dev_avail++ % QSIZE];
	u->ring[dev_used % QSIZE].len = 1;
	__atomic_store_n(&u->idx, ++dev_used, __ATOMIC_RELEASE);
	used_event = a->ring[QSIZE];
	if (virtq_need_event(used_event, dev_used, old))
		raise_line(VIRTIO_MMIO_INT_VRING);
}

void timer_halt_by(uint64_t latest)
{
	halts++;
	for (; complete_in_halt > 0; complete_in_halt--)
		device_complete();
	if (pending) {
		pending = false;
		now += 1000;     /* woken by the interrupt */
		return;
	}
	halts_by_timer++;
	now = latest;
}

static void setup(bool level_as_edge, bool edges)
{
	static char b[QSIZE];

	now = 1000000;
	isr = 0;
	pending = false;
	detects_edges = edges;
	acks = halts = halts_by_timer = 0;
	complete_in_halt = 0;
	dev_avail = dev_used = 0;
	dev = (struct virtio_dev){ .features = 1ull << VIRTIO_F_EVENT_IDX, .level_as_edge = level_as_edge };
	q = virtq_alloc(&dev, 0, QSIZE);
	CHECK(q != NULL && nqueues < 16);
	queues[nqueues++] = q;
	for (unsigned i = 0; i < QSIZE; i++) {
		struct virtq_seg s = { &b[i], 1, true };

		CHECK(virtq_add(q, &s, 1, &b[i]) == 0);
	}
}

/* Waits with a deadline far off; how long the wait took. */
static uint64_t timed_wait(void)
{
	uint64_t t0 = now;

	CHECK(virtq_wait_until(q, now + 10 * WATCHDOG_NS));
	return now - t0;
}

/*
 * An interrupt the guest never acknowledged leaves the line high: one
 * raised after the driver had already found its completion (the device
 * writes the used index before it interrupts), or a configuration change
 * while the guest was busy.  The next halt must still end at the next
 * completion, not a second later at the watchdog.
 */
TEST(stale_interrupt_does_not_hide_the_next_on_an_edge_detecting_ioapic)
{
	setup(true, true);
	raise_line(VIRTIO_MMIO_INT_CONFIG);
	pending = false;  /* delivered, EOI'd, and the guest went on without halting */
	complete_in_halt = 1;
	CHECK(timed_wait() < WATCHDOG_NS);
	CHECK(halts_by_timer == 0);
	CHECK(virtq_pop(q, NULL) != NULL);
	/* And the one after that, the common case, needs no help. */
	complete_in_halt = 1;
	CHECK(timed_wait() < WATCHDOG_NS);
	CHECK(halts_by_timer == 0 && halts == 2);
}

/* The same race as the device can actually produce it: a completion lands
 * just as the driver re-enables interrupts, so the driver sees it and skips
 * the halt, and the interrupt that follows is never acknowledged. */
TEST(interrupt_after_irq_enable_saw_the_completion)
{
	setup(true, true);
	complete_in_halt = 1;
	CHECK(timed_wait() < WATCHDOG_NS);   /* halted, woken, acknowledged */
	CHECK(virtq_pop(q, NULL) != NULL);
	/* used_event now asks for an interrupt at the next entry; the device
	 * writes it and interrupts after the driver has looked. */
	{
		uint64_t desc, avail, used;

		virtq_addresses(q, &desc, &avail, &used);
		((struct virtq_avail *)(uintptr_t)avail)->ring[QSIZE] = dev_used;
	}
	device_complete();
	pending = false;  /* the wait below finds the entry at once; the interrupt is EOI'd unseen */
	CHECK(timed_wait() == 0);
	CHECK(virtq_pop(q, NULL) != NULL);
	complete_in_halt = 1;
	CHECK(timed_wait() < WATCHDOG_NS);
	CHECK(halts_by_timer == 0);
}

/* QEMU's IOAPIC delivers every raise: no acknowledgement before the halt. */
TEST(every_raise_delivered_pays_no_extra_register_access)
{
	setup(false, false);
	raise_line(VIRTIO_MMIO_INT_CONFIG);
	pending = false;
	complete_in_halt = 1;
	CHECK(timed_wait() < WATCHDOG_NS);
	CHECK(halts == 1 && acks == 1); /* the one after the halt */
}

/* Flint's MSI: a wake-up with a completion costs no register access at all. */
TEST(flint_msi_wakeup_with_a_completion_is_not_acknowledged)
{
	setup(false, false);
	dev.msi_no_ack = true;
	for (int i = 0; i < 3; i++) {
		complete_in_halt = 1;
		CHECK(timed_wait() < WATCHDOG_NS);
		CHECK(virtq_pop(q, NULL) != NULL);
	}
	CHECK(halts == 3 && halts_by_timer == 0 && acks == 0);
}

/* ... but one with nothing to show may be a configuration change: it reads InterruptStatus. */
TEST(flint_msi_wakeup_without_a_completion_reads_the_status)
{
	setup(false, false);
	dev.msi_no_ack = true;
	raise_line(VIRTIO_MMIO_INT_CONFIG);   /* wakes the first halt, no buffer used */
	complete_in_halt = 0;
	CHECK(!virtq_wait_until(q, now + 5000));
	CHECK(acks >= 1);
}

TEST(no_completion_waits_to_the_deadline)
{
	uint64_t t0;

	setup(true, true);
	t0 = now;
	CHECK(!virtq_wait_until(q, now + 3 * WATCHDOG_NS + 5));
	CHECK(now - t0 == 3 * WATCHDOG_NS + 5);
	CHECK(halts == 4 && halts_by_timer == 4); /* three watchdog periods, then the rest */
}

CHECK_MAIN()
