/*
 * virtio-mmio transport (version 2, virtio 1.2 §4.2), driver side.
 * Devices are found on the kernel command line, as Linux finds them:
 * `virtio_mmio.device=<size>@<base>:<irq>` (size may end in K, M or G),
 * wherever the word stands and as often as there are devices.  Device
 * drivers (virtio_blk.c) use the calls below in the order of §3.1.1:
 * find, negotiate, read config, set up queues, driver_ok.
 *
 * Interrupts: see virtio_mmio.c, "Interrupt routes".  Only ring 3 runs
 * this code; interrupts are taken only inside halts.
 */
#ifndef GUEST_DRIVERS_VIRTIO_MMIO_H
#define GUEST_DRIVERS_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio_spec.h"

#define VIRTIO_MAX_DEVICES 16   /* one device vector each: 0x30-0x3f */

struct virtio_dev {
	uintptr_t base;        /* register window (identity mapped) */
	uint64_t size;
	unsigned irq;          /* from the command line: GSI (Flint), IOAPIC pin (QEMU) */
	unsigned index;        /* which virtio_mmio.device= word, from 0 */
	uint32_t device_id;    /* VIRTIO_ID_*; 0 for an empty transport */
	uint8_t vector;        /* where its interrupt arrives, once routed */
	uint32_t status;       /* the status the driver last wrote */
	uint64_t features;     /* negotiated */
	bool config_changed;   /* a configuration-change interrupt came; the driver clears it */
	/* A level line behind an edge-triggered IOAPIC entry (QEMU): while
	 * InterruptStatus stays non-zero the line stays high, and an IOAPIC
	 * that detects edges (KVM's) delivers nothing more. */
	bool level_as_edge;
	/* Flint's monitor, known as such (flint_monitor() in virtio_mmio.c):
	 * the interrupt is an MSI, raised for every batch whatever
	 * InterruptStatus holds, so a halt that ends with a completion to
	 * show needs neither InterruptStatus nor InterruptACK (two exits). */
	bool msi_no_ack;
};

/*
 * Reads the command line and each listed device's ID (the first call
 * only; three register reads per device).  Returns how many devices
 * answer as virtio-mmio version 2 with a non-zero ID.  Malformed
 * parameters and legacy devices are reported on the console and skipped.
 */
unsigned virtio_probe(void);

/* The nth (from 0) probed device of this type, or NULL. */
struct virtio_dev *virtio_find(uint32_t device_id, unsigned nth);

/* "virtio-blk" and so on, for messages. */
const char *virtio_name(const struct virtio_dev *d);

/*
 * Resets the device, then ACKNOWLEDGE, DRIVER, and feature negotiation:
 * accepts VIRTIO_F_VERSION_1 (required), VIRTIO_F_EVENT_IDX when
 * offered, and of the device-specific bits those in `wanted` that the
 * device offers; then FEATURES_OK, checked.  On failure prints why, marks
 * the device FAILED and returns false.
 */
bool virtio_negotiate(struct virtio_dev *d, uint64_t wanted);

static inline bool virtio_has(const struct virtio_dev *d, unsigned feature)
{
	return (d->features >> feature) & 1;
}

/*
 * Device configuration space reads, each as wide as its field (§4.2.2.2:
 * 8-bit fields with 8-bit accesses, and so on); 64-bit ones retry across
 * ConfigGeneration changes.
 */
uint8_t virtio_config_read8(const struct virtio_dev *d, unsigned off);
uint16_t virtio_config_read16(const struct virtio_dev *d, unsigned off);
uint32_t virtio_config_read32(const struct virtio_dev *d, unsigned off);
uint64_t virtio_config_read64(const struct virtio_dev *d, unsigned off);

struct virtq;

/*
 * Sets up queue `qidx` with at most `want` descriptors (rounded down to a
 * power of two, and to what the device allows).  NULL, printed why, on
 * failure.
 */
struct virtq *virtio_queue_setup(struct virtio_dev *d, unsigned qidx, unsigned want);

/* Routes the interrupt and sets DRIVER_OK.  False, printed why, on failure. */
bool virtio_driver_ok(struct virtio_dev *d);

/* Sets FAILED: the driver gives up on the device. */
void virtio_fail(struct virtio_dev *d);

/* ---- for virtq.c ---- */

/* QueueNotify: one register write, an exit unless the monitor uses an ioeventfd. */
void virtio_notify(const struct virtio_dev *d, unsigned qidx);

/*
 * Reads InterruptStatus and acknowledges what it shows (after a halt;
 * virtq.c skips it where msi_no_ack allows).
 * Panics if the device reports DEVICE_NEEDS_RESET.
 */
void virtio_ack(struct virtio_dev *d);

/* Panics with the device's state if it reports DEVICE_NEEDS_RESET; otherwise returns the status. */
uint32_t virtio_check_status(struct virtio_dev *d);

#endif
