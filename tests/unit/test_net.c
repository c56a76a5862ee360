/*
 * virtio-net end to end: a fake guest driver brings the device up through
 * the register file and posts RX buffers and TX frames; the "tap" is a
 * non-blocking SOCK_DGRAM socketpair (one datagram per frame, header
 * included, as a tap with IFF_VNET_HDR and a 12-byte header gives them).
 * Guest memory has guard bytes after it: every test checks them.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "check.h"
#include "guarded_mem.h"
#include "net.h"
#include "virtio.h"

#define MEM_SIZE (4u << 20)
#define HDR VIRTIO_NET_HDR_LEN
#define RXBUF 0x100000u  /* RX buffers are carved from here up */
#define TXBUF 0x200000u  /* TX frames from here up */
#define TABLE 0x9000u    /* indirect tables */

#define F(bit) (1ull << (bit))
#define F_BASE (F(VIRTIO_F_VERSION_1) | F(VIRTIO_RING_F_INDIRECT_DESC) | F(VIRTIO_NET_F_MAC) | \
		F(VIRTIO_NET_F_STATUS) | F(VIRTIO_NET_F_MTU))
#define F_MRG F(VIRTIO_NET_F_MRG_RXBUF)
#define F_EVIDX F(VIRTIO_RING_F_EVENT_IDX)
#define F_OFFLOAD (F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_HOST_TSO4) | \
		   F(VIRTIO_NET_F_HOST_TSO6) | F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6))

struct drvq {
	uint64_t desc, avail, used;
	uint16_t size, avail_idx, next_desc;
};

static uint8_t *buf;
static struct guest_mem mem;
static struct virtio_net *net;
#include "mmio_regs.h"
static struct drvq dq[2];
static int tap[2];   /* tap[0] is the device's, tap[1] the wire */
static int interrupts, offload_calls, offload_ret;
static unsigned offload_flags;
static uint64_t rx_next, tx_next; /* next free guest address for buffers */
static uint64_t accepted;

static void host_irq(void *ctx)
{
	(void)ctx;
	interrupts++;
}

static const struct virtio_host host = { .interrupt = host_irq };

static int record_offload(void *ctx, unsigned flags)
{
	(void)ctx;
	offload_calls++;
	offload_flags = flags;
	return offload_ret;
}

static uint64_t offered(void)
{
	uint64_t f;

	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	f = rd(VIRTIO_MMIO_DEVICE_FEATURES);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	return f | (uint64_t)rd(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
}

static void setup_queue(unsigned i, uint16_t size)
{
	struct drvq *d = &dq[i];

	*d = (struct drvq){ .desc = 0x1000 + 0x4000u * i, .avail = 0x2000 + 0x4000u * i,
			    .used = 0x3000 + 0x4000u * i, .size = size };
	wr(VIRTIO_MMIO_QUEUE_SEL, i);
	wr(VIRTIO_MMIO_QUEUE_NUM, size);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d->desc);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)d->avail);
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)d->used);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
}

/* The driver's bring-up, taking the offered features that are in `want`. */
static void driver_init(uint64_t want, uint16_t qsize)
{
	uint64_t f;

	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	f = offered() & want;
	accepted = f;
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				       VIRTIO_CONFIG_S_FEATURES_OK);
	setup_queue(VIRTIO_NET_RXQ, qsize);
	setup_queue(VIRTIO_NET_TXQ, qsize);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				       VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	rx_next = RXBUF;
	tx_next = TXBUF;
}

static struct virtio_net_params params(bool offload)
{
	return (struct virtio_net_params){ .mac = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 },
					   .mtu = 1500, .offload = offload,
					   .set_offload = record_offload };
}

static void setup_full(const struct virtio_net_params *p, uint64_t want, uint16_t qsize)
{
	mem = guarded_mem_new(MEM_SIZE);
	buf = mem.host;
	interrupts = offload_calls = offload_ret = 0;
	offload_flags = ~0u;
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, tap) == 0);
	net = virtio_net_create(p, tap[0]);
	CHECK(net != NULL);
	t = virtio_mmio_create(&mem, "net.test", &virtio_net_ops, net, &host);
	driver_init(want, qsize);
	CHECK(!(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET));
}

static void setup(uint64_t want)
{
	struct virtio_net_params p = params(false);

	setup_full(&p, want, 256);
}

static void teardown(void)
{
	CHECK(guarded_mem_intact(&mem));
	virtio_mmio_destroy(t);
	virtio_net_destroy(net);
	close(tap[0]);
	close(tap[1]);
	free(buf);
}

static const struct virtio_net_stats *stats(void)
{
	return virtio_net_stats(net);
}

static bool needs_reset(void)
{
	return rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

struct seg {
	uint64_t addr;
	uint32_t len;
	bool write;
};

static void put_desc(uint64_t table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	struct vring_desc d = { addr, len, flags, next };

	memcpy(buf + table + 16u * i, &d, sizeof(d));
}

static void publish(unsigned qi, uint16_t head)
{
	struct drvq *d = &dq[qi];
	struct vring_avail *a = (struct vring_avail *)(buf + d->avail);

	a->ring[d->avail_idx % d->size] = head;
	__atomic_store_n(&a->idx, ++d->avail_idx, __ATOMIC_RELEASE);
}

/* Makes one chain of segs available on queue qi (no notify); returns its head. */
static uint16_t post(unsigned qi, const struct seg *s, int n)
{
	struct drvq *d = &dq[qi];
	uint16_t head = d->next_desc;

	for (int i = 0; i < n; i++) {
		uint16_t at = (uint16_t)((head + i) % d->size), next = (uint16_t)((at + 1) % d->size);

		put_desc(d->desc, at, s[i].addr, s[i].len,
			 (uint16_t)((s[i].write ? VRING_DESC_F_WRITE : 0) |
				    (i + 1 < n ? VRING_DESC_F_NEXT : 0)),
			 next);
	}
	d->next_desc = (uint16_t)((head + n) % d->size);
	publish(qi, head);
	return head;
}

/* One writable RX buffer of len bytes; returns its guest address. */
static uint64_t post_rx(uint32_t len)
{
	uint64_t a = rx_next;
	struct seg s = { a, len, true };

	rx_next += (len + 0xfffu) & ~0xfffu;
	post(VIRTIO_NET_RXQ, &s, 1);
	return a;
}

static struct vring_used *used(unsigned qi)
{
	return (struct vring_used *)(buf + dq[qi].used);
}

static uint16_t used_idx(unsigned qi)
{
	return __atomic_load_n(&used(qi)->idx, __ATOMIC_ACQUIRE);
}

static struct vring_used_elem used_elem(unsigned qi, uint16_t i)
{
	return used(qi)->ring[i % dq[qi].size];
}

static uint8_t pattern(uint8_t seed, uint32_t i)
{
	return (uint8_t)(seed + i * 7 + (i >> 8));
}

/* The wire sends a frame of len bytes behind hdr (num_buffers garbage). */
static void wire_send_hdr(const struct virtio_net_hdr_v1 *h, uint32_t len, uint8_t seed)
{
	uint8_t *f = malloc(HDR + len);

	memcpy(f, h, HDR);
	for (uint32_t i = 0; i < len; i++)
		f[HDR + i] = pattern(seed, i);
	CHECK(send(tap[1], f, HDR + len, 0) == (ssize_t)(HDR + len));
	free(f);
}

static void wire_send(uint32_t len, uint8_t seed)
{
	struct virtio_net_hdr_v1 h = { .num_buffers = 0xbeef };

	wire_send_hdr(&h, len, seed);
}

/* Frames still waiting in the tap for the device. */
static bool tap_has_frame(void)
{
	char c;

	return recv(tap[0], &c, 1, MSG_PEEK | MSG_DONTWAIT) >= 0;
}

static bool payload_is(uint64_t gpa, uint32_t len, uint8_t seed, uint32_t from)
{
	for (uint32_t i = 0; i < len; i++)
		if (buf[gpa + i] != pattern(seed, from + i))
			return false;
	return true;
}

static struct virtio_net_hdr_v1 guest_hdr(uint64_t gpa)
{
	struct virtio_net_hdr_v1 h;

	memcpy(&h, buf + gpa, sizeof(h));
	return h;
}

static bool rx_kick(void)
{
	return virtio_mmio_notify(t, VIRTIO_NET_RXQ);
}

static bool tx_kick(void)
{
	return virtio_mmio_notify(t, VIRTIO_NET_TXQ);
}

/* ---- config space and features ---- */

TEST(config_space_and_features)
{
	struct virtio_net_config c;
	uint64_t f;

	setup(F_BASE);
	for (unsigned i = 0; i < sizeof(c); i++)
		virtio_mmio_bus_ops.read(t, VIRTIO_MMIO_CONFIG + i, (uint8_t *)&c + i, 1);
	CHECK(rd(VIRTIO_MMIO_DEVICE_ID) == 1);
	CHECK(memcmp(c.mac, "\x52\x54\x00\x12\x34\x56", 6) == 0);
	CHECK(le16toh(c.status) == VIRTIO_NET_S_LINK_UP);
	CHECK(le16toh(c.max_virtqueue_pairs) == 1);
	CHECK(le16toh(c.mtu) == 1500);
	f = offered();
	CHECK(f & F(VIRTIO_NET_F_MAC) && f & F(VIRTIO_NET_F_STATUS) && f & F(VIRTIO_NET_F_MTU));
	CHECK(f & F_MRG && f & F(VIRTIO_F_VERSION_1));
	CHECK(!(f & F_OFFLOAD)); /* offload off: none of them */
	CHECK(!(f & (F(VIRTIO_NET_F_CTRL_VQ) | F(VIRTIO_NET_F_MQ) | F(VIRTIO_NET_F_GUEST_UFO) |
		     F(VIRTIO_NET_F_HOST_UFO) | F(VIRTIO_NET_F_GUEST_ECN) | F(VIRTIO_NET_F_HOST_ECN))));
	wr(VIRTIO_MMIO_QUEUE_SEL, 2);
	CHECK(rd(VIRTIO_MMIO_QUEUE_NUM_MAX) == 0); /* two queues only */
	teardown();
}

TEST(offload_features_offered_with_offload)
{
	struct virtio_net_params p = params(true);

	setup_full(&p, F_BASE, 256);
	CHECK((offered() & F_OFFLOAD) == F_OFFLOAD);
	CHECK(!(offered() & F(VIRTIO_NET_F_GUEST_UFO)));
	teardown();
}

TEST(create_refuses_bad_params)
{
	struct virtio_net_params p = params(false);
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) == 0);
	p.mtu = 67;
	errno = 0;
	CHECK(virtio_net_create(&p, sv[0]) == NULL && errno == EINVAL);
	p.mtu = 1500;
	CHECK(virtio_net_create(&p, -1) == NULL);
	CHECK(virtio_net_create(NULL, sv[0]) == NULL);
	/* A blocking tap would hang the event loop in readv. */
	CHECK(fcntl(sv[0], F_SETFL, 0) == 0);
	CHECK(virtio_net_create(&p, sv[0]) == NULL && errno == EINVAL);
	CHECK(fcntl(sv[0], F_SETFL, O_NONBLOCK) == 0);
	net = virtio_net_create(&p, sv[0]);
	CHECK(net != NULL);
	virtio_net_destroy(net);
	close(sv[0]);
	close(sv[1]);
}

/* ---- RX ---- */

TEST(rx_frame_lands_in_guest_buffer)
{
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_DATA_VALID, .num_buffers = 7 };
	uint64_t a;

	setup(F_BASE);
	a = post_rx(2048);
	wire_send_hdr(&h, 100, 1);
	CHECK(!rx_kick());
	CHECK(used_idx(0) == 1);
	CHECK(used_elem(0, 0).id == 0 && used_elem(0, 0).len == HDR + 100);
	CHECK(payload_is(a + HDR, 100, 1, 0));
	h = guest_hdr(a);
	CHECK(le16toh(h.num_buffers) == 1); /* the spec's value without MRG_RXBUF */
	CHECK(h.flags == 0);                /* no GUEST_CSUM: flags must be 0 */
	CHECK(stats()->rx_packets == 1 && stats()->rx_bytes == 100);
	CHECK(interrupts == 1);
	CHECK(!tap_has_frame());
	teardown();
}

TEST(rx_exact_fit_is_not_truncation)
{
	uint64_t a;

	setup(F_BASE);
	a = post_rx(HDR + 100);
	wire_send(100, 2);
	rx_kick();
	CHECK(used_idx(0) == 1 && used_elem(0, 0).len == HDR + 100);
	CHECK(payload_is(a + HDR, 100, 2, 0));
	CHECK(stats()->rx_drop_too_big == 0);
	teardown();
}

TEST(rx_header_split_across_descriptors)
{
	struct seg s[3] = { { RXBUF, 5, true }, { RXBUF + 0x100, 7, true },
			    { RXBUF + 0x200, 1000, true } };

	setup(F_BASE);
	post(VIRTIO_NET_RXQ, s, 3);
	wire_send(300, 3);
	rx_kick();
	CHECK(used_idx(0) == 1 && used_elem(0, 0).len == HDR + 300);
	/* num_buffers is bytes 10-11: in the second piece (offsets 5..11). */
	CHECK(buf[RXBUF + 0x100 + 5] == 1 && buf[RXBUF + 0x100 + 6] == 0);
	CHECK(payload_is(RXBUF + 0x200, 300, 3, 0));
	teardown();
}

TEST(rx_without_buffers_leaves_frames_in_tap)
{
	uint64_t a[3];

	setup(F_BASE);
	for (uint8_t i = 0; i < 3; i++)
		wire_send(200 + i, i);
	CHECK(!rx_kick()); /* nothing to read into: stop, do not spin */
	CHECK(stats()->rx_no_buffer == 1);
	CHECK(used_idx(0) == 0 && tap_has_frame());
	/* The driver asked to be heard: notifications are on. */
	CHECK(!(used(0)->flags & VRING_USED_F_NO_NOTIFY));
	for (int i = 0; i < 3; i++)
		a[i] = post_rx(2048);
	CHECK(!rx_kick());
	CHECK(used_idx(0) == 3);
	for (uint8_t i = 0; i < 3; i++) {
		CHECK(used_elem(0, i).len == HDR + 200u + i);
		CHECK(payload_is(a[i] + HDR, 200 + i, i, 0));
	}
	CHECK(stats()->rx_packets == 3 && !tap_has_frame());
	teardown();
}

/*
 * A guest that posts nothing while the tap keeps signalling (each frame
 * a new edge): every call stops at once without reading, asks for no
 * rerun (the loop would spin), raises no interrupt and counts; with
 * EVENT_IDX the driver's first post must notify.  Frames wait in the
 * tap, oldest first, and flow again one buffer at a time.
 */
TEST(rx_no_buffers_under_flood_reads_nothing_until_notified)
{
	uint16_t avail_event;
	uint64_t a;

	setup(F_BASE | F_EVIDX);
	for (uint8_t i = 0; i < 40; i++)
		wire_send(100 + i, i);
	for (int call = 0; call < 25; call++)
		CHECK(!rx_kick());
	CHECK(stats()->rx_no_buffer == 25);
	CHECK(stats()->rx_packets == 0 && used_idx(0) == 0 && interrupts == 0);
	memcpy(&avail_event, buf + dq[0].used + 4 + 8 * dq[0].size, 2);
	CHECK(avail_event == dq[0].avail_idx);
	a = post_rx(2048);
	CHECK(!rx_kick()); /* one frame, then dry again */
	CHECK(used_idx(0) == 1 && used_elem(0, 0).len == HDR + 100);
	CHECK(payload_is(a + HDR, 100, 0, 0));
	CHECK(stats()->rx_no_buffer == 26 && interrupts == 1);
	memcpy(&avail_event, buf + dq[0].used + 4 + 8 * dq[0].size, 2);
	CHECK(avail_event == dq[0].avail_idx);
	for (int i = 1; i < 40; i++)
		post_rx(2048);
	CHECK(!rx_kick());
	CHECK(used_idx(0) == 40 && stats()->rx_packets == 40 && !tap_has_frame());
	for (uint8_t i = 1; i < 40; i++)
		CHECK(used_elem(0, i).len == HDR + 100u + i &&
		      payload_is(RXBUF + 0x1000u * i + HDR, 100 + i, i, 0));
	teardown();
}

TEST(rx_empty_tap_gives_buffers_back)
{
	uint64_t a, b;

	setup(F_BASE | F_MRG);
	a = post_rx(2048);
	b = post_rx(2048);
	CHECK(!rx_kick());
	CHECK(used_idx(0) == 0 && interrupts == 0);
	CHECK(stats()->rx_no_buffer == 0); /* there were buffers; the tap was empty */
	wire_send(64, 4);
	wire_send(65, 5);
	rx_kick();
	CHECK(used_idx(0) == 2);
	CHECK(used_elem(0, 0).id == 0 && payload_is(a + HDR, 64, 4, 0));
	CHECK(used_elem(0, 1).id == 1 && payload_is(b + HDR, 65, 5, 0));
	teardown();
}

TEST(rx_budget_returns_true_then_resumes)
{
	setup(F_BASE);
	for (int i = 0; i < 128; i++)
		post_rx(256);
	for (int i = 0; i < 100; i++)
		wire_send(60, (uint8_t)i);
	CHECK(rx_kick()); /* stopped by the budget, buffers left */
	CHECK(used_idx(0) == VIRTIO_NET_BUDGET);
	CHECK(interrupts == 1);
	CHECK(!rx_kick());
	CHECK(used_idx(0) == 100 && interrupts == 2);
	for (uint16_t i = 0; i < 100; i++)
		CHECK(payload_is(RXBUF + 0x1000u * i + HDR, 60, (uint8_t)i, 0));
	CHECK(stats()->rx_packets == 100);
	teardown();
}

TEST(rx_budget_with_ring_empty_waits_for_guest)
{
	setup(F_BASE);
	for (int i = 0; i < VIRTIO_NET_BUDGET; i++)
		post_rx(256);
	for (int i = 0; i < 70; i++)
		wire_send(60, (uint8_t)i);
	/* Budget reached with no buffer left: the driver's next post brings us back. */
	CHECK(!rx_kick());
	CHECK(used_idx(0) == VIRTIO_NET_BUDGET && tap_has_frame());
	CHECK(!(used(0)->flags & VRING_USED_F_NO_NOTIFY));
	for (int i = 0; i < 6; i++)
		post_rx(256);
	CHECK(!rx_kick());
	CHECK(used_idx(0) == 70 && !tap_has_frame());
	CHECK(payload_is(RXBUF + 0x1000u * 69 + HDR, 60, 69, 0));
	teardown();
}

TEST(rx_mrg_frame_spans_buffers)
{
	struct virtio_net_params p = params(false);
	uint64_t a[20];
	struct virtio_net_hdr_v1 h;

	/* Jumbo frames: up to 9000 + 30 bytes, so ten 1000-byte buffers are gathered. */
	p.mtu = 9000;
	setup_full(&p, F_BASE | F_MRG, 256);
	for (int i = 0; i < 20; i++)
		a[i] = post_rx(1000);
	wire_send(2988, 6); /* 3000 bytes with the header: 1000 + 1000 + 1000 */
	wire_send(100, 7);
	CHECK(!rx_kick());
	CHECK(used_idx(0) == 4);
	for (int i = 0; i < 3; i++)
		CHECK(used_elem(0, i).id == (uint32_t)i && used_elem(0, i).len == 1000);
	h = guest_hdr(a[0]);
	CHECK(le16toh(h.num_buffers) == 3);
	CHECK(payload_is(a[0] + HDR, 988, 6, 0));
	CHECK(payload_is(a[1], 1000, 6, 988) && payload_is(a[2], 1000, 6, 1988));
	/* The next frame starts in the next chain; the rest went back. */
	CHECK(used_elem(0, 3).id == 3 && used_elem(0, 3).len == HDR + 100);
	CHECK(le16toh(guest_hdr(a[3]).num_buffers) == 1);
	CHECK(payload_is(a[3] + HDR, 100, 7, 0));
	wire_send(10, 8);
	rx_kick();
	CHECK(used_idx(0) == 5 && used_elem(0, 4).id == 4);
	CHECK(stats()->rx_packets == 3 && stats()->rx_bytes == 3098);
	teardown();
}

TEST(rx_mrg_waits_for_a_whole_frame_of_buffers)
{
	uint64_t a;

	setup(F_BASE | F_MRG);
	a = post_rx(1000); /* less than the mtu-sized frame the tap may send */
	wire_send(100, 9);
	CHECK(!rx_kick());
	CHECK(used_idx(0) == 0 && tap_has_frame());
	CHECK(stats()->rx_no_buffer == 1);
	CHECK(!(used(0)->flags & VRING_USED_F_NO_NOTIFY));
	post_rx(1000);
	CHECK(!rx_kick());
	CHECK(used_idx(0) == 1 && used_elem(0, 0).id == 0 && used_elem(0, 0).len == HDR + 100);
	CHECK(payload_is(a + HDR, 100, 9, 0));
	teardown();
}

TEST(rx_event_idx_wakeup_stays_past_returned_buffers)
{
	uint16_t avail_event;

	setup(F_BASE | F_MRG | F_EVIDX);
	post_rx(1000);
	wire_send(100, 10);
	rx_kick(); /* one buffer is not enough: wait for the next */
	memcpy(&avail_event, buf + dq[0].used + 4 + 8 * dq[0].size, 2);
	/* At the index already published: the driver's next buffer notifies. */
	CHECK(avail_event == 1);
	CHECK(used_idx(0) == 0);
	teardown();
}

TEST(rx_mrg_full_ring_reads_what_fits)
{
	struct virtio_net_params p = params(true);

	/* Guest TSO: a frame may be 64 KiB, more than this whole ring holds. */
	setup_full(&p, F_BASE | F_MRG | F_OFFLOAD, 4);
	for (int i = 0; i < 4; i++)
		post_rx(1000);
	wire_send(2488, 11); /* 2500 with the header */
	CHECK(!rx_kick());
	CHECK(used_idx(0) == 3 && used_elem(0, 2).len == 500);
	for (int i = 0; i < 3; i++)
		post_rx(1000);
	wire_send(5000, 12); /* more than 4 x 1000 */
	wire_send(50, 13);
	CHECK(!rx_kick());
	CHECK(stats()->rx_drop_too_big == 1);
	CHECK(used_idx(0) == 4);
	CHECK(used_elem(0, 3).id == 3 && used_elem(0, 3).len == HDR + 50);
	CHECK(payload_is(0x100000u + 0x1000u * 3 + HDR, 50, 13, 0));
	teardown();
}

TEST(rx_truncated_frame_dropped_buffer_reused)
{
	uint64_t a;

	setup(F_BASE);
	a = post_rx(200);
	wire_send(1000, 14);
	wire_send(50, 15);
	CHECK(!rx_kick());
	CHECK(stats()->rx_drop_too_big == 1 && stats()->rx_packets == 1);
	CHECK(used_idx(0) == 1 && used_elem(0, 0).id == 0 && used_elem(0, 0).len == HDR + 50);
	CHECK(payload_is(a + HDR, 50, 15, 0));
	teardown();
}

TEST(rx_short_datagram_dropped)
{
	uint64_t a;

	setup(F_BASE);
	a = post_rx(2048);
	CHECK(send(tap[1], "tiny", 4, 0) == 4);
	wire_send(30, 16);
	rx_kick();
	CHECK(stats()->rx_drop_bad_hdr == 1);
	CHECK(used_idx(0) == 1 && used_elem(0, 0).len == HDR + 30);
	CHECK(payload_is(a + HDR, 30, 16, 0));
	teardown();
}

TEST(rx_offload_frame_guest_did_not_negotiate_dropped)
{
	struct virtio_net_hdr_v1 gso = { .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .hdr_len = 54,
					 .gso_size = 1448 };
	struct virtio_net_hdr_v1 csum = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34,
					  .csum_offset = 16 };
	uint64_t a;

	setup(F_BASE);
	a = post_rx(4096);
	wire_send_hdr(&gso, 3000, 17);
	wire_send_hdr(&csum, 100, 18);
	wire_send(40, 19);
	rx_kick();
	CHECK(stats()->rx_drop_bad_hdr == 2);
	CHECK(used_idx(0) == 1 && used_elem(0, 0).len == HDR + 40);
	CHECK(payload_is(a + HDR, 40, 19, 0));
	teardown();
}

TEST(rx_offload_header_kept_when_negotiated)
{
	struct virtio_net_params p = params(true);
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				       .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .hdr_len = 54,
				       .gso_size = 1448, .csum_start = 34, .csum_offset = 16 };
	uint64_t a;

	setup_full(&p, F_BASE | F_MRG | F_OFFLOAD, 256);
	for (int i = 0; i < 70; i++)
		post_rx(1024);
	a = RXBUF;
	wire_send_hdr(&h, 3000, 20);
	rx_kick();
	CHECK(used_idx(0) == 3);
	h = guest_hdr(a);
	CHECK(h.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && h.gso_type == VIRTIO_NET_HDR_GSO_TCPV4);
	CHECK(h.gso_size == 1448 && h.csum_start == 34 && le16toh(h.num_buffers) == 3);
	CHECK(stats()->rx_drop_bad_hdr == 0);
	teardown();
}

TEST(rx_indirect_chain)
{
	setup(F_BASE);
	put_desc(TABLE, 0, RXBUF, HDR, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	put_desc(TABLE, 1, RXBUF + 0x1000, 1500, VRING_DESC_F_WRITE, 0);
	put_desc(dq[0].desc, 0, TABLE, 32, VRING_DESC_F_INDIRECT, 0);
	publish(0, 0);
	wire_send(500, 21);
	rx_kick();
	CHECK(used_idx(0) == 1 && used_elem(0, 0).len == HDR + 500);
	CHECK(payload_is(RXBUF + 0x1000, 500, 21, 0));
	teardown();
}

/* ---- RX from a hostile guest ---- */

TEST(rx_readable_descriptor_resets_device)
{
	struct seg s[2] = { { RXBUF, 64, false }, { RXBUF + 0x1000, 1500, true } };

	setup(F_BASE);
	post(VIRTIO_NET_RXQ, s, 2);
	wire_send(100, 22);
	CHECK(!rx_kick());
	CHECK(needs_reset());
	CHECK(used_idx(0) == 0 && tap_has_frame()); /* nothing read, nothing written */
	for (unsigned i = 0; i < 64; i++)
		if (buf[RXBUF + i]) {
			CHECK(!"device wrote into a device-readable buffer");
			break;
		}
	teardown();
}

TEST(rx_buffer_smaller_than_header_resets_device)
{
	setup(F_BASE | F_MRG);
	post_rx(HDR - 1);
	wire_send(10, 23);
	CHECK(!rx_kick());
	CHECK(needs_reset() && tap_has_frame());
	teardown();
}

TEST(rx_buffer_over_own_used_ring_refused)
{
	struct seg s = { 0, 256, true };

	setup(F_BASE);
	s.addr = dq[0].used;
	post(VIRTIO_NET_RXQ, &s, 1);
	wire_send(200, 24);
	CHECK(!rx_kick());
	CHECK(needs_reset());
	CHECK(used_idx(0) == 0 && tap_has_frame());
	teardown();
}

TEST(rx_buffer_past_end_of_memory_refused)
{
	struct seg s = { MEM_SIZE - 100, 2048, true };

	setup(F_BASE);
	post(VIRTIO_NET_RXQ, &s, 1);
	wire_send(1000, 25);
	CHECK(!rx_kick());
	CHECK(needs_reset() && tap_has_frame());
	teardown(); /* checks the guard bytes after guest memory */
}

TEST(rx_driver_index_far_ahead_refused)
{
	struct vring_avail *a;

	setup(F_BASE);
	post_rx(2048);
	a = (struct vring_avail *)(buf + dq[0].avail);
	a->idx = 300; /* more than the queue holds */
	wire_send(100, 26);
	CHECK(!rx_kick());
	CHECK(needs_reset() && used_idx(0) == 0 && tap_has_frame());
	teardown();
}

TEST(rx_broken_device_ignores_tap)
{
	struct seg s = { RXBUF, 64, false };

	setup(F_BASE);
	post(VIRTIO_NET_RXQ, &s, 1);
	rx_kick();
	CHECK(needs_reset());
	post_rx(2048);
	wire_send(100, 27);
	CHECK(!rx_kick()); /* the queue stays stopped until the driver resets */
	CHECK(used_idx(0) == 0 && tap_has_frame());
	teardown();
}

/* ---- TX ---- */

/* Posts a TX chain: the header h, then len bytes of pattern(seed) in pieces. */
static uint16_t post_tx_pieces(const struct virtio_net_hdr_v1 *h, uint32_t len, uint8_t seed,
			       int pieces)
{
	struct seg s[8];
	uint64_t a = tx_next;
	uint32_t left = len;
	int n = 0;

	memcpy(buf + a, h, HDR);
	s[n++] = (struct seg){ a, HDR, false };
	a += HDR;
	for (int i = 0; i < pieces; i++) {
		uint32_t take = i + 1 == pieces ? left : len / pieces;

		for (uint32_t j = 0; j < take; j++)
			buf[a + 0x100 + j] = pattern(seed, len - left + j);
		s[n++] = (struct seg){ a + 0x100, take, false };
		a += 0x100 + take;
		left -= take;
	}
	tx_next = (a + 0xfff) & ~0xfffull;
	return post(VIRTIO_NET_TXQ, s, n);
}

static uint16_t post_tx(const struct virtio_net_hdr_v1 *h, uint32_t len, uint8_t seed)
{
	return post_tx_pieces(h, len, seed, 1);
}

/* Receives one frame from the wire: its length with the header, or -1. */
static ssize_t wire_recv(uint8_t *out, size_t max)
{
	return recv(tap[1], out, max, MSG_DONTWAIT);
}

static const struct virtio_net_hdr_v1 plain;

TEST(tx_frame_reaches_tap)
{
	static uint8_t got[4096];
	ssize_t r;

	setup(F_BASE);
	post_tx_pieces(&plain, 1000, 30, 3);
	CHECK(!tx_kick());
	r = wire_recv(got, sizeof(got));
	CHECK(r == HDR + 1000);
	CHECK(memcmp(got, &plain, HDR) == 0);
	for (uint32_t i = 0; i < 1000; i++)
		if (got[HDR + i] != pattern(30, i)) {
			CHECK(!"frame bytes differ");
			break;
		}
	CHECK(used_idx(1) == 1 && used_elem(1, 0).id == 0 && used_elem(1, 0).len == 0);
	CHECK(stats()->tx_packets == 1 && stats()->tx_bytes == 1000);
	CHECK(interrupts == 1);
	CHECK(wire_recv(got, sizeof(got)) < 0); /* exactly one frame */
	teardown();
}

TEST(tx_largest_frame_passes)
{
	uint8_t *got = malloc(70000);

	setup(F_BASE);
	post_tx_pieces(&plain, 65535, 31, 4);
	tx_kick();
	CHECK(wire_recv(got, 70000) == HDR + 65535);
	CHECK(got[HDR + 65534] == pattern(31, 65534));
	CHECK(stats()->tx_drop_too_big == 0);
	free(got);
	teardown();
}

TEST(tx_short_chain_dropped)
{
	uint8_t got[64];
	struct seg s = { TXBUF, HDR - 1, false };

	setup(F_BASE);
	post(VIRTIO_NET_TXQ, &s, 1);
	CHECK(!tx_kick());
	CHECK(stats()->tx_drop_short == 1 && stats()->tx_packets == 0);
	CHECK(used_idx(1) == 1 && !needs_reset());
	CHECK(wire_recv(got, sizeof(got)) < 0);
	teardown();
}

TEST(tx_too_big_dropped)
{
	uint8_t got[64];

	setup(F_BASE);
	post_tx_pieces(&plain, 65536, 32, 2);
	CHECK(!tx_kick());
	CHECK(stats()->tx_drop_too_big == 1);
	CHECK(used_idx(1) == 1 && !needs_reset());
	CHECK(wire_recv(got, sizeof(got)) < 0);
	teardown();
}

TEST(tx_writable_descriptor_resets_device)
{
	struct seg s[2] = { { TXBUF, HDR, false }, { TXBUF + 0x100, 100, true } };
	uint8_t got[256];

	setup(F_BASE);
	memcpy(buf + TXBUF, &plain, HDR);
	post(VIRTIO_NET_TXQ, s, 2);
	CHECK(!tx_kick());
	CHECK(needs_reset());
	CHECK(wire_recv(got, sizeof(got)) < 0 && used_idx(1) == 0);
	teardown();
}

TEST(tx_nonsense_headers_dropped)
{
	static const struct virtio_net_hdr_v1 bad[] = {
		{ .gso_type = 7, .gso_size = 100 },                                  /* unknown */
		{ .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 100 },           /* not negotiated */
		{ .gso_type = VIRTIO_NET_HDR_GSO_TCPV6, .gso_size = 100 },
		{ .gso_type = VIRTIO_NET_HDR_GSO_UDP, .gso_size = 100 },
		{ .gso_type = VIRTIO_NET_HDR_GSO_ECN },
		{ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 0, .csum_offset = 4 },
		{ .flags = VIRTIO_NET_HDR_F_DATA_VALID },                            /* RX only */
		{ .flags = 0x80 },
		{ .hdr_len = 501 },                                                  /* past the frame */
	};
	uint8_t got[1024];

	setup(F_BASE);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		post_tx(&bad[i], 500, (uint8_t)i);
	post_tx(&plain, 500, 99);
	CHECK(!tx_kick());
	CHECK(stats()->tx_drop_bad_gso == sizeof(bad) / sizeof(bad[0]));
	CHECK(stats()->tx_packets == 1);
	CHECK(used_idx(1) == sizeof(bad) / sizeof(bad[0]) + 1 && !needs_reset());
	CHECK(wire_recv(got, sizeof(got)) == HDR + 500 && got[HDR] == pattern(99, 0));
	CHECK(wire_recv(got, sizeof(got)) < 0);
	teardown();
}

TEST(tx_offload_headers_checked_against_negotiation)
{
	struct virtio_net_params p = params(true);
	struct virtio_net_hdr_v1 tso = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					 .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .hdr_len = 54,
					 .gso_size = 1448, .csum_start = 34, .csum_offset = 16 };
	struct virtio_net_hdr_v1 h;
	uint8_t *got = malloc(8192);

	/* CSUM and HOST_TSO4, not HOST_TSO6. */
	setup_full(&p, F_BASE | F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_HOST_TSO4), 256);
	post_tx(&tso, 4000, 40);                    /* fine */
	h = tso, h.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	post_tx(&h, 4000, 41);                      /* TSO6 not negotiated */
	h = tso, h.gso_size = 0;
	post_tx(&h, 4000, 42);                      /* cannot be segmented */
	h = tso, h.csum_start = 3990, h.csum_offset = 9;
	post_tx(&h, 4000, 43);                      /* checksum lands past the end */
	h = tso, h.csum_start = 3990, h.csum_offset = 8;
	post_tx(&h, 4000, 44);                      /* ends exactly at the end: fine */
	tx_kick();
	CHECK(stats()->tx_drop_bad_gso == 3 && stats()->tx_packets == 2);
	CHECK(wire_recv(got, 8192) == HDR + 4000);
	CHECK(memcmp(got, &tso, HDR) == 0 && got[HDR] == pattern(40, 0));
	CHECK(wire_recv(got, 8192) == HDR + 4000 && got[HDR] == pattern(44, 0));
	free(got);
	teardown();
}

TEST(tx_full_tap_drops_and_counts)
{
	int small = 4096, sent = 0;
	uint8_t *got = malloc(8192);

	setup(F_BASE);
	CHECK(setsockopt(tap[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)) == 0);
	for (int i = 0; i < 20; i++)
		post_tx(&plain, 4000, (uint8_t)i);
	CHECK(!tx_kick());
	CHECK(stats()->tx_drop_tap_error > 0);
	CHECK(stats()->tx_packets + stats()->tx_drop_tap_error == 20);
	CHECK(used_idx(1) == 20 && !needs_reset());
	while (wire_recv(got, 8192) == HDR + 4000)
		sent++;
	CHECK((uint64_t)sent == stats()->tx_packets);
	free(got);
	teardown();
}

TEST(tx_budget_returns_true_then_resumes)
{
	uint8_t got[256];
	int n = 0;

	setup(F_BASE);
	for (int i = 0; i < 100; i++)
		post_tx(&plain, 60, (uint8_t)i);
	CHECK(tx_kick());
	CHECK(used_idx(1) == VIRTIO_NET_BUDGET && interrupts == 1);
	CHECK(!tx_kick());
	CHECK(used_idx(1) == 100 && interrupts == 2);
	while (wire_recv(got, sizeof(got)) == HDR + 60)
		CHECK(got[HDR] == pattern((uint8_t)n++, 0));
	CHECK(n == 100);
	teardown();
}

TEST(tx_budget_exactly_drained_returns_false)
{
	setup(F_BASE);
	for (int i = 0; i < VIRTIO_NET_BUDGET; i++)
		post_tx(&plain, 60, (uint8_t)i);
	CHECK(!tx_kick()); /* nothing left: no extra round */
	CHECK(used_idx(1) == VIRTIO_NET_BUDGET);
	CHECK(!(used(1)->flags & VRING_USED_F_NO_NOTIFY));
	teardown();
}

TEST(tx_chain_loop_resets_device)
{
	uint8_t got[256];

	setup(F_BASE);
	memcpy(buf + TXBUF, &plain, HDR);
	put_desc(dq[1].desc, 0, TXBUF, HDR, VRING_DESC_F_NEXT, 1);
	put_desc(dq[1].desc, 1, TXBUF + 0x100, 100, VRING_DESC_F_NEXT, 0);
	publish(1, 0);
	CHECK(!tx_kick());
	CHECK(needs_reset() && wire_recv(got, sizeof(got)) < 0);
	teardown();
}

TEST(tx_indirect_chain)
{
	uint8_t got[256];

	setup(F_BASE);
	memcpy(buf + TXBUF, &plain, HDR);
	memset(buf + TXBUF + 0x100, 0x5a, 100);
	put_desc(TABLE, 0, TXBUF, HDR, VRING_DESC_F_NEXT, 1);
	put_desc(TABLE, 1, TXBUF + 0x100, 100, 0, 0);
	put_desc(dq[1].desc, 0, TABLE, 32, VRING_DESC_F_INDIRECT, 0);
	publish(1, 0);
	tx_kick();
	CHECK(wire_recv(got, sizeof(got)) == HDR + 100 && got[HDR + 99] == 0x5a);
	teardown();
}

/* ---- offloads and reset ---- */

TEST(offload_flags_follow_negotiation)
{
	struct virtio_net_params p = params(true);

	setup_full(&p, F_BASE | F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4), 256);
	CHECK(offload_calls == 0); /* nothing before the device serves */
	tx_kick();
	CHECK(offload_calls == 0); /* TX has nothing to say to the tap */
	rx_kick();
	CHECK(offload_calls == 1 && offload_flags == (TUN_F_CSUM | TUN_F_TSO4));
	rx_kick();
	CHECK(offload_calls == 1); /* once */
	/* A new driver negotiates nothing: the tap hears it again. */
	wr(VIRTIO_MMIO_STATUS, 0);
	driver_init(F_BASE, 256);
	rx_kick();
	CHECK(offload_calls == 2 && offload_flags == 0);
	teardown();
}

TEST(offload_guest_tso_without_csum_means_none)
{
	struct virtio_net_params p = params(true);

	setup_full(&p, F_BASE | F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6), 256);
	rx_kick();
	CHECK(offload_calls == 1 && offload_flags == 0);
	teardown();
}

TEST(offload_failure_still_protects_guest)
{
	struct virtio_net_params p = params(true);
	struct virtio_net_hdr_v1 gso = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					 .gso_type = VIRTIO_NET_HDR_GSO_TCPV6, .hdr_len = 74,
					 .gso_size = 1428 };

	setup_full(&p, F_BASE | F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4), 256);
	offload_ret = -1; /* the tap kept sending TSO6 */
	post_rx(65536);
	wire_send_hdr(&gso, 9000, 50);
	wire_send(60, 51);
	rx_kick();
	CHECK(offload_calls == 1);
	CHECK(stats()->rx_drop_bad_hdr == 1 && stats()->rx_packets == 1);
	CHECK(used_idx(0) == 1 && used_elem(0, 0).len == HDR + 60);
	teardown();
}

TEST(offload_tso6_both_ways)
{
	struct virtio_net_params p = params(true);
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				       .gso_type = VIRTIO_NET_HDR_GSO_TCPV6, .hdr_len = 74,
				       .gso_size = 1428, .csum_start = 54, .csum_offset = 16 };
	uint8_t *got = malloc(8192);

	setup_full(&p, F_BASE | F_MRG | F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) |
			       F(VIRTIO_NET_F_HOST_TSO6) | F(VIRTIO_NET_F_GUEST_TSO6), 256);
	for (int i = 0; i < 70; i++)
		post_rx(1024);
	wire_send_hdr(&h, 3000, 70);
	rx_kick();
	CHECK(offload_calls == 1 && offload_flags == (TUN_F_CSUM | TUN_F_TSO6));
	CHECK(used_idx(0) == 3 && guest_hdr(RXBUF).gso_type == VIRTIO_NET_HDR_GSO_TCPV6);
	post_tx(&h, 4000, 71);
	tx_kick();
	CHECK(stats()->tx_packets == 1 && stats()->tx_drop_bad_gso == 0);
	CHECK(wire_recv(got, 8192) == HDR + 4000 && memcmp(got, &h, HDR) == 0);
	free(got);
	teardown();
}

TEST(reset_then_new_driver_works)
{
	setup(F_BASE | F_MRG);
	post_rx(2048);
	post_rx(2048);
	wire_send(100, 60);
	rx_kick();
	CHECK(used_idx(0) == 1);
	wr(VIRTIO_MMIO_STATUS, 0);
	CHECK(rd(VIRTIO_MMIO_STATUS) == 0);
	memset(buf, 0, 0x10000); /* the new driver's rings start clean */
	driver_init(F_BASE, 256);
	post_rx(2048);
	wire_send(200, 61);
	rx_kick();
	CHECK(used_idx(0) == 1 && used_elem(0, 0).id == 0 && used_elem(0, 0).len == HDR + 200);
	CHECK(payload_is(RXBUF + HDR, 200, 61, 0));
	teardown();
}

TEST(notify_before_driver_ok_does_nothing)
{
	struct virtio_net_params p = params(false);

	mem = guarded_mem_new(MEM_SIZE);
	buf = mem.host;
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, tap) == 0);
	net = virtio_net_create(&p, tap[0]);
	t = virtio_mmio_create(&mem, "net.test", &virtio_net_ops, net, &host);
	wire_send(100, 62);
	CHECK(!rx_kick() && !tx_kick());
	CHECK(tap_has_frame() && stats()->rx_packets == 0);
	teardown();
}

CHECK_MAIN()
