/*
 * The virtio-mmio register file driven like a guest driver would, with a
 * fake device behind it and fake host hooks in front of it.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "check.h"
#include "guarded_mem.h"
#include "virtio.h"

#define MEM_SIZE (1u << 20)
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define DATA 0x10000

#define ST_ACK VIRTIO_CONFIG_S_ACKNOWLEDGE
#define ST_DRIVER VIRTIO_CONFIG_S_DRIVER
#define ST_FEATURES_OK VIRTIO_CONFIG_S_FEATURES_OK
#define ST_DRIVER_OK VIRTIO_CONFIG_S_DRIVER_OK
#define ST_NEEDS_RESET VIRTIO_CONFIG_S_NEEDS_RESET

static uint8_t *buf;
static struct guest_mem mem;
#include "mmio_regs.h"
static uint16_t avail_idx;

static struct {
	int notifies, served, resets, interrupts, kicks, live_calls;
	bool live[2];
	int live_result;
	bool more;     /* what the handler answers: work left */
} f;

static bool fake_notify(void *dev, struct virtq *q)
{
	struct virtq_chain c;

	(void)dev;
	f.notifies++;
	while (virtq_pop(q, &c) == 1) {
		f.served++;
		virtq_push(q, c.head, 0);
	}
	virtq_notify_driver(q);
	virtq_enable_notify(q);
	return f.more;
}

static uint64_t fake_features(void *dev)
{
	(void)dev;
	/* Bit 35 lies in the transport range: the transport must not offer it. */
	return 1ull << 3 | 1ull << 35;
}

static void fake_config_read(void *dev, uint32_t off, uint8_t *data, uint32_t len)
{
	static const uint8_t cfg[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

	(void)dev;
	memcpy(data, cfg + off, len);
}

static void fake_reset(void *dev)
{
	(void)dev;
	f.resets++;
}

static const struct virtio_dev_ops fake_ops = {
	.name = "fake",
	.device_id = 42,
	.num_queues = 2,
	.queue_max = 16,
	.config_size = 12,
	.features = fake_features,
	.config_read = fake_config_read,
	.queue_notify = fake_notify,
	.reset = fake_reset,
};

static int host_live(void *ctx, unsigned qidx, bool live)
{
	(void)ctx;
	f.live_calls++;
	f.live[qidx] = live;
	return live ? f.live_result : 0;
}

static void host_irq(void *ctx)
{
	(void)ctx;
	f.interrupts++;
}

static void host_kick(void *ctx, unsigned qidx)
{
	(void)ctx, (void)qidx;
	f.kicks++;
}

static struct virtio_host host = { .queue_live = host_live, .interrupt = host_irq };

static void setup(void)
{
	mem = guarded_mem_new(MEM_SIZE);
	buf = mem.host;
	memset(&f, 0, sizeof(f));
	avail_idx = 0;
	t = virtio_mmio_create(&mem, "test0", &fake_ops, NULL, &host);
}

static void teardown(void)
{
	CHECK(guarded_mem_intact(&mem));
	virtio_mmio_destroy(t);
	free(buf);
}

static void negotiate(uint64_t features)
{
	wr(VIRTIO_MMIO_STATUS, ST_ACK);
	wr(VIRTIO_MMIO_STATUS, ST_ACK | ST_DRIVER);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	wr(VIRTIO_MMIO_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
}

static void setup_queue(unsigned sel, uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
	wr(VIRTIO_MMIO_QUEUE_SEL, sel);
	wr(VIRTIO_MMIO_QUEUE_NUM, num);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(avail >> 32));
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
	wr(VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(used >> 32));
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
}

#define V1 (1ull << VIRTIO_F_VERSION_1)
#define ALL_OK (ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK)

/* ACK .. DRIVER_OK with queue 0 at the default rings. */
static void bring_up(void)
{
	negotiate(V1);
	setup_queue(0, 8, DESC, AVAIL, USED);
	wr(VIRTIO_MMIO_STATUS, ALL_OK);
}

/* Puts a one-descriptor chain on queue 0. */
static void post_buffer(void)
{
	struct vring_desc d = { DATA, 16, VRING_DESC_F_WRITE, 0 };
	struct vring_avail *a = (struct vring_avail *)(buf + AVAIL);

	memcpy(buf + DESC, &d, sizeof(d));
	a->ring[avail_idx % 8] = 0;
	a->idx = ++avail_idx;
}

TEST(identity_registers)
{
	setup();
	CHECK(rd(VIRTIO_MMIO_MAGIC_VALUE) == 0x74726976);
	CHECK(rd(VIRTIO_MMIO_VERSION) == 2);
	CHECK(rd(VIRTIO_MMIO_DEVICE_ID) == 42);
	CHECK(rd(VIRTIO_MMIO_VENDOR_ID) != 0);
	CHECK(rd(VIRTIO_MMIO_CONFIG_GENERATION) == 0);
	CHECK(rd(VIRTIO_MMIO_STATUS) == 0);
	CHECK(rd(0x1fc) == 0xffffffff); /* nothing there */
	teardown();
}

TEST(feature_words)
{
	setup();
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK(rd(VIRTIO_MMIO_DEVICE_FEATURES) ==
	      (1u << 3 | 1u << VIRTIO_RING_F_INDIRECT_DESC | 1u << VIRTIO_RING_F_EVENT_IDX));
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK(rd(VIRTIO_MMIO_DEVICE_FEATURES) == 1); /* VERSION_1 only: bit 35 masked */
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	CHECK(rd(VIRTIO_MMIO_DEVICE_FEATURES) == 0);
	teardown();
}

TEST(features_ok_accepted_for_offered_subset)
{
	setup();
	negotiate(V1 | 1ull << 3 | 1ull << VIRTIO_RING_F_EVENT_IDX);
	CHECK(rd(VIRTIO_MMIO_STATUS) == (ST_ACK | ST_DRIVER | ST_FEATURES_OK));
	teardown();
}

TEST(features_ok_refused_for_unoffered)
{
	setup();
	negotiate(V1 | 1ull << 4);
	CHECK(rd(VIRTIO_MMIO_STATUS) == (ST_ACK | ST_DRIVER));
	teardown();
	setup();
	negotiate(V1 | 1ull << 35); /* offered by the device, but not by the transport */
	CHECK(!(rd(VIRTIO_MMIO_STATUS) & ST_FEATURES_OK));
	teardown();
}

TEST(features_ok_refused_without_version_1)
{
	setup();
	negotiate(1ull << 3);
	CHECK(!(rd(VIRTIO_MMIO_STATUS) & ST_FEATURES_OK));
	wr(VIRTIO_MMIO_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
	CHECK(!(rd(VIRTIO_MMIO_STATUS) & ST_DRIVER_OK));
	teardown();
}

TEST(status_out_of_order_ignored)
{
	setup();
	wr(VIRTIO_MMIO_STATUS, ST_DRIVER); /* DRIVER before ACKNOWLEDGE */
	CHECK(rd(VIRTIO_MMIO_STATUS) == 0);
	wr(VIRTIO_MMIO_STATUS, ST_ACK | ST_FEATURES_OK); /* skipping DRIVER */
	CHECK(rd(VIRTIO_MMIO_STATUS) == 0);
	wr(VIRTIO_MMIO_STATUS, ST_ACK);
	wr(VIRTIO_MMIO_STATUS, ST_ACK | ST_DRIVER | ST_DRIVER_OK); /* skipping FEATURES_OK */
	CHECK(rd(VIRTIO_MMIO_STATUS) == ST_ACK);
	wr(VIRTIO_MMIO_STATUS, ST_ACK | ST_DRIVER);
	wr(VIRTIO_MMIO_STATUS, ST_DRIVER); /* clearing a bit */
	CHECK(rd(VIRTIO_MMIO_STATUS) == (ST_ACK | ST_DRIVER));
	wr(VIRTIO_MMIO_STATUS, ST_ACK | ST_DRIVER | 0x10); /* unknown bit */
	CHECK(rd(VIRTIO_MMIO_STATUS) == (ST_ACK | ST_DRIVER));
	wr(VIRTIO_MMIO_STATUS, ST_ACK | ST_DRIVER | ST_NEEDS_RESET); /* device's bit */
	CHECK(rd(VIRTIO_MMIO_STATUS) == (ST_ACK | ST_DRIVER));
	teardown();
}

static uint16_t avail_event(void)
{
	uint16_t v;

	memcpy(&v, buf + USED + 4 + 8 * 8, 2);
	return v;
}

TEST(driver_features_frozen_after_features_ok)
{
	/* With EVENT_IDX the device publishes avail_event after serving. */
	setup();
	negotiate(V1 | 1ull << VIRTIO_RING_F_EVENT_IDX);
	setup_queue(0, 8, DESC, AVAIL, USED);
	wr(VIRTIO_MMIO_STATUS, ALL_OK);
	post_buffer();
	virtio_mmio_notify(t, 0);
	CHECK(f.served == 1 && avail_event() == 1);
	teardown();

	/* Taking EVENT_IDX after FEATURES_OK does not count. */
	setup();
	negotiate(V1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1u << VIRTIO_RING_F_EVENT_IDX);
	setup_queue(0, 8, DESC, AVAIL, USED);
	wr(VIRTIO_MMIO_STATUS, ALL_OK);
	post_buffer();
	virtio_mmio_notify(t, 0);
	CHECK(f.served == 1 && avail_event() == 0);
	teardown();
}

static void expect_queue_refused(void)
{
	CHECK(rd(VIRTIO_MMIO_QUEUE_READY) == 0);
	CHECK(rd(VIRTIO_MMIO_STATUS) & ST_NEEDS_RESET);
	wr(VIRTIO_MMIO_STATUS, ALL_OK);
	CHECK(f.live_calls == 0);
}

TEST(queue_num_above_max)
{
	setup();
	negotiate(V1);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	CHECK(rd(VIRTIO_MMIO_QUEUE_NUM_MAX) == 16);
	setup_queue(0, 32, DESC, AVAIL, USED);
	expect_queue_refused();
	teardown();
}

TEST(queue_num_not_power_of_two)
{
	setup();
	negotiate(V1);
	setup_queue(0, 12, DESC, AVAIL, USED);
	expect_queue_refused();
	teardown();
}

TEST(queue_num_zero)
{
	setup();
	negotiate(V1);
	setup_queue(0, 0, DESC, AVAIL, USED);
	expect_queue_refused();
	teardown();
}

TEST(queue_rings_misaligned)
{
	setup();
	negotiate(V1);
	setup_queue(0, 8, DESC + 8, AVAIL, USED);
	expect_queue_refused();
	teardown();
	setup();
	negotiate(V1);
	setup_queue(0, 8, DESC, AVAIL, USED + 2);
	expect_queue_refused();
	teardown();
}

TEST(queue_rings_outside_memory)
{
	setup();
	negotiate(V1);
	setup_queue(0, 8, DESC, AVAIL, USED | 1ull << 32);
	expect_queue_refused();
	teardown();
	setup();
	negotiate(V1);
	setup_queue(0, 8, 0xfffffffffffffff0ull, AVAIL, USED);
	expect_queue_refused();
	teardown();
}

TEST(queue_enabled_before_features_ok)
{
	setup();
	wr(VIRTIO_MMIO_STATUS, ST_ACK);
	wr(VIRTIO_MMIO_STATUS, ST_ACK | ST_DRIVER);
	setup_queue(0, 8, DESC, AVAIL, USED);
	CHECK(rd(VIRTIO_MMIO_QUEUE_READY) == 0);
	CHECK(rd(VIRTIO_MMIO_STATUS) & ST_NEEDS_RESET);
	teardown();
}

TEST(queue_sel_beyond_queues)
{
	setup();
	negotiate(V1);
	wr(VIRTIO_MMIO_QUEUE_SEL, 2);
	CHECK(rd(VIRTIO_MMIO_QUEUE_NUM_MAX) == 0);
	setup_queue(2, 8, DESC, AVAIL, USED);
	CHECK(rd(VIRTIO_MMIO_QUEUE_READY) == 0);
	CHECK(!(rd(VIRTIO_MMIO_STATUS) & ST_NEEDS_RESET));
	virtio_mmio_notify(t, 2);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 7);
	CHECK(f.notifies == 0);
	teardown();
}

TEST(notify_before_driver_ok_ignored)
{
	setup();
	negotiate(V1);
	setup_queue(0, 8, DESC, AVAIL, USED);
	post_buffer();
	virtio_mmio_notify(t, 0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK(f.notifies == 0 && f.served == 0);
	CHECK(f.live_calls == 0);
	CHECK(((struct vring_used *)(buf + USED))->idx == 0);
	teardown();
}

TEST(driver_ok_starts_ready_queues_only)
{
	setup();
	bring_up();
	CHECK(rd(VIRTIO_MMIO_STATUS) == ALL_OK);
	CHECK(f.live_calls == 1 && f.live[0] && !f.live[1]);
	virtio_mmio_notify(t, 1); /* never set up */
	CHECK(f.notifies == 0);
	teardown();
}

/* The handler's "work left" answer reaches the caller, which must call again. */
TEST(notify_returns_work_left)
{
	setup();
	bring_up();
	post_buffer();
	CHECK(!virtio_mmio_notify(t, 0));
	f.more = true;
	CHECK(virtio_mmio_notify(t, 0));
	CHECK(!virtio_mmio_notify(t, 1)); /* not live: the handler never ran */
	CHECK(f.notifies == 2);
	teardown();
}

TEST(used_buffers_interrupt_and_ack)
{
	setup();
	bring_up();
	post_buffer();
	virtio_mmio_notify(t, 0);
	CHECK(f.served == 1 && f.interrupts == 1);
	CHECK(rd(VIRTIO_MMIO_INTERRUPT_STATUS) == VIRTIO_MMIO_INT_VRING);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	CHECK(rd(VIRTIO_MMIO_INTERRUPT_STATUS) == 0);
	CHECK(((struct vring_used *)(buf + USED))->idx == 1);
	teardown();
}

TEST(trapped_queue_notify)
{
	setup();
	bring_up();
	post_buffer();
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0); /* no kick hook: served inline */
	CHECK(f.served == 1);
	teardown();

	host.kick = host_kick;
	setup();
	bring_up();
	post_buffer();
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK(f.kicks == 1 && f.served == 0);
	host.kick = NULL;
	teardown();
}

TEST(queue_registers_frozen_after_driver_ok)
{
	setup();
	bring_up();
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, 4);
	wr(VIRTIO_MMIO_QUEUE_READY, 0);
	CHECK(rd(VIRTIO_MMIO_QUEUE_NUM) == 8);
	CHECK(rd(VIRTIO_MMIO_QUEUE_READY) == 1);
	teardown();
}

TEST(reset_clears_everything)
{
	setup();
	bring_up();
	post_buffer();
	virtio_mmio_notify(t, 0);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_STATUS, 0);
	CHECK(f.resets == 1);
	CHECK(!f.live[0]);
	CHECK(rd(VIRTIO_MMIO_STATUS) == 0);
	CHECK(rd(VIRTIO_MMIO_INTERRUPT_STATUS) == 0);
	CHECK(rd(VIRTIO_MMIO_QUEUE_READY) == 0);
	CHECK(rd(VIRTIO_MMIO_QUEUE_NUM) == 0);
	CHECK(rd(VIRTIO_MMIO_DEVICE_FEATURES_SEL) == 0);
	post_buffer();
	virtio_mmio_notify(t, 0);
	CHECK(f.served == 1);
	/* And it comes back up, counting rings from zero again. */
	memset(buf + AVAIL, 0, 0x2000);
	avail_idx = 0;
	bring_up();
	post_buffer();
	virtio_mmio_notify(t, 0);
	CHECK(f.served == 2);
	CHECK(((struct vring_used *)(buf + USED))->idx == 1);
	teardown();
}

TEST(violation_needs_reset_and_logs_once)
{
	struct vring_avail *a;
	char log[512] = "";
	FILE *tmp = tmpfile();
	int saved = dup(2);

	dup2(fileno(tmp), 2);
	setup();
	bring_up();
	a = (struct vring_avail *)(buf + AVAIL);
	a->ring[0] = 100; /* head beyond the queue */
	a->idx = 1;
	virtio_mmio_notify(t, 0);
	CHECK(rd(VIRTIO_MMIO_STATUS) == (ALL_OK | ST_NEEDS_RESET));
	CHECK(rd(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	CHECK(f.interrupts == 1);
	CHECK(!f.live[0]); /* the monitor was told to stop the queue */
	virtio_mmio_notify(t, 0);
	CHECK(f.notifies == 1);
	/* Again after a reset: still one line in the log. */
	wr(VIRTIO_MMIO_STATUS, 0);
	bring_up();
	virtio_mmio_notify(t, 0);
	CHECK(rd(VIRTIO_MMIO_STATUS) & ST_NEEDS_RESET);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	CHECK(fread(log, 1, sizeof(log) - 1, tmp) > 0);
	fclose(tmp);
	CHECK_CONTAINS(log, "test0 (fake): queue 0: driver ring slot 0 names head 100");
	CHECK(strchr(log, '\n') == strrchr(log, '\n')); /* one line */
	teardown();
}

TEST(failed_status_stops_queues)
{
	setup();
	bring_up();
	wr(VIRTIO_MMIO_STATUS, ALL_OK | VIRTIO_CONFIG_S_FAILED);
	CHECK(!f.live[0]);
	post_buffer();
	virtio_mmio_notify(t, 0);
	CHECK(f.notifies == 0);
	teardown();
}

TEST(host_refusing_a_queue_fails_the_device)
{
	setup();
	f.live_result = -1;
	bring_up();
	CHECK(rd(VIRTIO_MMIO_STATUS) & ST_NEEDS_RESET);
	post_buffer();
	virtio_mmio_notify(t, 0);
	CHECK(f.notifies == 0);
	teardown();
}

TEST(config_space_access)
{
	uint8_t b[8];

	setup();
	memset(b, 0, sizeof(b));
	virtio_mmio_bus_ops.read(t, VIRTIO_MMIO_CONFIG + 1, b, 1);
	CHECK(b[0] == 2);
	virtio_mmio_bus_ops.read(t, VIRTIO_MMIO_CONFIG + 2, b, 2);
	CHECK(b[0] == 3 && b[1] == 4);
	CHECK(rd(VIRTIO_MMIO_CONFIG + 8) == 0x0c0b0a09);
	CHECK(rd(VIRTIO_MMIO_CONFIG + 12) == 0xffffffff); /* past config_size */
	CHECK(rd(VIRTIO_MMIO_CONFIG + 10) == 0xffffffff); /* straddles the end */
	memset(b, 0xff, sizeof(b));
	virtio_mmio_bus_ops.read(t, VIRTIO_MMIO_MAGIC_VALUE, b, 2); /* registers are 32-bit */
	CHECK(b[0] == 0xff && b[1] == 0xff);
	wr(VIRTIO_MMIO_CONFIG, 0); /* no config_write: ignored */
	teardown();
}

TEST(bad_ops_refused)
{
	struct virtio_dev_ops o = fake_ops;

	o.queue_max = 12;
	CHECK(virtio_mmio_create(&mem, "x", &o, NULL, NULL) == NULL);
	o = fake_ops;
	o.queue_max = 512;
	CHECK(virtio_mmio_create(&mem, "x", &o, NULL, NULL) == NULL);
	o = fake_ops;
	o.config_size = 0x101;
	CHECK(virtio_mmio_create(&mem, "x", &o, NULL, NULL) == NULL);
}

static void *notifier(void *arg)
{
	bool *stop = arg;

	while (!__atomic_load_n(stop, __ATOMIC_ACQUIRE))
		virtio_mmio_notify(t, 0);
	return NULL;
}

/* A reset racing the serving thread must neither deadlock nor corrupt. */
TEST(reset_races_notify)
{
	bool stop = false;
	pthread_t th;

	setup();
	pthread_create(&th, NULL, notifier, &stop);
	for (int i = 0; i < 300; i++) {
		memset(buf + AVAIL, 0, 0x2000);
		avail_idx = 0;
		bring_up();
		post_buffer();
		wr(VIRTIO_MMIO_STATUS, 0);
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	CHECK(f.resets == 300);
	teardown();
}

CHECK_MAIN()
