/*
 * Writes well-formed inputs for fuzz_devstate (format described there)
 * into the directory given: records saved by the real devices, so the
 * fuzzer starts from states every check passes (a UART with bytes
 * waiting, a running blk drive with a request posted, a running net
 * device with receive buffers, two UARTs in one module record).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "blk.h"
#include "device_state.h"
#include "net.h"
#include "state.h"
#include "uart.h"
#include "virtio.h"

#define MEM_SIZE (64u << 10)   /* fuzz_devstate's */
#define IMAGE_SIZE (64u << 10)
#define QN 8

static const char *dir;
static uint8_t mem_buf[MEM_SIZE];
static struct guest_mem mem = { mem_buf, MEM_SIZE };

static void seed(const char *name, unsigned which, const struct state_out *rec, bool with_mem)
{
	char path[512];
	uint8_t hdr[3] = { (uint8_t)which, (uint8_t)rec->len, (uint8_t)(rec->len >> 8) };
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || rec->failed || fwrite(hdr, 1, 3, f) != 3 || fwrite(rec->buf, 1, rec->len, f) != rec->len ||
	    (with_mem && fwrite(mem_buf, 1, MEM_SIZE, f) != MEM_SIZE) || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void wr(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	virtio_mmio_bus_ops.write(t, off, (const uint8_t *)&v, 4);
}

/* Rings for queue q at 0x1000 + 0x3000 q: descriptors, driver ring +0x1000, device ring +0x2000. */
static uint64_t ring(unsigned q) { return 0x1000 + 0x3000ull * q; }

static void bring_up(struct virtio_mmio *t, unsigned nq, uint64_t features)
{
	wr(t, VIRTIO_MMIO_STATUS, 1);
	wr(t, VIRTIO_MMIO_STATUS, 3);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	wr(t, VIRTIO_MMIO_STATUS, 3 | VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned q = 0; q < nq; q++) {
		wr(t, VIRTIO_MMIO_QUEUE_SEL, q);
		wr(t, VIRTIO_MMIO_QUEUE_NUM, QN);
		wr(t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)ring(q));
		wr(t, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)ring(q) + 0x1000);
		wr(t, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)ring(q) + 0x2000);
		wr(t, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	wr(t, VIRTIO_MMIO_STATUS, 3 | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

/* Descriptor i of queue q, and (if head) the next driver ring slot naming it. */
static void desc(unsigned q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, bool head)
{
	struct vring_desc d = { addr, len, flags, (uint16_t)(i + 1) };
	struct vring_avail *a = (struct vring_avail *)(mem_buf + ring(q) + 0x1000);

	memcpy(mem_buf + ring(q) + 16 * i, &d, sizeof(d));
	if (head) {
		a->ring[a->idx % QN] = (uint16_t)i;
		a->idx++;
	}
}

static void uart_seed(void)
{
	struct uart *u = uart_create(NULL);
	struct state_out o = { 0 };
	uint8_t v = 0x07;

	uart_bus_ops.write(u, 2, &v, 1); /* FIFOs on */
	v = 0x05;
	uart_bus_ops.write(u, 1, &v, 1); /* IER */
	uart_receive(u, (const uint8_t *)"hi", 2);
	uart_save(u, &o);
	seed("uart", 0, &o, false);
	state_out_free(&o);
	uart_destroy(u);
}

static void blk_seed(void)
{
	char path[] = "/tmp/devstate-seed-XXXXXX", err[256];
	int fd = mkstemp(path);
	struct virtio_blk *b;
	struct virtio_mmio *t;
	struct state_out o = { 0 };
	struct virtio_blk_outhdr h = { VIRTIO_BLK_T_IN, 0, 1 };

	if (fd < 0 || ftruncate(fd, IMAGE_SIZE) < 0)
		exit(1);
	close(fd);
	b = virtio_blk_open(path, false, err, sizeof(err));
	unlink(path);
	if (!b)
		exit(1);
	memset(mem_buf, 0, MEM_SIZE);
	t = virtio_mmio_create(&mem, "seed", &virtio_blk_ops, b, NULL);
	bring_up(t, 1, 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_RING_F_EVENT_IDX);
	/* A read posted and not yet served: the load's kick serves it. */
	memcpy(mem_buf + 0x8000, &h, sizeof(h));
	desc(0, 0, 0x8000, sizeof(h), VRING_DESC_F_NEXT, true);
	desc(0, 1, 0x9000, 1024, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, false);
	desc(0, 2, 0x8800, 1, VRING_DESC_F_WRITE, false);
	virtio_blk_save(b, &o);
	virtio_mmio_save(t, &o);
	seed("blk", 1, &o, true);
	state_out_free(&o);
	virtio_mmio_destroy(t);
	virtio_blk_close(b);
}

static void net_seed(void)
{
	struct virtio_net_params p = { .mac = { 2, 0, 0, 0, 0, 1 }, .mtu = 1500, .offload = true };
	struct state_out o = { 0 };
	struct virtio_net *n;
	struct virtio_mmio *t;
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sp) < 0)
		exit(1);
	n = virtio_net_create(&p, sp[0]);
	memset(mem_buf, 0, MEM_SIZE);
	t = virtio_mmio_create(&mem, "seed", &virtio_net_ops, n, NULL);
	bring_up(t, 2, 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_RING_F_INDIRECT_DESC);
	desc(0, 0, 0x9000, 2048, VRING_DESC_F_WRITE, true);
	desc(0, 1, 0x9800, 2048, VRING_DESC_F_WRITE, true);
	desc(1, 0, 0xa000, 60, 0, true);
	virtio_net_save(n, &o);
	virtio_mmio_save(t, &o);
	seed("net", 2, &o, true);
	state_out_free(&o);
	virtio_mmio_destroy(t);
	virtio_net_destroy(n);
	close(sp[0]);
	close(sp[1]);
}

static int uart_save_obj(void *obj, struct state_out *o) { return uart_save(obj, o); }

static void instances_seed(void)
{
	static const struct device_instance_ops ops = { uart_save_obj, NULL, NULL };
	struct device_instance v[2] = { { "serial1", uart_create(NULL), NULL },
					{ "console", uart_create(NULL), NULL } };
	struct state_out o = { 0 };

	uart_receive(v[1].obj, (const uint8_t *)"x", 1);
	device_state_save(v, 2, &ops, &o);
	seed("instances", 3, &o, false);
	state_out_free(&o);
	uart_destroy(v[0].obj);
	uart_destroy(v[1].obj);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make_devstate_seeds DIR\n");
		return 2;
	}
	dir = argv[1];
	uart_seed();
	blk_seed();
	net_seed();
	instances_seed();
	return 0;
}
