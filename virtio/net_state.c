/*
 * virtio-net's snapshot record (net.h).  Version 1: the MAC (6 bytes),
 * u16 MTU, u16 link status, bool offloads offered.  All of it is what the
 * device shows the guest (its config space and feature bits), read
 * through the same ops the transport uses, so nothing here reaches into
 * the device's RX or TX state.
 */
#include "net.h"

#include <endian.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <linux/virtio_net.h>

#include "state.h"

struct net_rec {
	uint8_t mac[6];
	uint16_t mtu, status;
	bool offload;
};

static void read_rec(struct virtio_net *n, struct net_rec *r)
{
	struct virtio_net_config c;

	virtio_net_ops.config_read(n, 0, (uint8_t *)&c, sizeof(c));
	memcpy(r->mac, c.mac, sizeof(r->mac));
	r->mtu = le16toh(c.mtu);
	r->status = le16toh(c.status);
	r->offload = virtio_net_ops.features(n) & (1ull << VIRTIO_NET_F_CSUM);
}

int virtio_net_save(struct virtio_net *n, struct state_out *o)
{
	struct net_rec r;

	read_rec(n, &r);
	state_put_bytes(o, r.mac, sizeof(r.mac));
	state_put_u16(o, r.mtu);
	state_put_u16(o, r.status);
	state_put_bool(o, r.offload);
	return o->failed ? -1 : 0;
}

static void mac_str(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

int virtio_net_load(struct virtio_net *n, struct state_in *in, char *err, size_t errlen)
{
	struct net_rec s, h;
	char a[18], b[18];

	state_get_bytes(in, s.mac, sizeof(s.mac));
	state_get_u16(in, &s.mtu);
	state_get_u16(in, &s.status);
	state_get_bool(in, &s.offload);
	if (in->why) {
		snprintf(err, errlen, "%s", in->why);
		return -1;
	}
	read_rec(n, &h);
	if (memcmp(s.mac, h.mac, sizeof(s.mac))) {
		mac_str(s.mac, a, sizeof(a));
		mac_str(h.mac, b, sizeof(b));
		snprintf(err, errlen, "MAC differs (snapshot %s, here %s)", a, b);
	} else if (s.mtu != h.mtu) {
		snprintf(err, errlen, "MTU differs (snapshot %u, here %u)", s.mtu, h.mtu);
	} else if (s.status != h.status) {
		snprintf(err, errlen, "link status differs (snapshot 0x%x, here 0x%x)", s.status, h.status);
	} else if (s.offload != h.offload) {
		snprintf(err, errlen, "the snapshot's tap %s offloads and this one %s (the guest may "
			 "rely on them: use a tap that matches)", s.offload ? "took" : "did not take",
			 h.offload ? "does" : "does not");
	} else {
		return 0;
	}
	return -1;
}
