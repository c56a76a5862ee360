/*
 * virtio-net snapshots (virtio/net_state.c and the transport's record): a
 * device restored onto another "tap" (a SOCK_DGRAM socketpair) receives
 * into the buffers the guest had posted, tells the new tap the guest's
 * offloads, and transmits; a record from a device the guest would see
 * differently (MAC, MTU, offloads) is refused.  Records are composed as
 * vmm/net.c composes them (vmm/device_state.c).
 */
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
#include "device_state.h"
#include "guarded_mem.h"
#include "net.h"
#include "state.h"
#include "virtio.h"

#define QN 8
#define RING(q) (0x1000u + 0x4000u * (q)) /* desc, then avail +0x1000, used +0x2000 */
#define BUFS 0x100000u
#define BUFLEN 2048u
#define F(bit) (1ull << (bit))
#define FEATURES (F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_MTU) | \
		  F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4))

static struct guest_mem mem;
#include "mmio_regs.h"
static uint16_t posted[2];
static int offload_calls;
static unsigned offload_flags;

static int on_offload(void *ctx, unsigned flags)
{
	(void)ctx;
	offload_calls++;
	offload_flags = flags;
	return 0;
}

struct dev {
	int sp[2]; /* sp[0] the device's tap, sp[1] the wire */
	struct virtio_net *n;
	struct virtio_mmio *t;
};

static void dev_new(struct dev *d, uint8_t mac_last, uint16_t mtu, bool offload)
{
	struct virtio_net_params p = { .mac = { 0x52, 0x54, 0, 0x12, 0x34, mac_last }, .mtu = mtu,
				       .offload = offload, .set_offload = on_offload };

	CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, d->sp) == 0);
	d->n = virtio_net_create(&p, d->sp[0]);
	d->t = virtio_mmio_create(&mem, "net.n0", &virtio_net_ops, d->n, NULL);
	t = d->t;
}

static void dev_free(struct dev *d)
{
	virtio_mmio_destroy(d->t);
	virtio_net_destroy(d->n);
	close(d->sp[0]);
	close(d->sp[1]);
}

static void bring_up(void)
{
	mmio_bring_up(FEATURES, 2, QN, RING(0), RING(1) - RING(0));
}

/* One buffer of len bytes on queue q, descriptor i: writable for RX. */
static void post(unsigned q, uint16_t i, uint32_t len)
{
	struct vring_desc d = { BUFS + 0x10000u * q + BUFLEN * i, len,
				q == VIRTIO_NET_RXQ ? VRING_DESC_F_WRITE : 0, 0 };
	struct vring_avail *a = (struct vring_avail *)(mem.host + RING(q) + 0x1000);

	memcpy(mem.host + RING(q) + 16 * i, &d, sizeof(d));
	a->ring[posted[q] % QN] = i;
	a->idx = ++posted[q];
}

static struct vring_used *used(unsigned q)
{
	return (struct vring_used *)(mem.host + RING(q) + 0x2000);
}

/* A frame on the wire: a zero virtio-net header, then `body`. */
static void wire_send(int fd, const char *body)
{
	uint8_t f[64] = { 0 };
	size_t n = strlen(body);

	memcpy(f + VIRTIO_NET_HDR_LEN, body, n);
	CHECK(send(fd, f, VIRTIO_NET_HDR_LEN + n, 0) == (ssize_t)(VIRTIO_NET_HDR_LEN + n));
}

/* The record as vmm/net.c makes it: one named instance, net's record then the transport's. */
static int net_save(void *n, struct state_out *o) { return virtio_net_save(n, o); }
static int net_load(void *n, struct state_in *in, char *err, size_t errlen)
{
	return virtio_net_load(n, in, err, errlen);
}

static const struct device_instance_ops ops = { net_save, net_load, NULL };

static struct state_out record(struct dev *d)
{
	struct device_instance v = { "net.n0", d->n, d->t };
	struct state_out o = { 0 };

	CHECK(device_state_save(&v, 1, &ops, &o) == 0);
	return o;
}

static int load(struct dev *d, const struct state_out *r, char *err, size_t errlen)
{
	struct device_instance v = { "net.n0", d->n, d->t };
	struct state_in in = state_in_make(r->buf, r->len);

	return device_state_load(&v, 1, &ops, &in, err, errlen);
}

TEST(restored_device_receives_and_transmits_on_new_tap)
{
	struct dev a, b;
	struct state_out ra, rb;
	char err[256] = "", got[64];
	const uint8_t *rx1 = NULL;

	mem = guarded_mem_new(2u << 20);
	posted[0] = posted[1] = 0;
	offload_calls = 0;
	dev_new(&a, 0x56, 1500, true);
	bring_up();
	post(VIRTIO_NET_RXQ, 0, BUFLEN);
	post(VIRTIO_NET_RXQ, 1, BUFLEN);
	wire_send(a.sp[1], "one");
	virtio_mmio_notify(a.t, VIRTIO_NET_RXQ);
	CHECK(used(0)->idx == 1 && offload_calls == 1);
	CHECK(offload_flags == (TUN_F_CSUM | TUN_F_TSO4));
	wire_send(a.sp[1], "left in the old tap");
	ra = record(&a);
	dev_free(&a);

	dev_new(&b, 0x56, 1500, true);
	CHECK(load(&b, &ra, err, sizeof(err)) == 0);
	if (err[0])
		fprintf(stderr, "  load: %s\n", err);
	rb = record(&b);
	CHECK(rb.len == ra.len && !memcmp(ra.buf, rb.buf, ra.len));
	/* The second buffer the guest posted before the save takes the next frame. */
	wire_send(b.sp[1], "two");
	virtio_mmio_notify(b.t, VIRTIO_NET_RXQ);
	CHECK(used(0)->idx == 2 && used(0)->ring[1].id == 1);
	rx1 = mem.host + BUFS + BUFLEN;
	CHECK(!memcmp(rx1 + VIRTIO_NET_HDR_LEN, "two", 3));
	/* The new tap was told what the guest takes. */
	CHECK(offload_calls == 2 && offload_flags == (TUN_F_CSUM | TUN_F_TSO4));
	/* TX still works. */
	memset(mem.host + BUFS + 0x10000, 0, VIRTIO_NET_HDR_LEN);
	memcpy(mem.host + BUFS + 0x10000 + VIRTIO_NET_HDR_LEN, "out", 3);
	post(VIRTIO_NET_TXQ, 0, VIRTIO_NET_HDR_LEN + 3);
	virtio_mmio_notify(b.t, VIRTIO_NET_TXQ);
	CHECK(used(1)->idx == 1);
	CHECK(recv(b.sp[1], got, sizeof(got), 0) == VIRTIO_NET_HDR_LEN + 3 &&
	      !memcmp(got + VIRTIO_NET_HDR_LEN, "out", 3));
	CHECK(guarded_mem_intact(&mem));
	state_out_free(&ra);
	state_out_free(&rb);
	dev_free(&b);
	free(mem.host);
}

TEST(record_from_another_device_refused)
{
	static const struct { uint8_t mac_last; uint16_t mtu; bool offload; const char *why; } bad[] = {
		{ 0x57, 1500, true, "net.n0: MAC differs (snapshot 52:54:00:12:34:56, here 52:54:00:12:34:57)" },
		{ 0x56, 9000, true, "MTU differs (snapshot 1500, here 9000)" },
		{ 0x56, 1500, false, "the snapshot's tap took offloads and this one does not" },
	};
	struct dev a;
	struct state_out r;
	char err[256];

	mem = guarded_mem_new(2u << 20);
	dev_new(&a, 0x56, 1500, true);
	bring_up();
	r = record(&a);
	dev_free(&a);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dev_new(&a, bad[i].mac_last, bad[i].mtu, bad[i].offload);
		err[0] = 0;
		CHECK(load(&a, &r, err, sizeof(err)) < 0);
		CHECK_CONTAINS(err, bad[i].why);
		CHECK(rd(VIRTIO_MMIO_STATUS) == 0);
		dev_free(&a);
	}
	dev_new(&a, 0x56, 1500, true);
	for (size_t len = 0; len < r.len; len++) {
		struct state_out cut = { 0 };

		state_put_bytes(&cut, r.buf, len);
		CHECK(load(&a, &cut, err, sizeof(err)) < 0);
		CHECK_CONTAINS(err, "truncated");
		state_out_free(&cut);
	}
	CHECK(rd(VIRTIO_MMIO_STATUS) == 0);
	dev_free(&a);
	state_out_free(&r);
	free(mem.host);
}

CHECK_MAIN()
