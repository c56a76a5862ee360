/*
 * The virtio-net device model's own cost per frame, without KVM: a fake
 * guest keeps both rings full and recycles used buffers, a datagram
 * socketpair plays the tap.  Only the time inside queue_notify counts (the
 * "wire" side's send/recv is outside the clock).  Build and run:
 *
 *   mkdir -p build/bench && cc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -Ihw -Ivirtio \
 *       -o build/bench/net_device tests/bench/net_device.c virtio/net.c virtio/queue.c \
 *       && build/bench/net_device
 *
 * Prints one line per case: ns per frame and frames per second, after the
 * floor (the same datagrams through bare readv / writev).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "net.h"
#include "queue.h"

#define MEM_SIZE (64u << 20)
#define QSIZE 256
#define BUFS 0x100000u
#define HDR VIRTIO_NET_HDR_LEN
#define FRAMES 200000

static uint8_t *mem;
static struct virtq q[2];
static uint16_t avail_idx[2], used_seen[2];

static uint64_t ring(unsigned qi, unsigned part)
{
	return 0x1000 + 0x4000u * qi + 0x1000u * part;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void publish(unsigned qi, uint16_t head)
{
	struct vring_avail *a = (struct vring_avail *)(mem + ring(qi, 1));

	a->ring[avail_idx[qi] % QSIZE] = head;
	__atomic_store_n(&a->idx, ++avail_idx[qi], __ATOMIC_RELEASE);
}

/* Descriptor i is buffer i of `len` bytes; all QSIZE go on the ring. */
static void fill(unsigned qi, uint32_t len, bool writable)
{
	for (uint16_t i = 0; i < QSIZE; i++) {
		struct vring_desc d = { BUFS + (uint64_t)qi * (32u << 20) + 0x11000ull * i, len,
					writable ? VRING_DESC_F_WRITE : 0, 0 };

		memcpy(mem + ring(qi, 0) + 16u * i, &d, sizeof(d));
		publish(qi, i);
	}
}

/* The guest takes what was used and posts it again. */
static void recycle(unsigned qi)
{
	struct vring_used *u = (struct vring_used *)(mem + ring(qi, 2));

	while (used_seen[qi] != u->idx)
		publish(qi, (uint16_t)u->ring[used_seen[qi]++ % QSIZE].id);
}

static void setup(uint64_t features)
{
	char why[160];
	struct guest_mem m = { mem, MEM_SIZE };
	static struct guest_mem keep;

	memset(mem, 0, 0x10000);
	keep = m;
	avail_idx[0] = avail_idx[1] = used_seen[0] = used_seen[1] = 0;
	for (unsigned i = 0; i < 2; i++)
		if (virtq_init(&q[i], &keep, i, QSIZE, ring(i, 0), ring(i, 1), ring(i, 2),
			       features | 1ull << VIRTIO_F_VERSION_1, NULL, why, sizeof(why)))
			abort();
}

static void rx_case(const char *name, uint64_t features, bool offload, uint32_t buflen,
		    uint32_t frame)
{
	struct virtio_net_params p = { .mtu = 1500, .offload = offload };
	uint8_t *f = calloc(1, HDR + frame);
	int sv[2], big = 8 << 20;
	struct virtio_net *n;
	double t = 0;

	setup(features);
	socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv);
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	n = virtio_net_create(&p, sv[0]);
	fill(0, buflen, true);
	for (unsigned done = 0; done < FRAMES; done += VIRTIO_NET_BUDGET) {
		double t0;

		for (int i = 0; i < VIRTIO_NET_BUDGET; i++)
			send(sv[1], f, HDR + frame, 0);
		t0 = now();
		while (virtio_net_ops.queue_notify(n, &q[0]))
			;
		t += now() - t0;
		recycle(0);
	}
	if (virtio_net_stats(n)->rx_packets != FRAMES / VIRTIO_NET_BUDGET * VIRTIO_NET_BUDGET +
							(FRAMES % VIRTIO_NET_BUDGET ? VIRTIO_NET_BUDGET : 0))
		printf("  (delivered %llu)\n", (unsigned long long)virtio_net_stats(n)->rx_packets);
	printf("RX %-44s %6.0f ns/frame %8.0f frames/s\n", name,
	       t / virtio_net_stats(n)->rx_packets * 1e9, virtio_net_stats(n)->rx_packets / t);
	virtio_net_destroy(n);
	close(sv[0]);
	close(sv[1]);
	free(f);
}

static void tx_case(const char *name, uint32_t frame)
{
	struct virtio_net_params p = { .mtu = 1500 };
	static uint8_t sink[70000];
	int sv[2], big = 8 << 20;
	struct virtio_net *n;
	double t = 0;

	setup(0);
	socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	n = virtio_net_create(&p, sv[0]);
	fill(1, HDR + frame, false);
	for (unsigned done = 0; done < FRAMES; done += VIRTIO_NET_BUDGET) {
		double t0 = now();

		while (virtio_net_ops.queue_notify(n, &q[1]))
			;
		t += now() - t0;
		while (recv(sv[1], sink, sizeof(sink), 0) > 0)
			;
		recycle(1);
	}
	printf("TX %-44s %6.0f ns/frame %8.0f frames/s (%llu dropped)\n", name,
	       t / virtio_net_stats(n)->tx_packets * 1e9, virtio_net_stats(n)->tx_packets / t,
	       (unsigned long long)virtio_net_stats(n)->tx_drop_tap_error);
	virtio_net_destroy(n);
	close(sv[0]);
	close(sv[1]);
}

/* The floor: the same datagrams through bare readv / writev, no device. */
static void baseline(uint32_t frame)
{
	static uint8_t b[70000];
	struct iovec iov = { b, HDR + frame };
	int sv[2], big = 8 << 20;
	double tr = 0, tw = 0;

	socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv);
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	for (unsigned done = 0; done < FRAMES; done += VIRTIO_NET_BUDGET) {
		double t0 = now();

		for (int i = 0; i < VIRTIO_NET_BUDGET; i++)
			writev(sv[1], &iov, 1);
		tw += now() - t0;
		t0 = now();
		for (int i = 0; i < VIRTIO_NET_BUDGET; i++)
			readv(sv[0], &iov, 1);
		tr += now() - t0;
	}
	printf("readv alone, %5u B %38.0f ns/frame\n", frame, tr / FRAMES * 1e9);
	printf("writev alone, %5u B %37.0f ns/frame\n", frame, tw / FRAMES * 1e9);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	uint64_t mrg = 1ull << VIRTIO_NET_F_MRG_RXBUF;
	uint64_t tso = 1ull << VIRTIO_NET_F_GUEST_CSUM | 1ull << VIRTIO_NET_F_GUEST_TSO4;

	mem = calloc(1, MEM_SIZE);
	baseline(64);
	baseline(1500);
	rx_case("64 B, one 2 KiB buffer per frame", 0, false, 2048, 64);
	rx_case("1500 B, one 2 KiB buffer per frame", 0, false, 2048, 1500);
	rx_case("1500 B, MRG_RXBUF, 1536 B buffers", mrg, false, 1536, 1500);
	rx_case("1500 B, MRG_RXBUF + GUEST_TSO4, 1536 B buffers", mrg | tso, true, 1536, 1500);
	rx_case("64 B, MRG_RXBUF + GUEST_TSO4, 1536 B buffers", mrg | tso, true, 1536, 64);
	rx_case("60 KiB, MRG_RXBUF + GUEST_TSO4, 4 KiB buffers", mrg | tso, true, 4096, 60000);
	tx_case("64 B", 64);
	tx_case("1500 B", 1500);
	tx_case("60 KiB", 60000);
	free(mem);
	return 0;
}
