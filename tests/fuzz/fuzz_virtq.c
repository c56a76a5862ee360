/*
 * libFuzzer harness for the split-virtqueue parser and the virtio-blk
 * request path behind it.
 *
 * Input: byte 0 picks the queue size (1 << (b % 9)), byte 1 the mode
 * (bit 0 INDIRECT_DESC, bit 1 EVENT_IDX, bit 2 serve through virtio-blk,
 * bit 3 the read-only drive); the rest is copied to guest address 0.
 * Rings sit where Linux puts them: descriptors at 0, the driver ring right
 * after, the device ring at the next 4-byte boundary.
 *
 * Guest memory is a heap block of exactly MEM_SIZE bytes, so ASan flags any
 * access outside it; the drives are images on tmpfs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_ring.h>

#include "blk.h"
#include "queue.h"

#define MEM_SIZE (64u << 10)
#define IMAGE_SECTORS 128

static struct virtio_blk *drive[2]; /* read-write, read-only */
static int failures;

static void on_fail(void *ctx, struct virtq *q, const char *why)
{
	(void)ctx, (void)why;
	/* The queue must report a violation once, then refuse to work. */
	if (!q->broken || failures++)
		abort();
}

static void on_irq(void *ctx, struct virtq *q)
{
	(void)ctx, (void)q;
}

static struct virtio_blk *open_image(bool readonly)
{
	char path[] = "/dev/shm/flint-fuzz-XXXXXX", err[256];
	struct virtio_blk *b;
	int fd = mkstemp(path);

	if (fd < 0 || ftruncate(fd, IMAGE_SECTORS * 512) < 0)
		abort();
	close(fd);
	b = virtio_blk_open(path, readonly, err, sizeof(err));
	unlink(path);
	if (!b) {
		fprintf(stderr, "fuzz_virtq: %s\n", err);
		abort();
	}
	return b;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	drive[0] = open_image(false);
	drive[1] = open_image(true);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct virtq_hooks hooks = { .fail = on_fail, .interrupt = on_irq };
	struct guest_mem mem;
	struct virtq q;
	uint16_t qsize;
	uint64_t avail, used, features = 0;
	uint8_t mode;
	char why[160];

	if (size < 2)
		return 0;
	qsize = (uint16_t)(1u << (data[0] % 9));
	mode = data[1];
	data += 2;
	size -= 2;
	if (mode & 1)
		features |= 1ull << VIRTIO_RING_F_INDIRECT_DESC;
	if (mode & 2)
		features |= 1ull << VIRTIO_RING_F_EVENT_IDX;

	mem.size = MEM_SIZE;
	mem.host = calloc(1, MEM_SIZE);
	memcpy(mem.host, data, size < MEM_SIZE ? size : MEM_SIZE);
	avail = 16ull * qsize;
	used = (avail + 6 + 2ull * qsize + 3) & ~3ull;
	failures = 0;
	if (virtq_init(&q, &mem, 0, qsize, 0, avail, used, features, &hooks, why, sizeof(why)))
		abort(); /* the layout above is always valid */

	if (mode & 4) {
		struct virtio_blk *b = drive[(mode >> 3) & 1];
		int calls = 0;

		/* Each call is bounded; the whole ring takes a few at most. */
		while (virtio_blk_ops.queue_notify(b, &q))
			if (++calls > 2 * VIRTQ_SIZE_MAX)
				abort();
		virtio_blk_ops.reset(b); /* nothing of this input survives into the next */
	} else {
		struct virtq_chain *c = malloc(sizeof(*c));
		int r;

		/* Bounded: each success consumes one of at most qsize pending entries. */
		while ((r = virtq_pop(&q, c)) == 1) {
			uint8_t sink[64];
			uint64_t total = 0;

			for (unsigned i = 0; i < c->n; i++) {
				if (c->seg[i].p < mem.host ||
				    c->seg[i].p + c->seg[i].len > mem.host + MEM_SIZE)
					abort();
				total += c->seg[i].len;
			}
			if (total != c->read_bytes + c->write_bytes)
				abort();
			virtq_chain_read(c, 0, sink, sizeof(sink));
			virtq_chain_write(c, c->write_bytes > 8 ? c->write_bytes - 8 : 0, sink, 8);
			virtq_push(&q, c->head, c->write_bytes);
		}
		virtq_notify_driver(&q);
		virtq_enable_notify(&q);
		if (r < 0 && !q.broken)
			abort();
		free(c);
	}
	free(mem.host);
	return 0;
}
