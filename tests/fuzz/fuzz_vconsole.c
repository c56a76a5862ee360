/*
 * libFuzzer harness for virtio-console: both queues of one device,
 * served in an order the input picks, with input waiting in a pipe and
 * output going to a pipe that may be full or closed.
 *
 * Input:
 *   [0]     queue size 1 << (b % 8), both queues
 *   [1]     mode: bit 0 EVENT_IDX, bit 1 INDIRECT_DESC, bit 2 TX first,
 *           bit 3 the input ends after its bytes, bit 4 output reader gone,
 *           bit 5 output pipe already full, bit 6 no input at all
 *   [2..3]  n, little-endian: the next n bytes are the host's input
 *   the rest is guest memory from address 0: the RX rings at 0, the TX
 *   rings at TX_RINGS, laid out as Linux lays them out.
 *
 * Guest memory is a heap block of exactly MEM_SIZE bytes, so ASan flags
 * any access outside it.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "console.h"
#include "queue.h"

#define MEM_SIZE (64u << 10)
#define TX_RINGS 0x2000u
#define ROUNDS 6

static int failures[2];

static void on_fail(void *ctx, struct virtq *q, const char *why)
{
	(void)ctx, (void)why;
	if (!q->broken || q->index > 1 || failures[q->index]++)
		abort();
}

static void on_irq(void *ctx, struct virtq *q)
{
	(void)ctx, (void)q;
}

static int done_calls, failed_calls;
static void on_done(void *ctx) { (void)ctx; done_calls++; }
static void on_failed(void *ctx, int err) { (void)ctx, (void)err; failed_calls++; }

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static void init_queue(struct virtq *q, const struct guest_mem *m, unsigned index, uint16_t qsize,
		       uint64_t base, uint64_t features)
{
	static const struct virtq_hooks hooks = { .fail = on_fail, .interrupt = on_irq };
	uint64_t avail = base + 16ull * qsize, used = (avail + 6 + 2ull * qsize + 3) & ~3ull;
	char why[160];

	if (virtq_init(q, m, index, qsize, base, avail, used, features, &hooks, why, sizeof(why)))
		abort();
}

static void fill(int fd)
{
	static uint8_t junk[65536];

	while (write(fd, junk, sizeof(junk)) > 0)
		;
}

static uint64_t drain(int fd)
{
	static uint8_t sink[65536];
	uint64_t n = 0;
	ssize_t r;

	while ((r = read(fd, sink, sizeof(sink))) > 0)
		n += (uint64_t)r;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_console_params p = { .in_done = on_done, .out_failed = on_failed };
	uint64_t features = 1ull << VIRTIO_F_VERSION_1, out_full = 0, got;
	int in[2], out[2];
	struct guest_mem mem;
	struct virtq q[2];
	struct virtio_console *c;
	unsigned mode;
	size_t n;
	uint16_t qsize;

	if (size < 4)
		return 0;
	qsize = (uint16_t)(1u << (data[0] % 8));
	mode = data[1];
	n = data[2] | (size_t)data[3] << 8;
	data += 4;
	size -= 4;
	n = n < size ? n : size;
	if (mode & 1)
		features |= 1ull << VIRTIO_RING_F_EVENT_IDX;
	if (mode & 2)
		features |= 1ull << VIRTIO_RING_F_INDIRECT_DESC;
	if (pipe2(in, O_NONBLOCK) || pipe2(out, O_NONBLOCK))
		abort();
	if (n && write(in[1], data, n) != (ssize_t)n)
		abort();
	data += n;
	size -= n;
	if (mode & 8) {
		close(in[1]);
		in[1] = -1;
	}
	if (mode & 32) {
		fill(out[1]);
		out_full = drain(out[0]);
		fill(out[1]);
	}
	if (mode & 16) {
		close(out[0]);
		out[0] = -1;
	}
	p.in_fd = mode & 64 ? -1 : in[0];
	p.out_fd = out[1];

	mem.size = MEM_SIZE;
	mem.host = calloc(1, MEM_SIZE);
	memcpy(mem.host, data, size < MEM_SIZE ? size : MEM_SIZE);
	failures[0] = failures[1] = 0;
	done_calls = failed_calls = 0;
	init_queue(&q[0], &mem, VIRTIO_CONSOLE_RXQ, qsize, 0, features);
	init_queue(&q[1], &mem, VIRTIO_CONSOLE_TXQ, qsize, TX_RINGS, features);
	c = virtio_console_create(&p);
	if (!c)
		abort();
	for (unsigned r = 0; r < ROUNDS; r++) {
		unsigned first = mode & 4 ? 1 : 0;
		bool more = virtio_console_ops.queue_notify(c, &q[first]);

		more |= virtio_console_ops.queue_notify(c, &q[!first]);
		if (out[0] >= 0)
			drain(out[0]);
		if (!more && r >= 1)
			break;
	}
	virtio_console_ops.quiesce(c, &q[VIRTIO_CONSOLE_TXQ]);
	{
		const struct virtio_console_stats *s = virtio_console_stats(c);

		/* Whatever the guest did: no byte read that was not there, end said at most once. */
		if (s->in_bytes > n || done_calls > 1 || failed_calls > 1)
			abort();
		got = out[0] >= 0 ? drain(out[0]) : 0;
		(void)got;
		(void)out_full;
	}
	virtio_console_destroy(c);
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	free(mem.host);
	return 0;
}
