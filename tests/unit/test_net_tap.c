/*
 * virtio-net against a real tap (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, a
 * 12-byte header), in a network namespace of this process's own (it goes
 * away with the process).  test_net.c covers the device with a socketpair;
 * this checks what only a tap can tell: that a truncated read is caught
 * (a tap's readv returns no MSG_TRUNC), that the device writes the two
 * header bytes the tap skips, and that frames cross in both directions.
 * An AF_PACKET socket on the tap plays the host side.  Needs root and
 * /dev/net/tun; prints SKIP lines otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "check.h"
#include "guarded_mem.h"
#include "net.h"
#include "queue.h"

#define MEM_SIZE (1u << 20)
#define HDR VIRTIO_NET_HDR_LEN
#define QSIZE 8
#define RXBUF 0x10000u
#define TXBUF 0x20000u
#define ETHERTYPE 0x88b5 /* IEEE local experimental: nothing else sends it */
#define TAP_NAME "net-dev0"

static struct guest_mem mem;
static uint8_t *buf;
static struct virtq q[2];
static uint16_t avail_idx[2];
static struct virtio_net *net;
static int tap = -1, pkt = -1;

static uint64_t ring(unsigned qi, unsigned part) /* 0 desc, 1 avail, 2 used */
{
	return 0x1000 + 0x4000u * qi + 0x1000u * part;
}

static void on_fail(void *ctx, struct virtq *vq, const char *why)
{
	(void)ctx, (void)vq;
	fprintf(stderr, "  queue failed: %s\n", why);
}

static const struct virtq_hooks hooks = { .fail = on_fail };

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

/* NULL when this host can run the tests (we are then in our own netns). */
static const char *unavailable(void)
{
	if (geteuid() != 0)
		return "needs root";
	if (access("/dev/net/tun", R_OK | W_OK) != 0)
		return "needs /dev/net/tun";
	if (unshare(CLONE_NEWNET) != 0)
		return "cannot create a network namespace";
	/* No IPv6 chatter (router solicitations, DAD) on the tap. */
	write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	return NULL;
}

static int open_tap(void)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC), sz = HDR, s;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", TAP_NAME);
	CHECK(fd >= 0);
	CHECK(ioctl(fd, TUNSETIFF, &ifr) == 0);
	CHECK(ioctl(fd, TUNSETVNETHDRSZ, &sz) == 0);
	CHECK(ioctl(fd, TUNSETOFFLOAD, 0) == 0);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(ioctl(s, SIOCGIFFLAGS, &ifr) == 0);
	ifr.ifr_flags |= IFF_UP;
	CHECK(ioctl(s, SIOCSIFFLAGS, &ifr) == 0);
	close(s);
	return fd;
}

static int open_packet_socket(void)
{
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETHERTYPE),
				 .sll_ifindex = (int)if_nametoindex(TAP_NAME) };
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETHERTYPE));

	CHECK(s >= 0 && a.sll_ifindex > 0);
	CHECK(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0);
	return s;
}

static void setup(uint64_t features)
{
	struct virtio_net_params p = { .mac = { 2, 0, 0, 0, 0, 1 }, .mtu = 1500 };
	char why[160];

	mem = guarded_mem_new(MEM_SIZE);
	buf = mem.host;
	avail_idx[0] = avail_idx[1] = 0;
	features |= 1ull << VIRTIO_F_VERSION_1;
	for (unsigned i = 0; i < 2; i++)
		CHECK(virtq_init(&q[i], &mem, i, QSIZE, ring(i, 0), ring(i, 1), ring(i, 2), features,
				 &hooks, why, sizeof(why)) == 0);
	tap = open_tap();
	pkt = open_packet_socket();
	net = virtio_net_create(&p, tap);
	CHECK(net != NULL);
}

static void teardown(void)
{
	CHECK(guarded_mem_intact(&mem));
	virtio_net_destroy(net);
	close(pkt);
	close(tap); /* the interface goes with its last descriptor */
	free(buf);
}

/* A one-descriptor chain on queue qi. */
static void post(unsigned qi, uint64_t addr, uint32_t len, bool writable)
{
	struct vring_desc d = { addr, len, writable ? VRING_DESC_F_WRITE : 0, 0 };
	struct vring_avail *a = (struct vring_avail *)(buf + ring(qi, 1));
	uint16_t slot = avail_idx[qi] % QSIZE;

	memcpy(buf + ring(qi, 0) + 16u * slot, &d, sizeof(d));
	a->ring[slot] = slot;
	__atomic_store_n(&a->idx, ++avail_idx[qi], __ATOMIC_RELEASE);
}

static struct vring_used *used(unsigned qi)
{
	return (struct vring_used *)(buf + ring(qi, 2));
}

static void ether_frame(uint8_t *f, size_t len, uint8_t seed)
{
	memset(f, 0xff, 6);                         /* broadcast */
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x02", 6);
	f[12] = ETHERTYPE >> 8;
	f[13] = ETHERTYPE & 0xff;
	for (size_t i = ETH_HLEN; i < len; i++)
		f[i] = (uint8_t)(seed + i);
}

/* The host sends a frame out of the tap interface: the guest's RX. */
static void host_send(size_t len, uint8_t seed)
{
	uint8_t f[2048];

	ether_frame(f, len, seed);
	CHECK(send(pkt, f, len, 0) == (ssize_t)len);
}

static bool rx(void)
{
	return virtio_net_ops.queue_notify(net, &q[VIRTIO_NET_RXQ]);
}

TEST(tap_frame_reaches_guest_with_header)
{
	struct virtio_net_hdr_v1 h;
	uint8_t want[200];

	setup(0);
	memset(buf + RXBUF, 0xee, 2048); /* so bytes nobody wrote show */
	post(0, RXBUF, 2048, true);
	host_send(200, 1);
	CHECK(!rx());
	CHECK(used(0)->idx == 1 && used(0)->ring[0].len == HDR + 200);
	memcpy(&h, buf + RXBUF, HDR);
	CHECK(h.flags == 0 && h.gso_type == VIRTIO_NET_HDR_GSO_NONE);
	/* The tap skips num_buffers; the device must have written it. */
	CHECK(h.num_buffers == 1);
	ether_frame(want, sizeof(want), 1);
	CHECK(memcmp(buf + RXBUF + HDR, want, sizeof(want)) == 0);
	CHECK(virtio_net_stats(net)->rx_packets == 1);
	teardown();
}

TEST(tap_truncated_frame_is_caught)
{
	uint8_t want[60];

	setup(0);
	post(0, RXBUF, HDR + 100, true);
	host_send(600, 2); /* longer than the buffer */
	host_send(60, 3);
	rx();
	CHECK(virtio_net_stats(net)->rx_drop_too_big == 1);
	CHECK(used(0)->idx == 1 && used(0)->ring[0].len == HDR + 60);
	ether_frame(want, sizeof(want), 3);
	CHECK(memcmp(buf + RXBUF + HDR, want, sizeof(want)) == 0);
	teardown();
}

TEST(tap_exact_fit_is_delivered)
{
	setup(1ull << VIRTIO_NET_F_MRG_RXBUF);
	for (unsigned i = 0; i < 2; i++)
		post(0, RXBUF + 0x1000u * i, 1024, true); /* 2048 >= mtu-sized frame */
	host_send(1024 - HDR, 4);
	rx();
	CHECK(virtio_net_stats(net)->rx_drop_too_big == 0);
	CHECK(used(0)->idx == 1 && used(0)->ring[0].len == 1024);
	teardown();
}

TEST(tap_empty_gives_buffer_back)
{
	setup(0);
	post(0, RXBUF, 2048, true);
	CHECK(!rx());
	CHECK(used(0)->idx == 0);
	host_send(64, 5);
	rx();
	CHECK(used(0)->idx == 1 && used(0)->ring[0].id == 0);
	teardown();
}

/*
 * Flooded with no buffer posted: the device reads nothing, so the tap's
 * own queue fills and the kernel drops the rest (the backpressure a guest
 * that stops receiving gets).  Buffers posted later get the oldest frames.
 */
TEST(tap_flood_without_buffers_keeps_oldest_frames)
{
	uint8_t f[600];
	int sent = 0;

	setup(0);
	for (int i = 0; i < 3000; i++) {
		ether_frame(f, sizeof(f), (uint8_t)i);
		sent += send(pkt, f, sizeof(f), 0) == (ssize_t)sizeof(f);
	}
	CHECK(sent > 1000);
	for (int call = 0; call < 10; call++)
		CHECK(!rx());
	CHECK(virtio_net_stats(net)->rx_no_buffer == 10);
	CHECK(virtio_net_stats(net)->rx_packets == 0 && used(0)->idx == 0);
	for (unsigned round = 0; round < 2; round++) {
		for (unsigned i = 0; i < QSIZE; i++)
			post(0, RXBUF + 0x1000u * i, 2048, true);
		CHECK(!rx());
		CHECK(used(0)->idx == QSIZE * (round + 1));
		for (unsigned i = 0; i < QSIZE; i++) {
			ether_frame(f, sizeof(f), (uint8_t)(round * QSIZE + i));
			CHECK(used(0)->ring[i].len == HDR + sizeof(f));
			CHECK(memcmp(buf + RXBUF + 0x1000u * i + HDR, f, sizeof(f)) == 0);
		}
		/* The ring ran dry again with frames left: counted, notifications on. */
		CHECK(virtio_net_stats(net)->rx_no_buffer == 11 + round);
		CHECK(!(used(0)->flags & VRING_USED_F_NO_NOTIFY));
	}
	CHECK(virtio_net_stats(net)->rx_tap_error == 0 && virtio_net_stats(net)->rx_drop_too_big == 0);
	teardown();
}

TEST(tap_guest_frame_reaches_host)
{
	static const struct virtio_net_hdr_v1 plain;
	struct sockaddr_ll from;
	socklen_t fl = sizeof(from);
	uint8_t got[2048], want[300];
	ssize_t r;

	setup(0);
	memcpy(buf + TXBUF, &plain, HDR);
	ether_frame(buf + TXBUF + HDR, 300, 6);
	post(1, TXBUF, HDR + 300, false);
	CHECK(!virtio_net_ops.queue_notify(net, &q[VIRTIO_NET_TXQ]));
	CHECK(used(1)->idx == 1 && virtio_net_stats(net)->tx_packets == 1);
	r = recvfrom(pkt, got, sizeof(got), 0, (struct sockaddr *)&from, &fl);
	CHECK(r == 300 && from.sll_pkttype != PACKET_OUTGOING);
	ether_frame(want, sizeof(want), 6);
	CHECK(r == 300 && memcmp(got, want, 300) == 0);
	teardown();
}

TEST(tap_refuses_runt_frame_and_device_counts_it)
{
	static const struct virtio_net_hdr_v1 plain;

	setup(0);
	memcpy(buf + TXBUF, &plain, HDR);
	post(1, TXBUF, HDR + 6, false); /* shorter than an Ethernet header */
	virtio_net_ops.queue_notify(net, &q[VIRTIO_NET_TXQ]);
	CHECK(used(1)->idx == 1);
	CHECK(virtio_net_stats(net)->tx_drop_tap_error == 1);
	teardown();
}

/* check.h's runner, behind a check for root and /dev/net/tun. */
#define main check_main
CHECK_MAIN()
#undef main

int main(int argc, char **argv)
{
	const char *why = unavailable();

	if (why) {
		for (struct check_test *t = check_head; t; t = t->next)
			printf("SKIP %s (%s)\n", t->name, why);
		return 0;
	}
	return check_main(argc, argv);
}
