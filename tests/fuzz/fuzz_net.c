/*
 * libFuzzer harness for virtio-net: both queues of one device, served in
 * an order the input picks, with frames waiting in a datagram "tap".
 *
 * Input (little-endian):
 *   [0]     queue size 1 << (b % 8), both queues
 *   [1..2]  feature and mode bits, see the F_* table below
 *   [3]     bits 0-3: frames in the tap; bits 4-5: mtu (68, 1500, 9000, 65535)
 *   then each frame: u16 length, that many bytes (header included)
 *   the rest is guest memory from address 0: the RX rings at 0, the TX
 *   rings at TX_RINGS, laid out as Linux lays them out.
 *
 * Guest memory is a heap block of exactly MEM_SIZE bytes, so ASan flags
 * any access outside it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "net.h"
#include "queue.h"

#define MEM_SIZE (64u << 10)
#define TX_RINGS 0x2000u
#define ROUNDS 6

/* Mode bit i of input bytes 1-2 turns on feature F[i]. */
static const unsigned F[] = {
	VIRTIO_RING_F_INDIRECT_DESC, VIRTIO_RING_F_EVENT_IDX, VIRTIO_NET_F_MRG_RXBUF,
	VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_HOST_TSO4,
	VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6,
};
#define MODE_OFFLOAD_FAILS (1u << 9)  /* set_offload returns -1 */
#define MODE_TX_FIRST (1u << 10)

static int tap[2];
static int failures[2];

static void on_fail(void *ctx, struct virtq *q, const char *why)
{
	(void)ctx, (void)why;
	/* Each queue reports its violation once, then refuses to work. */
	if (!q->broken || q->index > 1 || failures[q->index]++)
		abort();
}

static void on_irq(void *ctx, struct virtq *q)
{
	(void)ctx, (void)q;
}

static int offload_ok(void *ctx, unsigned flags)
{
	(void)ctx, (void)flags;
	return 0;
}

static int offload_fails(void *ctx, unsigned flags)
{
	(void)ctx, (void)flags;
	return -1;
}

static void drain(int fd)
{
	static uint8_t sink[70000];

	while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) >= 0)
		;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int big = 1 << 20;

	(void)argc, (void)argv;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, tap) < 0)
		abort();
	setsockopt(tap[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	return 0;
}

static void init_queue(struct virtq *q, const struct guest_mem *m, unsigned index,
		       uint16_t qsize, uint64_t base, uint64_t features)
{
	static const struct virtq_hooks hooks = { .fail = on_fail, .interrupt = on_irq };
	uint64_t avail = base + 16ull * qsize, used = (avail + 6 + 2ull * qsize + 3) & ~3ull;
	char why[160];

	/* The layout is always valid: the rings fit below TX_RINGS and MEM_SIZE. */
	if (virtq_init(q, m, index, qsize, base, avail, used, features, &hooks, why, sizeof(why)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t mtus[] = { 68, 1500, 9000, 65535 };
	struct virtio_net_params p = { .mac = { 2, 0, 0, 0, 0, 1 }, .offload = true };
	struct guest_mem mem;
	struct virtq q[2];
	struct virtio_net *n;
	uint64_t features = 1ull << VIRTIO_F_VERSION_1;
	unsigned mode, frames;
	uint16_t qsize;

	if (size < 4)
		return 0;
	qsize = (uint16_t)(1u << (data[0] % 8));
	mode = data[1] | (unsigned)data[2] << 8;
	frames = data[3] & 15;
	p.mtu = mtus[(data[3] >> 4) & 3];
	p.set_offload = mode & MODE_OFFLOAD_FAILS ? offload_fails : offload_ok;
	for (unsigned i = 0; i < sizeof(F) / sizeof(F[0]); i++)
		if (mode & (1u << i))
			features |= 1ull << F[i];
	data += 4;
	size -= 4;
	for (unsigned i = 0; i < frames && size >= 2; i++) {
		size_t len = data[0] | (size_t)data[1] << 8;

		data += 2;
		size -= 2;
		len = len < size ? len : size;
		send(tap[1], data, len, MSG_DONTWAIT);
		data += len;
		size -= len;
	}

	mem.size = MEM_SIZE;
	mem.host = calloc(1, MEM_SIZE);
	memcpy(mem.host, data, size < MEM_SIZE ? size : MEM_SIZE);
	failures[0] = failures[1] = 0;
	init_queue(&q[0], &mem, VIRTIO_NET_RXQ, qsize, 0, features);
	init_queue(&q[1], &mem, VIRTIO_NET_TXQ, qsize, TX_RINGS, features);
	n = virtio_net_create(&p, tap[0]);
	if (!n)
		abort();

	/* Bounded: a handler that keeps saying "more" gets ROUNDS calls. */
	for (unsigned r = 0; r < ROUNDS; r++) {
		unsigned first = mode & MODE_TX_FIRST ? 1 : 0;
		bool more = virtio_net_ops.queue_notify(n, &q[first]);

		more |= virtio_net_ops.queue_notify(n, &q[!first]);
		if (!more && r >= 1)
			break;
	}
	/* Whatever the guest did, the counters add up. */
	{
		const struct virtio_net_stats *s = virtio_net_stats(n);

		if (s->rx_packets + s->rx_drop_too_big + s->rx_drop_bad_hdr > frames)
			abort();
	}
	virtio_net_destroy(n);
	drain(tap[0]);
	drain(tap[1]);
	free(mem.host);
	return 0;
}
