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
#include "state.h"
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

/* Snapshots (virtio_mmio_save / virtio_mmio_load, virtio/mmio_state.c). */

/* Record layout (mmio_state.c): a 30-byte header, then 39 bytes per queue. */
#define R_STATUS 2
#define R_FEATURES 6
#define R_ISR 26
#define R_Q(i) (30 + 39 * (i))
#define RQ_NUM 0
#define RQ_DESC 4
#define RQ_AVAIL 12
#define RQ_READY 28
#define RQ_LIVE 29
#define RQ_BROKEN 30
#define RQ_LAST_AVAIL 31
#define RQ_SIG_VALID 37
#define R_LEN R_Q(2)
#define EVIDX (1ull << VIRTIO_RING_F_EVENT_IDX)

static struct state_out record_of(struct virtio_mmio *x)
{
	struct state_out o = { 0 };

	CHECK(virtio_mmio_save(x, &o) == 0 && !o.failed);
	return o;
}

static int load_all(struct virtio_mmio *x, const uint8_t *rec, size_t len, char *err, size_t errlen)
{
	struct state_in in = state_in_make(rec, len);

	if (virtio_mmio_load(x, &in, err, errlen) < 0)
		return -1;
	if (!state_in_done(&in)) {
		snprintf(err, errlen, "%s", in.why);
		return -1;
	}
	return 0;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

/*
 * Saves t, loads the record into a fresh transport over the same memory,
 * checks that one saves the same bytes, and makes it `t` (the old one is
 * destroyed, as a restored process never sees it).
 */
static void restore_into_fresh(void)
{
	struct state_out a = record_of(t), b;
	struct virtio_mmio *old = t;
	char err[256] = "";

	t = virtio_mmio_create(&mem, "test0", &fake_ops, NULL, &host);
	CHECK(load_all(t, a.buf, a.len, err, sizeof(err)) == 0);
	if (err[0])
		fprintf(stderr, "  load: %s\n", err);
	b = record_of(t);
	CHECK(b.len == a.len && !memcmp(a.buf, b.buf, a.len));
	virtio_mmio_destroy(old);
	state_out_free(&a);
	state_out_free(&b);
}

/* Every register the driver can read, on both queues. */
static void read_all(uint32_t *v)
{
	static const uint64_t regs[] = { VIRTIO_MMIO_DEVICE_FEATURES, VIRTIO_MMIO_DEVICE_FEATURES_SEL,
		VIRTIO_MMIO_DRIVER_FEATURES_SEL, VIRTIO_MMIO_QUEUE_NUM, VIRTIO_MMIO_QUEUE_READY,
		VIRTIO_MMIO_INTERRUPT_STATUS, VIRTIO_MMIO_STATUS, VIRTIO_MMIO_CONFIG_GENERATION };
	uint32_t sel = rd(VIRTIO_MMIO_QUEUE_SEL);
	int n = 0;

	v[n++] = sel;
	for (unsigned q = 0; q < 2; q++) {
		wr(VIRTIO_MMIO_QUEUE_SEL, q);
		for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
			v[n++] = rd(regs[i]);
	}
	wr(VIRTIO_MMIO_QUEUE_SEL, sel);
}

/* The driver sees the same registers before and after a restore, at every stage of bring-up. */
TEST(state_round_trip_every_stage)
{
	for (int stage = 0; stage < 7; stage++) {
		uint32_t before[17], after[17];

		setup();
		switch (stage) {
		case 0: /* fresh */
			break;
		case 1: /* features half written, selectors moved */
			wr(VIRTIO_MMIO_STATUS, ST_ACK | ST_DRIVER);
			wr(VIRTIO_MMIO_DRIVER_FEATURES, 8);
			wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
			wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 7);
			break;
		case 2: /* a queue written but not enabled, a selector past the queues */
			negotiate(V1 | EVIDX);
			wr(VIRTIO_MMIO_QUEUE_SEL, 1);
			wr(VIRTIO_MMIO_QUEUE_NUM, 4);
			wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x4000);
			wr(VIRTIO_MMIO_QUEUE_SEL, 9);
			break;
		case 3: /* running, served, interrupt not acknowledged */
			negotiate(V1 | EVIDX);
			setup_queue(0, 8, DESC, AVAIL, USED);
			wr(VIRTIO_MMIO_STATUS, ALL_OK);
			post_buffer();
			virtio_mmio_notify(t, 0);
			CHECK(f.interrupts == 1);
			break;
		case 4: /* a queue enabled, then disabled again before DRIVER_OK */
			negotiate(V1);
			setup_queue(0, 8, DESC, AVAIL, USED);
			wr(VIRTIO_MMIO_QUEUE_READY, 0);
			break;
		case 5: /* the driver gave up */
			bring_up();
			wr(VIRTIO_MMIO_STATUS, ALL_OK | VIRTIO_CONFIG_S_FAILED);
			break;
		case 6: /* FEATURES_OK refused: it did not stick */
			negotiate(1ull << 35);
			break;
		}
		read_all(before);
		restore_into_fresh();
		read_all(after);
		CHECK(!memcmp(before, after, sizeof(before)));
		if (memcmp(before, after, sizeof(before)))
			fprintf(stderr, "  stage %d\n", stage);
		teardown();
	}
}

TEST(state_loaded_queue_keeps_serving)
{
	struct vring_used *u = (struct vring_used *)(buf + USED);

	setup();
	u = (struct vring_used *)(buf + USED);
	negotiate(V1 | EVIDX);
	setup_queue(0, 8, DESC, AVAIL, USED);
	wr(VIRTIO_MMIO_STATUS, ALL_OK);
	for (int i = 0; i < 3; i++) {
		post_buffer();
		virtio_mmio_notify(t, 0);
	}
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	restore_into_fresh();
	post_buffer();
	/* The guest's used_event asks for an interrupt at the next buffer. */
	((struct vring_avail *)(buf + AVAIL))->ring[8] = 3;
	virtio_mmio_notify(t, 0);
	CHECK(f.served == 4 && u->idx == 4 && u->ring[3].id == 0);
	CHECK(rd(VIRTIO_MMIO_INTERRUPT_STATUS) == VIRTIO_MMIO_INT_VRING);
	/* Queue set-up stays frozen, and a reset still brings it all down. */
	wr(VIRTIO_MMIO_QUEUE_NUM, 4);
	CHECK(rd(VIRTIO_MMIO_QUEUE_NUM) == 8);
	wr(VIRTIO_MMIO_STATUS, 0);
	CHECK(rd(VIRTIO_MMIO_STATUS) == 0 && rd(VIRTIO_MMIO_QUEUE_READY) == 0);
	teardown();
}

/* What sat in an eventfd or an irqfd is not in the record: a load re-kicks and re-raises. */
TEST(state_load_kicks_live_queues_and_raises_unseen_interrupt)
{
	struct state_out r;
	char err[256];

	host.kick = host_kick;
	setup();
	bring_up();
	post_buffer();
	virtio_mmio_notify(t, 0);
	CHECK(f.interrupts == 1 && f.kicks == 0);
	r = record_of(t);
	virtio_mmio_destroy(t);
	t = virtio_mmio_create(&mem, "test0", &fake_ops, NULL, &host);
	CHECK(load_all(t, r.buf, r.len, err, sizeof(err)) == 0);
	CHECK(f.kicks == 1);       /* queue 0, the live one */
	CHECK(f.interrupts == 1);  /* not during the load: the vCPUs' state is not back yet */
	virtio_mmio_notify(t, 0);  /* the kick, served once the machine runs */
	CHECK(f.interrupts == 2);
	virtio_mmio_notify(t, 0);
	CHECK(f.interrupts == 2);  /* once */
	state_out_free(&r);
	teardown();

	/* A config interrupt on a device whose queues are stopped still comes back. */
	setup();
	bring_up();
	wr(VIRTIO_MMIO_STATUS, ALL_OK | VIRTIO_CONFIG_S_FAILED);
	r = record_of(t);
	put32(r.buf + R_ISR, VIRTIO_MMIO_INT_CONFIG);
	virtio_mmio_destroy(t);
	f.interrupts = f.kicks = 0;
	t = virtio_mmio_create(&mem, "test0", &fake_ops, NULL, &host);
	CHECK(load_all(t, r.buf, r.len, err, sizeof(err)) == 0);
	CHECK(f.kicks == 1 && f.interrupts == 0);
	virtio_mmio_notify(t, 0);
	CHECK(f.interrupts == 1 && f.notifies == 0);
	state_out_free(&r);
	host.kick = NULL;
	teardown();
}

/* A queue the guest broke stays broken, and the device still needs (and takes) a reset. */
TEST(state_broken_queue_round_trips)
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	struct vring_avail *a;

	dup2(fileno(tmp), 2); /* the violation's log line */
	setup();
	bring_up();
	a = (struct vring_avail *)(buf + AVAIL);
	a->ring[0] = 100;
	a->idx = 1;
	virtio_mmio_notify(t, 0);
	CHECK(rd(VIRTIO_MMIO_STATUS) & ST_NEEDS_RESET);
	restore_into_fresh();
	CHECK(rd(VIRTIO_MMIO_STATUS) == (ALL_OK | ST_NEEDS_RESET));
	f.notifies = 0;
	virtio_mmio_notify(t, 0);
	CHECK(f.notifies == 0);
	wr(VIRTIO_MMIO_STATUS, 0);
	memset(buf + AVAIL, 0, 0x2000);
	avail_idx = 0;
	bring_up();
	post_buffer();
	virtio_mmio_notify(t, 0);
	CHECK(f.served == 1);
	teardown();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fclose(tmp);
}

static int quiesced;

static void fake_quiesce(void *dev, struct virtq *q)
{
	(void)dev;
	CHECK(q->index == 0);
	quiesced++;
}

/* save lets the device finish its requests first, on live queues only. */
TEST(state_save_quiesces_live_queues)
{
	struct virtio_dev_ops ops = fake_ops;
	struct state_out r;

	ops.quiesce = fake_quiesce;
	mem = guarded_mem_new(MEM_SIZE);
	buf = mem.host;
	memset(&f, 0, sizeof(f));
	avail_idx = 0;
	quiesced = 0;
	t = virtio_mmio_create(&mem, "test0", &ops, NULL, &host);
	r = record_of(t);
	state_out_free(&r);
	CHECK(quiesced == 0);
	bring_up();
	r = record_of(t);
	state_out_free(&r);
	CHECK(quiesced == 1);
	teardown();
}

/* One record per case, each a single field out of what the register file can produce. */
TEST(state_impossible_records_refused)
{
	static const struct { unsigned off, width; uint64_t v; const char *why; } bad[] = {
		{ 0, 2, 3, "has 3 queues" },
		{ R_STATUS, 4, ALL_OK | 0x100, "does not define" },
		{ R_STATUS, 4, ST_ACK | ST_DRIVER | ST_DRIVER_OK, "skips a step" },
		{ R_STATUS, 4, ST_DRIVER, "skips a step" },
		{ R_STATUS, 4, ST_ACK | ST_DRIVER, "ready before FEATURES_OK" },
		{ R_STATUS, 4, ST_ACK | ST_DRIVER | ST_FEATURES_OK, "live without DRIVER_OK" },
		{ R_FEATURES, 8, V1 | 1ull << 35, "does not offer" },
		{ R_FEATURES, 8, 1ull << 3, "does not offer" },
		{ R_ISR, 4, 4, "interrupt status" },
		{ R_Q(0) + RQ_NUM, 4, 3, "not a power of two" },
		{ R_Q(0) + RQ_NUM, 4, 32, "exceeds the device's maximum 16" },
		{ R_Q(0) + RQ_NUM, 4, 0, "not a power of two" },
		{ R_Q(0) + RQ_DESC, 8, MEM_SIZE - 16, "outside guest memory" },
		{ R_Q(0) + RQ_DESC, 8, ~0ull - 15, "outside guest memory" },
		{ R_Q(0) + RQ_DESC, 8, DESC + 8, "aligned" },
		{ R_Q(0) + RQ_AVAIL, 8, DESC, "overlap" },
		{ R_Q(0) + RQ_READY, 1, 2, "not a boolean" },
		{ R_Q(0) + RQ_BROKEN, 1, 1, "still live" },
		{ R_Q(0) + RQ_LAST_AVAIL, 2, 2, "in flight" },
		{ R_Q(0) + RQ_SIG_VALID, 1, 1, "without EVENT_IDX" },
		{ R_Q(1) + RQ_LIVE, 1, 1, "not ready but has ring state" },
		{ R_Q(1) + RQ_LAST_AVAIL, 2, 7, "not ready but has ring state" },
	};
	struct state_out r, fresh;
	uint8_t m[R_LEN + 1];
	char err[256];

	setup();
	bring_up();
	post_buffer();
	virtio_mmio_notify(t, 0);
	r = record_of(t);
	CHECK(r.len == R_LEN);
	teardown();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setup();
		fresh = record_of(t);
		memcpy(m, r.buf, R_LEN);
		if (bad[i].width == 1)
			m[bad[i].off] = (uint8_t)bad[i].v;
		else if (bad[i].width == 2)
			put16(m + bad[i].off, (uint16_t)bad[i].v);
		else if (bad[i].width == 4)
			put32(m + bad[i].off, (uint32_t)bad[i].v);
		else
			put64(m + bad[i].off, bad[i].v);
		err[0] = 0;
		CHECK(load_all(t, m, R_LEN, err, sizeof(err)) < 0);
		CHECK_CONTAINS(err, bad[i].why);
		/* Refused means untouched: still a fresh device, no queue started. */
		{
			struct state_out now = record_of(t);

			CHECK(now.len == fresh.len && !memcmp(now.buf, fresh.buf, fresh.len));
			state_out_free(&now);
		}
		CHECK(f.live_calls == 0 && f.interrupts == 0);
		state_out_free(&fresh);
		teardown();
	}
	/* Cut anywhere, or with a byte too many. */
	for (size_t len = 0; len <= R_LEN; len++) {
		setup();
		memcpy(m, r.buf, R_LEN);
		m[R_LEN] = 0;
		err[0] = 0;
		CHECK(load_all(t, m, len == R_LEN ? R_LEN + 1 : len, err, sizeof(err)) < 0);
		CHECK_CONTAINS(err, len == R_LEN ? "trailing" : "truncated");
		teardown();
	}
	/* The host refusing to start a live queue fails the load. */
	setup();
	f.live_result = -1;
	CHECK(load_all(t, r.buf, R_LEN, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "could not start queue 0");
	CHECK(rd(VIRTIO_MMIO_STATUS) == 0);
	teardown();
	state_out_free(&r);
}

/* Whatever one byte becomes, the load refuses it, or takes it whole and stays safe to drive. */
TEST(state_any_byte_changed_refused_or_safe)
{
	static const uint8_t vals[] = { 0x00, 0x01, 0x02, 0x10, 0x7f, 0x80, 0xff };
	struct state_out r;
	uint8_t m[R_LEN];
	char err[256];
	FILE *tmp = tmpfile();
	int saved = dup(2), accepted = 0;

	dup2(fileno(tmp), 2); /* violations log */
	setup();
	negotiate(V1 | EVIDX);
	setup_queue(0, 8, DESC, AVAIL, USED);
	setup_queue(1, 4, 0x5000, 0x6000, 0x7000);
	wr(VIRTIO_MMIO_STATUS, ALL_OK);
	post_buffer();
	virtio_mmio_notify(t, 0);
	r = record_of(t);
	teardown();
	for (size_t i = 0; i < R_LEN; i++) {
		for (size_t k = 0; k < sizeof(vals); k++) {
			setup();
			post_buffer();
			memcpy(m, r.buf, R_LEN);
			m[i] = vals[k];
			if (load_all(t, m, R_LEN, err, sizeof(err)) == 0) {
				struct state_out again = record_of(t);
				uint32_t regs[17];

				accepted++;
				CHECK(again.len == R_LEN && !memcmp(again.buf, m, R_LEN));
				state_out_free(&again);
				virtio_mmio_notify(t, 0);
				virtio_mmio_notify(t, 1);
				read_all(regs);
				wr(VIRTIO_MMIO_STATUS, 0);
			}
			teardown();
		}
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fclose(tmp);
	CHECK(accepted > 0); /* e.g. selectors and other guest-writable values */
	state_out_free(&r);
}

CHECK_MAIN()
