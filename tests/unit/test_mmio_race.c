/*
 * The transport's locking under contention: two "vCPUs" hammer the
 * register file (resets, feature negotiation, queue set-up) while a third
 * thread serves notifies, as the event loop does, and a fourth saves the
 * transport's state over and over (its device's quiesce reading the
 * queue it finishes).  Built twice: with the
 * unit tests (ASan/UBSan), and by `make check` under ThreadSanitizer
 * (tests/tsan.mk), which reports any access to transport or queue state
 * that the locking rule in virtio/mmio.c does not order.
 */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "check.h"
#include "state.h"
#include "virtio.h"

#define MEM_SIZE (1u << 20)
#define QSIZE 8
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define DATA 0x8000
#define ROUNDS 3000

static struct guest_mem mem;
#include "mmio_regs.h"
static bool stop;
static unsigned served;

/* The device: consumes every chain, writes nothing into it. */
static struct virtq_chain chain;

static bool fake_notify(void *dev, struct virtq *q)
{
	(void)dev;
	while (virtq_pop(q, &chain) == 1) {
		virtq_push(q, chain.head, 0);
		__atomic_fetch_add(&served, 1, __ATOMIC_RELAXED);
	}
	virtq_notify_driver(q);
	return false;
}

static void fake_config(void *dev, uint32_t off, uint8_t *data, uint32_t len)
{
	(void)dev, (void)off;
	for (uint32_t i = 0; i < len; i++)
		data[i] = 0;
}

/* Touches the queue as a device finishing a request would. */
static void fake_quiesce(void *dev, struct virtq *q)
{
	(void)dev;
	virtq_notify_driver(q);
}

static const struct virtio_dev_ops ops = {
	.name = "race", .device_id = 2, .num_queues = 1, .queue_max = QSIZE, .config_size = 8,
	.config_read = fake_config, .queue_notify = fake_notify, .quiesce = fake_quiesce,
};

/* Guest memory is shared with the device thread: the guest stores atomically. */
#define GSTORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

static void post_one(uint16_t *idx)
{
	struct vring_desc *d = (struct vring_desc *)(mem.host + DESC);
	struct vring_avail *a = (struct vring_avail *)(mem.host + AVAIL);

	GSTORE(&d[0].addr, (uint64_t)DATA);
	GSTORE(&d[0].len, 16u);
	GSTORE(&d[0].flags, (uint16_t)0);
	GSTORE(&a->ring[*idx % QSIZE], (uint16_t)0);
	GSTORE(&a->idx, (uint16_t)++*idx);
}

/* The driver's bring-up up to a set-up queue, FEATURES_OK but not DRIVER_OK. */
static void set_up_queue(void)
{
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VIRTIO_F_VERSION_1 */
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				       VIRTIO_CONFIG_S_FEATURES_OK);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, DESC);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, AVAIL);
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, USED);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
}

/* vCPU 0: the driver's whole bring-up, requests, a reset; over and over. */
static void *driver(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		uint16_t idx = 0;

		wr(VIRTIO_MMIO_STATUS, 0);
		GSTORE(&((struct vring_avail *)(mem.host + AVAIL))->idx, (uint16_t)0);
		set_up_queue();
		wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					       VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
		post_one(&idx);
		post_one(&idx);
		wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	}
	return NULL;
}

/* vCPU 1: a second, hostile driver on the same device: set-ups and resets. */
static void *hammer(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		set_up_queue();
		if (i % 3 == 0)
			wr(VIRTIO_MMIO_STATUS, 0);
		wr(VIRTIO_MMIO_INTERRUPT_ACK, 3);
		(void)rd(VIRTIO_MMIO_STATUS);
		(void)rd(VIRTIO_MMIO_QUEUE_READY);
		(void)rd(VIRTIO_MMIO_CONFIG);
	}
	return NULL;
}

/* The event loop: serves the queue as fast as it can. */
static void *loop(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
		virtio_mmio_notify(t, 0);
	return NULL;
}

/* Snapshots taken in the middle of it all. */
static void *saver(void *arg)
{
	unsigned *saves = arg;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		struct state_out o = { 0 };

		if (virtio_mmio_save(t, &o) == 0)
			__atomic_fetch_add(saves, 1, __ATOMIC_RELEASE);
		state_out_free(&o);
	}
	return NULL;
}

TEST(registers_reset_notify_and_save_race_cleanly)
{
	pthread_t a, b, c, d;
	unsigned saves = 0;

	mem.size = MEM_SIZE;
	mem.host = calloc(1, MEM_SIZE);
	t = virtio_mmio_create(&mem, "race", &ops, NULL, NULL);
	CHECK(t != NULL);
	if (!t)
		return;
	CHECK(pthread_create(&c, NULL, loop, NULL) == 0);
	CHECK(pthread_create(&d, NULL, saver, &saves) == 0);
	CHECK(pthread_create(&a, NULL, driver, NULL) == 0);
	CHECK(pthread_create(&b, NULL, hammer, NULL) == 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	/* At least one save overlaps the serving thread, however the threads were scheduled. */
	while (!__atomic_load_n(&saves, __ATOMIC_ACQUIRE))
		sched_yield();
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	pthread_join(c, NULL);
	pthread_join(d, NULL);
	/* The register file still works: one clean bring-up after the storm. */
	wr(VIRTIO_MMIO_STATUS, 0);
	CHECK(rd(VIRTIO_MMIO_STATUS) == 0);
	CHECK(rd(VIRTIO_MMIO_MAGIC_VALUE) == 0x74726976);
	CHECK(__atomic_load_n(&served, __ATOMIC_RELAXED) > 0);
	virtio_mmio_destroy(t);
	free(mem.host);
}

CHECK_MAIN()
