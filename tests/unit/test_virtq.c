/*
 * The split virtqueue against hostile rings.  Guest memory is a heap buffer
 * followed by guard bytes: every test checks the guards, so a device write
 * that escaped guest memory fails the test even where ASan cannot see it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "check.h"
#include "guarded_mem.h"
#include "queue.h"

#define MEM_SIZE (1u << 20)
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define DATA 0x10000
#define TABLE 0x8000 /* indirect tables */

#define F_INDIRECT (1ull << VIRTIO_RING_F_INDIRECT_DESC)
#define F_EVENT_IDX (1ull << VIRTIO_RING_F_EVENT_IDX)

static uint8_t *buf;
static struct guest_mem mem;
static struct virtq q;
static struct virtq_chain chain;
static int fails, irqs;
static uint16_t avail_idx;

static void on_fail(void *ctx, struct virtq *vq, const char *why)
{
	(void)ctx, (void)vq, (void)why;
	fails++;
}

static void on_irq(void *ctx, struct virtq *vq)
{
	(void)ctx, (void)vq;
	irqs++;
}

static const struct virtq_hooks hooks = { .fail = on_fail, .interrupt = on_irq };

static void setup(uint16_t size, uint64_t features)
{
	char why[160];

	mem = guarded_mem_new(MEM_SIZE);
	buf = mem.host;
	fails = irqs = 0;
	avail_idx = 0;
	if (virtq_init(&q, &mem, 0, size, DESC, AVAIL, USED, features, &hooks, why, sizeof(why)))
		fprintf(stderr, "  setup: %s\n", why);
}

static bool guards_intact(void)
{
	return guarded_mem_intact(&mem);
}

static void teardown(void)
{
	CHECK(guards_intact());
	free(buf);
}

static void put_desc(uint64_t table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	struct vring_desc d = { addr, len, flags, next };

	memcpy(buf + table + 16u * i, &d, sizeof(d));
}

static void desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	put_desc(DESC, i, addr, len, flags, next);
}

static void publish(uint16_t head)
{
	struct vring_avail *a = (struct vring_avail *)(buf + AVAIL);

	a->ring[avail_idx % q.size] = head;
	a->idx = ++avail_idx;
}

static struct vring_used *used(void)
{
	return (struct vring_used *)(buf + USED);
}

/* Expects the next pop to be refused with a reason containing `why`. */
static void expect_violation(const char *why)
{
	CHECK(virtq_pop(&q, &chain) == -1);
	CHECK(fails == 1);
	CHECK(q.broken);
	CHECK_CONTAINS(q.why, why);
}

TEST(good_chain_pops_and_pushes)
{
	uint8_t before[MEM_SIZE / 16];

	setup(8, 0);
	desc(0, DATA, 16, VRING_DESC_F_NEXT, 1);
	desc(1, DATA + 0x1000, 512, VRING_DESC_F_WRITE, 0);
	publish(0);
	memcpy(before, buf, sizeof(before));
	CHECK(virtq_pop(&q, &chain) == 1);
	CHECK(chain.head == 0 && chain.n == 2 && chain.n_read == 1);
	CHECK(chain.read_bytes == 16 && chain.write_bytes == 512);
	CHECK(chain.seg[1].p == buf + DATA + 0x1000 && chain.seg[1].writable);
	CHECK(virtq_pop(&q, &chain) == 0);
	virtq_push(&q, 0, 100);
	CHECK(used()->idx == 1 && used()->ring[0].id == 0 && used()->ring[0].len == 100);
	/* The device wrote nothing but the used ring. */
	memcpy(before + USED, buf + USED, 6 + 8 * 8);
	CHECK(memcmp(before, buf, sizeof(before)) == 0);
	CHECK(fails == 0);
	teardown();
}

/*
 * The used ring holds a 32-bit length; a device that reports more must
 * not have it cut modulo 2^32 (a 4 GiB + 5 read shown as 5 bytes): the
 * queue fails instead, and the driver hears the device needs a reset.
 */
TEST(push_longer_than_used_len_fails_the_queue)
{
	uint64_t written;

	setup(8, 0);
	desc(0, DATA, 16, VRING_DESC_F_WRITE, 0);
	publish(0);
	CHECK(virtq_pop(&q, &chain) == 1);
	written = (chain.write_bytes << 28) + 5; /* 2^32 + 5, computed at run time */
	virtq_push(&q, 0, written);
	CHECK(used()->idx == 0);
	CHECK(q.broken && fails == 1);
	CHECK_CONTAINS(q.why, "32 bits");
	teardown();
}

TEST(empty_queue_pops_nothing)
{
	setup(8, 0);
	CHECK(virtq_pop(&q, &chain) == 0);
	CHECK(fails == 0);
	teardown();
}

TEST(descriptor_outside_memory)
{
	setup(8, 0);
	desc(0, MEM_SIZE + 16, 16, 0, 0);
	publish(0);
	expect_violation("outside guest memory");
	teardown();
}

TEST(descriptor_ends_past_memory)
{
	setup(8, 0);
	desc(0, MEM_SIZE - 8, 16, VRING_DESC_F_WRITE, 0);
	publish(0);
	expect_violation("outside guest memory");
	teardown();
}

TEST(descriptor_address_plus_length_wraps)
{
	setup(8, 0);
	desc(0, UINT64_MAX - 15, 64, VRING_DESC_F_WRITE, 0);
	publish(0);
	expect_violation("outside guest memory");
	teardown();
}

TEST(next_index_beyond_queue)
{
	setup(8, 0);
	desc(0, DATA, 16, VRING_DESC_F_NEXT, 8);
	publish(0);
	expect_violation("beyond the descriptor table");
	teardown();
}

TEST(chain_loop)
{
	setup(8, 0);
	desc(0, DATA, 16, VRING_DESC_F_NEXT, 1);
	desc(1, DATA, 16, VRING_DESC_F_NEXT, 2);
	desc(2, DATA, 16, VRING_DESC_F_NEXT, 0);
	publish(0);
	expect_violation("loops");
	teardown();
}

TEST(descriptor_pointing_at_itself)
{
	setup(8, 0);
	desc(3, DATA, 16, VRING_DESC_F_NEXT, 3);
	publish(3);
	expect_violation("loops");
	teardown();
}

TEST(head_beyond_queue)
{
	setup(8, 0);
	publish(9);
	expect_violation("beyond the queue");
	teardown();
}

TEST(driver_index_jumps_ahead)
{
	setup(8, 0);
	desc(0, DATA, 16, 0, 0);
	((struct vring_avail *)(buf + AVAIL))->idx = 9;
	expect_violation("ahead of the device");
	teardown();
}

TEST(readable_after_writable)
{
	setup(8, 0);
	desc(0, DATA, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	desc(1, DATA + 16, 16, 0, 0);
	publish(0);
	expect_violation("follows a device-writable");
	teardown();
}

TEST(writable_buffer_over_used_ring)
{
	setup(8, 0);
	desc(0, USED + 4, 8, VRING_DESC_F_WRITE, 0);
	publish(0);
	expect_violation("overlaps the queue's own rings");
	teardown();
}

TEST(writable_buffer_over_descriptor_table)
{
	setup(8, 0);
	desc(0, DATA, 16, VRING_DESC_F_NEXT, 1);
	desc(1, DESC - 8, 16, VRING_DESC_F_WRITE, 0);
	publish(0);
	expect_violation("overlaps the queue's own rings");
	teardown();
}

TEST(writable_buffer_over_avail_ring)
{
	setup(8, 0);
	desc(0, AVAIL + 20, 1, VRING_DESC_F_WRITE, 0); /* used_event word */
	publish(0);
	expect_violation("overlaps the queue's own rings");
	teardown();
}

TEST(readable_buffer_over_rings_is_harmless)
{
	setup(8, 0);
	desc(0, DESC, 16 * 8, 0, 0);
	publish(0);
	CHECK(virtq_pop(&q, &chain) == 1);
	CHECK(fails == 0);
	teardown();
}

TEST(indirect_table_served)
{
	setup(8, F_INDIRECT);
	put_desc(TABLE, 0, DATA, 16, VRING_DESC_F_NEXT, 2);
	put_desc(TABLE, 2, DATA + 16, 100, VRING_DESC_F_NEXT, 1);
	put_desc(TABLE, 1, DATA + 0x1000, 1, VRING_DESC_F_WRITE, 0);
	desc(0, DATA + 0x2000, 4, VRING_DESC_F_NEXT, 5); /* direct, then the table */
	desc(5, TABLE, 3 * 16, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	CHECK(virtq_pop(&q, &chain) == 1);
	CHECK(chain.n == 4 && chain.n_read == 3);
	CHECK(chain.read_bytes == 120 && chain.write_bytes == 1);
	CHECK(fails == 0);
	teardown();
}

TEST(indirect_without_feature)
{
	setup(8, 0);
	put_desc(TABLE, 0, DATA, 16, 0, 0);
	desc(0, TABLE, 16, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	expect_violation("INDIRECT_DESC was not negotiated");
	teardown();
}

TEST(indirect_inside_indirect)
{
	setup(8, F_INDIRECT);
	put_desc(TABLE, 0, DATA, 16, VRING_DESC_F_NEXT, 1);
	put_desc(TABLE, 1, TABLE + 0x100, 16, VRING_DESC_F_INDIRECT, 0);
	put_desc(TABLE + 0x100, 0, DATA, 16, 0, 0);
	desc(0, TABLE, 32, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	expect_violation("inside an indirect table");
	teardown();
}

TEST(indirect_table_misaligned)
{
	setup(8, F_INDIRECT);
	put_desc(TABLE + 8, 0, DATA, 16, 0, 0);
	desc(0, TABLE + 8, 16, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	expect_violation("not 16-byte aligned");
	teardown();
}

TEST(indirect_length_not_multiple_of_16)
{
	setup(8, F_INDIRECT);
	put_desc(TABLE, 0, DATA, 16, 0, 0);
	desc(0, TABLE, 24, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	expect_violation("multiple of 16");
	teardown();
}

TEST(indirect_length_zero)
{
	setup(8, F_INDIRECT);
	desc(0, TABLE, 0, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	expect_violation("multiple of 16");
	teardown();
}

TEST(indirect_table_outside_memory)
{
	setup(8, F_INDIRECT);
	desc(0, MEM_SIZE - 16, 32, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	expect_violation("outside guest memory");
	teardown();
}

TEST(indirect_with_next_flag)
{
	setup(8, F_INDIRECT);
	put_desc(TABLE, 0, DATA, 16, 0, 0);
	desc(0, TABLE, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	desc(1, DATA, 16, 0, 0);
	publish(0);
	expect_violation("both INDIRECT and NEXT");
	teardown();
}

TEST(indirect_table_longer_than_queue)
{
	setup(8, F_INDIRECT);
	desc(0, TABLE, 9 * 16, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	expect_violation("at most 8 entries");
	teardown();
}

TEST(chain_longer_than_queue_through_indirect)
{
	setup(4, F_INDIRECT);
	for (uint16_t i = 0; i < 4; i++)
		put_desc(TABLE, i, DATA, 16, i < 3 ? VRING_DESC_F_NEXT : 0, i + 1);
	desc(0, DATA, 16, VRING_DESC_F_NEXT, 1);
	desc(1, TABLE, 4 * 16, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	expect_violation("longer than the queue");
	teardown();
}

TEST(indirect_loop)
{
	setup(8, F_INDIRECT);
	put_desc(TABLE, 0, DATA, 16, VRING_DESC_F_NEXT, 1);
	put_desc(TABLE, 1, DATA, 16, VRING_DESC_F_NEXT, 0);
	desc(0, TABLE, 32, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	expect_violation("loops");
	teardown();
}

TEST(indirect_next_beyond_table)
{
	setup(8, F_INDIRECT);
	put_desc(TABLE, 0, DATA, 16, VRING_DESC_F_NEXT, 2);
	desc(0, TABLE, 32, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	expect_violation("beyond the indirect table");
	teardown();
}

TEST(broken_queue_stays_broken)
{
	setup(8, 0);
	publish(200);
	expect_violation("beyond the queue");
	desc(1, DATA, 16, 0, 0);
	publish(1);
	CHECK(virtq_pop(&q, &chain) == -1);
	virtq_push(&q, 1, 0);
	virtq_notify_driver(&q);
	CHECK(used()->idx == 0 && irqs == 0);
	CHECK(fails == 1); /* reported once */
	teardown();
}

TEST(halted_queue_pops_nothing)
{
	setup(8, 0);
	desc(0, DATA, 16, 0, 0);
	publish(0);
	__atomic_store_n(&q.halt, true, __ATOMIC_RELEASE);
	CHECK(virtq_pop(&q, &chain) == 0);
	/* enable_notify must not send the handler round again, or reset would wait forever. */
	CHECK(!virtq_enable_notify(&q));
	teardown();
}

TEST(ring_layout_refused)
{
	struct virtq v;
	char why[160];

	setup(8, 0);
	CHECK(virtq_init(&v, &mem, 0, 6, DESC, AVAIL, USED, 0, &hooks, why, sizeof(why)) < 0);
	CHECK_CONTAINS(why, "power of two");
	CHECK(virtq_init(&v, &mem, 0, 0, DESC, AVAIL, USED, 0, &hooks, why, sizeof(why)) < 0);
	CHECK(virtq_init(&v, &mem, 0, 512, DESC, AVAIL, USED, 0, &hooks, why, sizeof(why)) < 0);
	CHECK(virtq_init(&v, &mem, 0, 8, DESC + 8, AVAIL, USED, 0, &hooks, why, sizeof(why)) < 0);
	CHECK_CONTAINS(why, "not 16-byte aligned");
	CHECK(virtq_init(&v, &mem, 0, 8, DESC, AVAIL + 1, USED, 0, &hooks, why, sizeof(why)) < 0);
	CHECK_CONTAINS(why, "not 2-byte aligned");
	CHECK(virtq_init(&v, &mem, 0, 8, DESC, AVAIL, USED + 2, 0, &hooks, why, sizeof(why)) < 0);
	CHECK_CONTAINS(why, "not 4-byte aligned");
	CHECK(virtq_init(&v, &mem, 0, 8, DESC, AVAIL, MEM_SIZE - 32, 0, &hooks, why, sizeof(why)) < 0);
	CHECK_CONTAINS(why, "outside guest memory");
	CHECK(virtq_init(&v, &mem, 0, 8, 0xfffffffffffffff0ull, AVAIL, USED, 0, &hooks, why,
			 sizeof(why)) < 0);
	CHECK_CONTAINS(why, "outside guest memory");
	CHECK(virtq_init(&v, &mem, 0, 8, DESC, DESC + 64, USED, 0, &hooks, why, sizeof(why)) < 0);
	CHECK_CONTAINS(why, "overlap");
	CHECK(virtq_init(&v, &mem, 0, 8, DESC, AVAIL, AVAIL + 16, 0, &hooks, why, sizeof(why)) < 0);
	CHECK_CONTAINS(why, "overlap");
	/* Packed back to back, as Linux lays them out, is fine. */
	CHECK(virtq_init(&v, &mem, 0, 8, DESC, DESC + 128, DESC + 128 + 24, 0, &hooks, why,
			 sizeof(why)) == 0);
	teardown();
}

TEST(no_interrupt_flag_without_event_idx)
{
	setup(8, 0);
	desc(0, DATA, 16, 0, 0);
	publish(0);
	CHECK(virtq_pop(&q, &chain) == 1);
	virtq_push(&q, 0, 0);
	((struct vring_avail *)(buf + AVAIL))->flags = VRING_AVAIL_F_NO_INTERRUPT;
	virtq_notify_driver(&q);
	CHECK(irqs == 0);
	((struct vring_avail *)(buf + AVAIL))->flags = 0;
	virtq_notify_driver(&q); /* nothing new since the last decision */
	CHECK(irqs == 0);
	publish(0);
	CHECK(virtq_pop(&q, &chain) == 1);
	virtq_push(&q, 0, 0);
	virtq_notify_driver(&q);
	CHECK(irqs == 1);
	teardown();
}

TEST(event_idx_suppresses_interrupts)
{
	struct vring_avail *a;

	setup(8, F_EVENT_IDX);
	a = (struct vring_avail *)(buf + AVAIL);
	desc(0, DATA, 16, 0, 0);
	a->ring[8] = 2; /* used_event: wake me once used idx passes 2 */
	for (int i = 0; i < 4; i++) {
		publish(0);
		CHECK(virtq_pop(&q, &chain) == 1);
		virtq_push(&q, 0, 0);
		virtq_notify_driver(&q);
	}
	/* Only crossing used_event (2 -> 3): the first completion is no exception. */
	CHECK(irqs == 1);
	CHECK(fails == 0);
	teardown();
}

/* Interrupts sent for a new queue's first completion, used_event as given. */
static int first_completion_irqs(uint16_t used_event)
{
	int n;

	setup(8, F_EVENT_IDX);
	((struct vring_avail *)(buf + AVAIL))->ring[8] = used_event;
	desc(0, DATA, 16, 0, 0);
	publish(0);
	CHECK(virtq_pop(&q, &chain) == 1);
	virtq_push(&q, 0, 0);
	virtq_notify_driver(&q);
	n = irqs;
	teardown();
	return n;
}

/* A driver that leaves used_event at 0 (a zeroed ring) is told of its
 * first completion; one that asks for nothing (far ahead) is not. */
TEST(event_idx_first_completion_as_asked)
{
	CHECK(first_completion_irqs(0) == 1);
	CHECK(first_completion_irqs(0x8000) == 0);
}

TEST(notify_suppression)
{
	uint16_t avail_event;

	setup(8, 0);
	virtq_disable_notify(&q);
	CHECK(used()->flags == VRING_USED_F_NO_NOTIFY);
	CHECK(!virtq_enable_notify(&q));
	CHECK(used()->flags == 0);
	teardown();

	setup(8, F_EVENT_IDX);
	desc(0, DATA, 16, 0, 0);
	publish(0);
	publish(0);
	CHECK(virtq_pop(&q, &chain) == 1);
	virtq_disable_notify(&q);
	CHECK(used()->flags == 0);
	CHECK(virtq_enable_notify(&q)); /* one more is waiting */
	memcpy(&avail_event, buf + USED + 4 + 8 * 8, 2);
	CHECK(avail_event == 1);
	teardown();
}

TEST(chain_byte_views_cross_segments)
{
	struct iovec iov[4];
	uint8_t out[8];

	setup(8, 0);
	memcpy(buf + DATA, "abc", 3);
	memcpy(buf + DATA + 0x100, "defgh", 5);
	desc(0, DATA, 3, VRING_DESC_F_NEXT, 1);
	desc(1, DATA + 0x100, 5, VRING_DESC_F_NEXT, 2);
	desc(2, DATA + 0x200, 2, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3);
	desc(3, DATA + 0x300, 4, VRING_DESC_F_WRITE, 0);
	publish(0);
	CHECK(virtq_pop(&q, &chain) == 1);
	CHECK(virtq_chain_read(&chain, 1, out, 8) == 7);
	CHECK(memcmp(out, "bcdefgh", 7) == 0);
	CHECK(virtq_chain_write(&chain, 1, "WXYZ", 4) == 4);
	CHECK(buf[DATA + 0x201] == 'W' && memcmp(buf + DATA + 0x300, "XYZ", 3) == 0);
	CHECK(virtq_chain_iov(&chain, false, 2, 4, iov, 4) == 2);
	CHECK(iov[0].iov_base == buf + DATA + 2 && iov[0].iov_len == 1);
	CHECK(iov[1].iov_len == 3);
	CHECK(virtq_chain_iov(&chain, true, 0, 7, iov, 4) == -1); /* only 6 writable */
	CHECK(virtq_chain_iov(&chain, true, 0, 6, iov, 1) == -1); /* too many pieces */
	teardown();
}

TEST(full_ring_of_chains)
{
	setup(4, 0);
	for (uint16_t i = 0; i < 4; i++) {
		desc(i, DATA + 0x100u * i, 8, VRING_DESC_F_WRITE, 0);
		publish(i);
	}
	for (uint16_t i = 0; i < 4; i++) {
		CHECK(virtq_pop(&q, &chain) == 1);
		CHECK(chain.head == i);
		virtq_push(&q, chain.head, 8);
	}
	CHECK(virtq_pop(&q, &chain) == 0);
	CHECK(used()->idx == 4);
	/* Free-running indices wrap past 65535 without confusion. */
	for (unsigned round = 0; round < 70000 / 4; round++)
		for (uint16_t i = 0; i < 4; i++) {
			publish(i);
			CHECK(virtq_pop(&q, &chain) == 1);
			virtq_push(&q, chain.head, 0);
		}
	CHECK(fails == 0);
	teardown();
}

TEST(unpop_gives_chains_back_in_order)
{
	setup(8, 0);
	for (uint16_t i = 0; i < 3; i++) {
		desc(i, DATA + 0x100u * i, 64, VRING_DESC_F_WRITE, 0);
		publish(i);
	}
	CHECK(virtq_pop(&q, &chain) == 1 && chain.head == 0);
	CHECK(virtq_pop(&q, &chain) == 1 && chain.head == 1);
	CHECK(virtq_pop(&q, &chain) == 1 && chain.head == 2);
	CHECK(virtq_pop(&q, &chain) == 0);
	virtq_unpop(&q, 2);
	CHECK(virtq_pop(&q, &chain) == 1 && chain.head == 1);
	virtq_push(&q, chain.head, 64);
	CHECK(virtq_pop(&q, &chain) == 1 && chain.head == 2);
	CHECK(virtq_pop(&q, &chain) == 0);
	CHECK(used()->idx == 1 && used()->ring[0].id == 1);
	CHECK(fails == 0);
	teardown();
}

TEST(unpopped_chain_is_checked_again)
{
	setup(8, 0);
	desc(0, DATA, 64, VRING_DESC_F_WRITE, 0);
	publish(0);
	CHECK(virtq_pop(&q, &chain) == 1);
	virtq_unpop(&q, 1);
	/* The guest rewrites the descriptor it had offered: the re-pop sees it. */
	desc(0, MEM_SIZE - 8, 64, VRING_DESC_F_WRITE, 0);
	expect_violation("outside guest memory");
	virtq_unpop(&q, 1); /* broken: stays broken, nothing rewinds */
	CHECK(virtq_pop(&q, &chain) == -1 && fails == 1);
	teardown();
}

TEST(unpop_with_event_idx_keeps_wakeup_at_published_index)
{
	uint16_t avail_event;

	setup(8, F_EVENT_IDX);
	desc(0, DATA, 64, VRING_DESC_F_WRITE, 0);
	publish(0);
	CHECK(virtq_pop(&q, &chain) == 1);
	CHECK(virtq_pop(&q, &chain) == 0);
	/* Waiting for more: ask first, then give back; the wake-up stays at 1. */
	CHECK(!virtq_enable_notify(&q));
	virtq_unpop(&q, 1);
	memcpy(&avail_event, buf + USED + 4 + 8 * 8, 2);
	CHECK(avail_event == 1);
	CHECK(virtq_pop(&q, &chain) == 1 && chain.head == 0);
	teardown();
}

/* avail_event: the used ring's word after its 8 entries. */
static uint16_t avail_event_word(void)
{
	uint16_t v;

	memcpy(&v, buf + USED + 4 + 8 * 8, 2);
	return v;
}

/* A polled queue only looks for buffers: the driver is not asked to notify. */
TEST(polled_queue_leaves_notifies_off)
{
	setup(8, 0);
	virtq_disable_notify(&q);
	q.polled = true;
	CHECK(!virtq_enable_notify(&q) && used()->flags == VRING_USED_F_NO_NOTIFY);
	teardown();

	setup(8, F_EVENT_IDX);
	desc(0, DATA, 16, 0, 0);
	publish(0);
	CHECK(virtq_pop(&q, &chain) == 1);
	q.polled = true;
	CHECK(!virtq_enable_notify(&q));
	CHECK(avail_event_word() == 0);    /* not moved on: no notify asked for */
	publish(0);
	CHECK(virtq_enable_notify(&q));    /* but a new buffer is seen */
	q.polled = false;                  /* the poll's last call */
	CHECK(virtq_pop(&q, &chain) == 1 && !virtq_enable_notify(&q));
	CHECK(avail_event_word() == 2);
	teardown();
}

CHECK_MAIN()
