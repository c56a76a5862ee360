/*
 * libFuzzer harness for the device-state loaders (a snapshot file is
 * hostile): the UART's, the virtio-mmio transport's with virtio-blk and
 * with virtio-net behind it, and the named-instance framing the modules
 * wrap them in (vmm/device_state.c).
 *
 * Input: [0] which loader (0 UART, 1 blk + transport, 2 net + transport,
 * 3 two UARTs named "console" and "serial1" in a module record);
 * [1..2] record length L (little-endian); L bytes of record; the rest is
 * guest memory from address 0 (MEM_SIZE bytes, a heap block of exactly
 * that size, so ASan flags any access outside it).
 *
 * A record a loader takes must save back to the same bytes (abort
 * otherwise), and the device must then survive being driven: queues
 * served, a save (which quiesces), registers read, a reset.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/virtio_mmio.h>

#include "blk.h"
#include "device_state.h"
#include "net.h"
#include "state.h"
#include "uart.h"
#include "virtio.h"

#define MEM_SIZE (64u << 10)
#define IMAGE_SIZE (64u << 10)
#define ROUNDS 4

static struct virtio_blk *blk;
static int tap[2];

static void on_irq(void *ctx) { (void)ctx; }
static void on_kick(void *ctx, unsigned q) { (void)ctx, (void)q; }
static const struct virtio_host host = { .interrupt = on_irq, .kick = on_kick };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[] = "/tmp/fuzz-devstate-XXXXXX", err[256];
	int fd = mkstemp(path);

	(void)argc, (void)argv;
	if (fd < 0 || ftruncate(fd, IMAGE_SIZE) < 0)
		abort();
	close(fd);
	blk = virtio_blk_open(path, false, err, sizeof(err));
	unlink(path);
	if (!blk || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, tap) < 0)
		abort();
	return 0;
}

static void same_or_abort(const struct state_out *o, const uint8_t *rec, size_t len)
{
	if (o->failed || o->len != len || memcmp(o->buf, rec, len))
		abort();
}

static void fuzz_uart(const uint8_t *rec, size_t len)
{
	struct uart *u = uart_create(NULL);
	struct state_in in = state_in_make(rec, len);
	struct state_out o = { 0 };
	char err[256];

	if (uart_load(u, &in, err, sizeof(err)) == 0 && state_in_done(&in)) {
		uart_save(u, &o);
		same_or_abort(&o, rec, len);
		for (uint64_t r = 0; r < 8; r++) {
			uint8_t v;

			uart_bus_ops.read(u, r, &v, 1);
		}
		uart_receive(u, (const uint8_t *)"x", 1);
	}
	state_out_free(&o);
	uart_destroy(u);
}

/* Drives a loaded transport the way a running guest and monitor would. */
static void drive(struct virtio_mmio *t, unsigned nq)
{
	struct state_out o = { 0 };
	uint32_t zero = 0, v;

	for (unsigned r = 0; r < ROUNDS; r++) {
		bool more = false;

		for (unsigned q = 0; q < nq; q++)
			more |= virtio_mmio_notify(t, q);
		if (!more)
			break;
	}
	virtio_mmio_save(t, &o);
	state_out_free(&o);
	for (uint64_t off = 0; off < VIRTIO_MMIO_CONFIG; off += 4)
		virtio_mmio_bus_ops.read(t, off, (uint8_t *)&v, 4);
	virtio_mmio_bus_ops.write(t, VIRTIO_MMIO_STATUS, (const uint8_t *)&zero, 4);
}

static void fuzz_virtio(bool net_dev, const uint8_t *rec, size_t len, const struct guest_mem *m)
{
	struct virtio_net_params p = { .mac = { 2, 0, 0, 0, 0, 1 }, .mtu = 1500, .offload = true };
	struct virtio_net *n = net_dev ? virtio_net_create(&p, tap[0]) : NULL;
	const struct virtio_dev_ops *ops = net_dev ? &virtio_net_ops : &virtio_blk_ops;
	void *dev = net_dev ? (void *)n : (void *)blk;
	struct virtio_mmio *t = virtio_mmio_create(m, "fuzz", ops, dev, &host);
	struct state_in in = state_in_make(rec, len);
	struct state_out o = { 0 };
	char err[256];
	int r;

	if (!t || (net_dev && !n))
		abort();
	r = net_dev ? virtio_net_load(n, &in, err, sizeof(err)) : virtio_blk_load(blk, &in, err, sizeof(err));
	if (r == 0 && virtio_mmio_load(t, &in, err, sizeof(err)) == 0 && state_in_done(&in)) {
		if (net_dev)
			virtio_net_save(n, &o);
		else
			virtio_blk_save(blk, &o);
		virtio_mmio_save(t, &o);
		same_or_abort(&o, rec, len);
		if (net_dev)
			send(tap[1], "\0\0\0\0\0\0\0\0\0\0\0\0frame", 17, MSG_DONTWAIT);
		drive(t, ops->num_queues);
	}
	state_out_free(&o);
	virtio_mmio_destroy(t);
	if (n)
		virtio_net_destroy(n);
	while (recv(tap[0], err, sizeof(err), MSG_DONTWAIT) >= 0 ||
	       recv(tap[1], err, sizeof(err), MSG_DONTWAIT) >= 0)
		;
}

static int uart_save_obj(void *obj, struct state_out *o) { return uart_save(obj, o); }
static int uart_load_obj(void *obj, struct state_in *in, char *err, size_t errlen)
{
	return uart_load(obj, in, err, errlen);
}

static void fuzz_instances(const uint8_t *rec, size_t len)
{
	static const struct device_instance_ops ops = { uart_save_obj, uart_load_obj, NULL };
	struct device_instance v[2] = { { "console", uart_create(NULL), NULL },
					{ "serial1", uart_create(NULL), NULL } };
	struct state_in in = state_in_make(rec, len);
	struct state_out o = { 0 };
	char err[512];

	if (device_state_load(v, 2, &ops, &in, err, sizeof(err)) == 0) {
		/* Any order loads; only the order saved round-trips, so just save. */
		device_state_save(v, 2, &ops, &o);
		if (o.failed)
			abort();
	}
	state_out_free(&o);
	uart_destroy(v[0].obj);
	uart_destroy(v[1].obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem m;
	size_t len;
	unsigned which;

	if (size < 3)
		return 0;
	which = data[0] % 4;
	len = data[1] | (size_t)data[2] << 8;
	data += 3;
	size -= 3;
	if (len > size)
		len = size;
	m.size = MEM_SIZE;
	m.host = calloc(1, MEM_SIZE);
	if (!m.host)
		abort();
	memcpy(m.host, data + len, size - len < MEM_SIZE ? size - len : MEM_SIZE);
	switch (which) {
	case 0: fuzz_uart(data, len); break;
	case 1: fuzz_virtio(false, data, len, &m); break;
	case 2: fuzz_virtio(true, data, len, &m); break;
	case 3: fuzz_instances(data, len); break;
	}
	free(m.host);
	return 0;
}
