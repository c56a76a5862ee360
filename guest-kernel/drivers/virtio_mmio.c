/*
 * virtio-mmio transport, driver side: the command line, probing, device
 * initialization (§3.1.1), queue registers (§4.2.3.2) and interrupts.
 * Every register access is an exit to the monitor (about 25 µs from ring 3
 * on kvm_pvm), so each one here is one the protocol requires.
 *
 * Interrupt routes.  A device's interrupt only has to end a halt: ring 3
 * then looks at the rings, and the interrupt stubs (entry.S) just EOI the
 * LAPIC.  Two routes, told apart by where the device sits:
 *
 *  - Flint (registers at 0xd0001000 + i * 0x1000, GSI 5 + i): the monitor
 *    turns GSI g into an MSI to vector 0x30 + (g - 5) (flint_vector()).
 *    MSIs are edges: nothing to program here, and, once the guest knows
 *    the monitor is Flint (flint_monitor()), nothing to acknowledge after
 *    a halt that ends with a completion (virtq.c's wait()).
 *  - Anywhere else, i.e. QEMU microvm (0xfeb0xxxx, IOAPIC pin from the
 *    command line): the IOAPIC pin is routed to vector 0x30 + index, as an
 *    edge although the virtio-mmio line is a level.  Level mode cannot
 *    work with these stubs: the EOI, in ring 0, comes before ring 3 can
 *    write InterruptACK, so the IOAPIC would see the line still high and
 *    deliver again at once, forever.  In edge mode, ring 3 acknowledges
 *    before every halt and only then looks at the used ring, so a buffer
 *    used after the ACK raises the line again (a new edge) and one used
 *    before it is seen by that look: no wake-up is lost.  Acknowledging
 *    only after a halt is not enough: an interrupt for a buffer the look
 *    already saw lands after it, the line stays high, and an IOAPIC that
 *    detects edges (KVM's in-kernel one) then sees no edge for the next
 *    (virtq.c's wait()).
 *
 * The LAPIC is enabled before DRIVER_OK: KVM drops fixed interrupts to a
 * software-disabled LAPIC.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flint.h>
#include <flint/boot_abi.h>

#include "arch/x86_64/cpu.h"
#include "drivers/virtio_mmio.h"
#include "drivers/virtq.h"
#include "kernel/console.h"
#include "kernel/ioapic.h"
#include "kernel/lapic.h"
#include "kernel/pv.h"

#define PARAM             "virtio_mmio.device"
#define IDENTITY_MAP_END  0x100000000ull
#define RESET_POLLS       1000000

static struct virtio_dev devices[VIRTIO_MAX_DEVICES];
static unsigned ndevices;
static bool probed;

static uint32_t reg_read(const struct virtio_dev *d, unsigned off)
{
	__asm__ volatile("" : : : "memory");
	return mmio_read32(d->base + off);
}

/* The compiler barrier keeps ring updates ahead of the write that tells the device. */
static void reg_write(const struct virtio_dev *d, unsigned off, uint32_t v)
{
	__asm__ volatile("" : : : "memory");
	mmio_write32(d->base + off, v);
}

const char *virtio_name(const struct virtio_dev *d)
{
	switch (d->device_id) {
	case VIRTIO_ID_NET:
		return "virtio-net";
	case VIRTIO_ID_BLOCK:
		return "virtio-blk";
	case VIRTIO_ID_CONSOLE:
		return "virtio-console";
	default:
		return "virtio device";
	}
}

/* `<size>@<base>:<irq>[:<id>]`, as Linux reads it; false if malformed. */
static bool parse(const char *w, struct virtio_dev *d)
{
	char *end;
	unsigned long long size, base;
	unsigned long irq;

	size = strtoull(w, &end, 0);
	switch (*end) {
	case 'K': case 'k': size <<= 10; end++; break;
	case 'M': case 'm': size <<= 20; end++; break;
	case 'G': case 'g': size <<= 30; end++; break;
	}
	if (end == w || *end != '@')
		return false;
	w = end + 1;
	base = strtoull(w, &end, 0);
	if (end == w || *end != ':')
		return false;
	w = end + 1;
	irq = strtoul(w, &end, 0);
	if (end == w || (*end != '\0' && *end != ':'))
		return false;
	d->size = size;
	d->base = (uintptr_t)base;
	d->irq = (unsigned)irq;
	return base < IDENTITY_MAP_END && size <= IDENTITY_MAP_END - base && irq < 256;
}

/* Three register reads: is a modern virtio device there, and which? */
static bool identify(struct virtio_dev *d)
{
	uint32_t magic = reg_read(d, VIRTIO_MMIO_MAGIC_VALUE), version;

	if (magic != VIRTIO_MMIO_MAGIC) {
		printf("virtio: no virtio-mmio device at %#lx (magic %#x): check virtio_mmio.device=\n",
		       (unsigned long)d->base, magic);
		return false;
	}
	version = reg_read(d, VIRTIO_MMIO_VERSION);
	if (version != 2) {
		printf("virtio: device at %#lx is virtio-mmio version %u; this guest drives only "
		       "version 2 (QEMU: -global virtio-mmio.force-legacy=false)\n",
		       (unsigned long)d->base, version);
		return false;
	}
	d->device_id = reg_read(d, VIRTIO_MMIO_DEVICE_ID);
	return d->device_id != 0;    /* 0: a transport with nothing behind it */
}

unsigned virtio_probe(void)
{
	const char *w;

	if (probed)
		return ndevices;
	probed = true;
	for (unsigned n = 0; (w = cmdline_param_nth(PARAM, n)); n++) {
		struct virtio_dev d = { .index = n };

		if (ndevices == VIRTIO_MAX_DEVICES) {
			printf("virtio: more than %u devices; ignoring %s=%s and later ones\n",
			       VIRTIO_MAX_DEVICES, PARAM, w);
			break;
		}
		if (!parse(w, &d)) {
			printf("virtio: ignoring %s=%s: want <size>@<base>:<irq>, e.g. "
			       "512@0xd0001000:5, below 4 GiB\n", PARAM, w);
			continue;
		}
		if (d.size < VIRTIO_MMIO_CONFIG) {
			printf("virtio: ignoring %s=%s: a window of %llu bytes has no room for the "
			       "registers (0x100 at least)\n", PARAM, w, (unsigned long long)d.size);
			continue;
		}
		if (identify(&d))
			devices[ndevices++] = d;
	}
	return ndevices;
}

struct virtio_dev *virtio_find(uint32_t device_id, unsigned nth)
{
	virtio_probe();
	for (unsigned i = 0; i < ndevices; i++)
		if (devices[i].device_id == device_id && nth-- == 0)
			return &devices[i];
	return NULL;
}

static void set_status(struct virtio_dev *d, uint32_t bits)
{
	d->status |= bits;
	reg_write(d, VIRTIO_MMIO_STATUS, d->status);
}

void virtio_fail(struct virtio_dev *d)
{
	set_status(d, VIRTIO_S_FAILED);
}

static bool reset(struct virtio_dev *d)
{
	d->status = 0;
	reg_write(d, VIRTIO_MMIO_STATUS, 0);
	/* §4.2.3.1: the reset is done when the status reads back as 0. */
	for (unsigned i = 0; i < RESET_POLLS; i++)
		if (reg_read(d, VIRTIO_MMIO_STATUS) == 0)
			return true;
	printf("virtio: %s at %#lx does not finish its reset\n", virtio_name(d),
	       (unsigned long)d->base);
	return false;
}

bool virtio_negotiate(struct virtio_dev *d, uint64_t wanted)
{
	uint64_t offered, accept;

	if (!reset(d))
		return false;
	set_status(d, VIRTIO_S_ACKNOWLEDGE);
	set_status(d, VIRTIO_S_DRIVER);
	reg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	offered = reg_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
	reg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	offered |= (uint64_t)reg_read(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	if (!(offered >> VIRTIO_F_VERSION_1 & 1)) {
		printf("virtio: %s at %#lx does not offer VIRTIO_F_VERSION_1 (features %#llx): "
		       "legacy devices are not supported\n", virtio_name(d), (unsigned long)d->base,
		       (unsigned long long)offered);
		virtio_fail(d);
		return false;
	}
	/* Indirect descriptors are not taken: a request's data is one
	 * contiguous buffer here, so chains stay three descriptors long. */
	accept = offered & (wanted | 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_EVENT_IDX);
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)accept);
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(accept >> 32));
	set_status(d, VIRTIO_S_FEATURES_OK);
	if (!(reg_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_S_FEATURES_OK)) {
		printf("virtio: %s at %#lx refused features %#llx (it offered %#llx)\n",
		       virtio_name(d), (unsigned long)d->base, (unsigned long long)accept,
		       (unsigned long long)offered);
		virtio_fail(d);
		return false;
	}
	d->features = accept;
	return true;
}

uint8_t virtio_config_read8(const struct virtio_dev *d, unsigned off)
{
	__asm__ volatile("" : : : "memory");
	return mmio_read8(d->base + VIRTIO_MMIO_CONFIG + off);
}

uint16_t virtio_config_read16(const struct virtio_dev *d, unsigned off)
{
	__asm__ volatile("" : : : "memory");
	return mmio_read16(d->base + VIRTIO_MMIO_CONFIG + off);
}

uint32_t virtio_config_read32(const struct virtio_dev *d, unsigned off)
{
	return reg_read(d, VIRTIO_MMIO_CONFIG + off);
}

uint64_t virtio_config_read64(const struct virtio_dev *d, unsigned off)
{
	uint32_t gen, lo, hi;

	/* Two 32-bit reads could straddle a change: retry until the generation holds. */
	do {
		gen = reg_read(d, VIRTIO_MMIO_CONFIG_GENERATION);
		lo = reg_read(d, VIRTIO_MMIO_CONFIG + off);
		hi = reg_read(d, VIRTIO_MMIO_CONFIG + off + 4);
	} while (gen != reg_read(d, VIRTIO_MMIO_CONFIG_GENERATION));
	return (uint64_t)hi << 32 | lo;
}

struct virtq *virtio_queue_setup(struct virtio_dev *d, unsigned qidx, unsigned want)
{
	uint32_t max;
	unsigned size = 1;
	uint64_t desc, avail, used;
	struct virtq *q;

	reg_write(d, VIRTIO_MMIO_QUEUE_SEL, qidx);
	if (reg_read(d, VIRTIO_MMIO_QUEUE_READY)) {
		printf("virtio: %s at %#lx: queue %u is already live after a reset\n", virtio_name(d),
		       (unsigned long)d->base, qidx);
		return NULL;
	}
	max = reg_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (max == 0) {
		printf("virtio: %s at %#lx has no queue %u\n", virtio_name(d), (unsigned long)d->base,
		       qidx);
		return NULL;
	}
	/* Split rings index with a mask: a power of two. */
	while (size * 2 <= want && size * 2 <= max)
		size *= 2;
	q = virtq_alloc(d, qidx, size);
	if (!q) {
		printf("virtio: no memory for a %u-entry queue\n", size);
		return NULL;
	}
	virtq_addresses(q, &desc, &avail, &used);
	reg_write(d, VIRTIO_MMIO_QUEUE_NUM, size);
	reg_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	reg_write(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	reg_write(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
	reg_write(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
	reg_write(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
	reg_write(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
	reg_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
	return q;
}

_Static_assert(FLINT_VIRTIO_VECTOR_BASE == VEC_DEVICE_FIRST &&
	       FLINT_VIRTIO_MAX <= VIRTIO_MAX_DEVICES,
	       "Flint's virtio vectors must be the ones arch/x86_64/layout.h reserves for devices");

static bool on_flint(const struct virtio_dev *d)
{
	return d->base >= FLINT_VIRTIO_MMIO_GPA &&
	       d->base < FLINT_VIRTIO_MMIO_GPA + FLINT_VIRTIO_MAX * FLINT_VIRTIO_MMIO_STRIDE;
}

/*
 * The vector Flint's monitor sends GSI `gsi` to (<flint/boot_abi.h>): the
 * one place that knows Flint's route, so changing the route changes only
 * this.  -1 if the GSI is outside the range Flint gives virtio devices.
 */
static int flint_vector(unsigned gsi)
{
	if (gsi < FLINT_VIRTIO_GSI_BASE || gsi >= FLINT_VIRTIO_GSI_BASE + FLINT_VIRTIO_MAX)
		return -1;
	return FLINT_VIRTIO_VECTOR_BASE + (int)(gsi - FLINT_VIRTIO_GSI_BASE);
}

/*
 * Whether the monitor is Flint, not merely a device at Flint's address:
 * its paravirtual page says so (<flint/boot_abi.h>; all zeroes under
 * QEMU), or its console extension answered the console's probe.  Only
 * then may an interrupt go unacknowledged.
 */
static bool flint_monitor(void)
{
	return pv_info_page()->magic == FLINT_PV_INFO_MAGIC || console_has_ext();
}

static bool route_interrupt(struct virtio_dev *d)
{
	int v;

	lapic_enable();
	if (on_flint(d)) {
		v = flint_vector(d->irq);
		if (v < 0) {
			printf("virtio: %s at %#lx has GSI %u; Flint's virtio GSIs are %u-%u\n",
			       virtio_name(d), (unsigned long)d->base, d->irq, FLINT_VIRTIO_GSI_BASE,
			       FLINT_VIRTIO_GSI_BASE + FLINT_VIRTIO_MAX - 1);
			return false;
		}
		d->vector = (uint8_t)v;
		d->msi_no_ack = flint_monitor();
		return true;
	}
	d->vector = (uint8_t)(VEC_DEVICE_FIRST + d->index % VIRTIO_MAX_DEVICES);
	d->level_as_edge = true;
	return ioapic_route_edge(d->irq, d->vector, lapic_id());
}

bool virtio_driver_ok(struct virtio_dev *d)
{
	if (!route_interrupt(d)) {
		virtio_fail(d);
		return false;
	}
	set_status(d, VIRTIO_S_DRIVER_OK);
	return true;
}

void virtio_notify(const struct virtio_dev *d, unsigned qidx)
{
	reg_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, qidx);
}

uint32_t virtio_check_status(struct virtio_dev *d)
{
	uint32_t s = reg_read(d, VIRTIO_MMIO_STATUS);

	if (s & VIRTIO_S_DEVICE_NEEDS_RESET)
		panic("virtio: %s at %#lx reports DEVICE_NEEDS_RESET (status %#x): it hit an error it "
		      "cannot recover from; see the monitor's log", virtio_name(d),
		      (unsigned long)d->base, s);
	return s;
}

void virtio_ack(struct virtio_dev *d)
{
	uint32_t isr = reg_read(d, VIRTIO_MMIO_INTERRUPT_STATUS);

	if (!isr)
		return;
	reg_write(d, VIRTIO_MMIO_INTERRUPT_ACK, isr);
	/* A device that needs a reset says so with a configuration change (§2.1.2). */
	if (isr & VIRTIO_MMIO_INT_CONFIG) {
		d->config_changed = true;
		virtio_check_status(d);
	}
}
