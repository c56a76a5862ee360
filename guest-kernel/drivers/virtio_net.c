/*
 * virtio-net driver: queue 0 receives, queue 1 transmits (§5.1.2), each
 * buffer one descriptor holding the 12-byte header and then frame bytes
 * (VERSION_1 lets header and data share a descriptor, §2.7.4.3).
 *
 * Copies both ways.  On receive, a buffer goes back to the device as soon
 * as the stack has copied the frame out, so the ring never runs dry while
 * the stack holds packets (lwIP keeps TCP's out-of-order segments for
 * seconds).  On transmit, lwIP's pbuf chains become one contiguous buffer:
 * one descriptor per frame, a fixed number in flight.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flint.h>

#include "drivers/virtio_mmio.h"
#include "drivers/virtio_net.h"
#include "drivers/virtq.h"

#define QUEUE_WANT   256
#define BUF_BYTES    2048     /* header + a 1514-byte frame, with room to spare */
#define HDR          sizeof(struct virtio_net_hdr)
#define WANTED (1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS | \
		1ull << VIRTIO_NET_F_MTU | 1ull << VIRTIO_NET_F_MRG_RXBUF)

_Static_assert(HDR + NET_ETH_HLEN + NET_MAX_MTU <= BUF_BYTES, "a full frame fits one buffer");
_Static_assert(NET_RX_MAX_PARTS * BUF_BYTES <= 0xffff, "a received frame fits a 16-bit pbuf length");

struct net_dev {
	struct virtio_dev *vdev;
	struct virtq *rxq, *txq;
	uint8_t mac[6];
	unsigned mtu;
	bool mrg_rxbuf, link_up;
	uint8_t *rx_bufs, *tx_bufs;     /* queue size * BUF_BYTES each */
	unsigned rx_size, tx_size;
	uint16_t *tx_free;              /* stack of free transmit slots */
	unsigned tx_nfree;
	int tx_cur;                     /* the slot net_tx_buf() handed out, or -1 */
	struct net_frame pending;       /* a frame whose later buffers have not arrived yet */
	uint16_t pending_want;
	struct net_stats stats;
};

static struct net_dev devs[VIRTIO_MAX_DEVICES];

/* Tokens must be non-NULL: buffer i travels as i + 1. */
static void *token(unsigned i) { return (void *)(uintptr_t)(i + 1); }
static unsigned untoken(void *t) { return (unsigned)((uintptr_t)t - 1); }

static void rx_post(struct net_dev *n, unsigned i)
{
	struct virtq_seg s = { n->rx_bufs + (size_t)i * BUF_BYTES, BUF_BYTES, true };

	/* Never fails: each buffer is in the ring at most once and the ring has a slot per buffer. */
	if (virtq_add(n->rxq, &s, 1, token(i)) < 0)
		panic("virtio-net: receive buffer %u has no descriptor to go back into", i);
}

/*
 * How many receive buffers to post: all of them, unless the test-only
 * virtio_net.rx_buffers=N says fewer.  N=0 makes a guest that never
 * receives, so the host's handling of a guest that posts no buffers can be
 * tested (flooded, the monitor must stay idle); a small N starves the ring.
 * The ones posted keep circulating: net_rx_end() gives back what it got.
 */
static unsigned rx_posted(unsigned ring)
{
	const char *p = cmdline_param("virtio_net.rx_buffers");
	unsigned long v;
	char *end;

	if (!p)
		return ring;
	v = strtoul(p, &end, 10);
	if (end == p || *end || v >= ring) {
		printf("virtio-net: ignoring virtio_net.rx_buffers=%s: want 0 to %u\n", p, ring - 1);
		return ring;
	}
	printf("virtio-net: posting %lu of %u receive buffers (virtio_net.rx_buffers, for tests)\n",
	       v, ring);
	return (unsigned)v;
}

static void read_config(struct net_dev *n, unsigned index)
{
	struct virtio_dev *d = n->vdev;

	if (virtio_has(d, VIRTIO_NET_F_MAC)) {
		for (unsigned i = 0; i < 6; i++)
			n->mac[i] = virtio_config_read8(d, VIRTIO_NET_CFG_MAC + i);
	} else {
		/* §5.1.5: without MAC the driver picks one; locally administered, unicast. */
		static const uint8_t base[6] = { 0x02, 0x46, 0x4c, 0x4e, 0x54, 0x00 };

		memcpy(n->mac, base, 6);
		n->mac[5] = (uint8_t)index;
	}
	n->mtu = NET_DEFAULT_MTU;
	if (virtio_has(d, VIRTIO_NET_F_MTU)) {
		unsigned m = virtio_config_read16(d, VIRTIO_NET_CFG_MTU);

		if (m < 68)
			printf("virtio-net: ignoring the device's MTU %u (IPv4 needs 68)\n", m);
		else if (m < n->mtu)
			n->mtu = m;
	}
	n->mrg_rxbuf = virtio_has(d, VIRTIO_NET_F_MRG_RXBUF);
	n->link_up = true;
	d->config_changed = true;    /* net_link_up() reads the status */
}

struct net_dev *net_open(unsigned index)
{
	struct virtio_dev *d = virtio_find(VIRTIO_ID_NET, index);
	struct net_dev *n;

	if (!d)
		return NULL;
	n = &devs[index];
	if (n->vdev == d)
		return n;
	memset(n, 0, sizeof(*n));
	n->tx_cur = -1;
	if (!virtio_negotiate(d, WANTED))
		return NULL;
	n->rxq = virtio_queue_setup(d, VIRTIO_NET_RXQ, QUEUE_WANT);
	n->txq = n->rxq ? virtio_queue_setup(d, VIRTIO_NET_TXQ, QUEUE_WANT) : NULL;
	if (!n->txq) {
		virtio_fail(d);
		return NULL;
	}
	n->rx_size = virtq_size(n->rxq);
	n->tx_size = virtq_size(n->txq);
	n->rx_bufs = malloc((size_t)n->rx_size * BUF_BYTES);
	n->tx_bufs = calloc(n->tx_size, BUF_BYTES);   /* headers stay zero: no offloads */
	n->tx_free = malloc(sizeof(*n->tx_free) * n->tx_size);
	if (!n->rx_bufs || !n->tx_bufs || !n->tx_free) {
		printf("virtio-net: no memory for %u + %u buffers of %u bytes\n", n->rx_size,
		       n->tx_size, BUF_BYTES);
		virtio_fail(d);
		return NULL;
	}
	for (unsigned i = 0; i < n->tx_size; i++)
		n->tx_free[i] = (uint16_t)(n->tx_size - 1 - i);
	n->tx_nfree = n->tx_size;
	n->vdev = d;
	read_config(n, index);
	/* §5.1.6.3: fill the receive queue before DRIVER_OK, so no frame finds it empty. */
	for (unsigned i = 0; i < rx_posted(n->rx_size); i++)
		rx_post(n, i);
	if (!virtio_driver_ok(d)) {
		n->vdev = NULL;
		return NULL;
	}
	virtq_kick(n->rxq);
	return n;
}

void net_mac(const struct net_dev *n, uint8_t mac[6]) { memcpy(mac, n->mac, 6); }
unsigned net_mtu(const struct net_dev *n) { return n->mtu; }
const struct net_stats *net_stats(const struct net_dev *n) { return &n->stats; }

bool net_link_up(struct net_dev *n)
{
	struct virtio_dev *d = n->vdev;

	if (d->config_changed) {
		d->config_changed = false;
		if (virtio_has(d, VIRTIO_NET_F_STATUS))
			n->link_up = virtio_config_read16(d, VIRTIO_NET_CFG_STATUS) & VIRTIO_NET_S_LINK_UP;
	}
	return n->link_up;
}

/* Gives back what a frame holds so far: the device described it impossibly. */
static void rx_drop(struct net_dev *n, struct net_frame *f)
{
	n->stats.rx_errors++;
	net_rx_end(n, f);
}

bool net_rx_begin(struct net_dev *n, struct net_frame *f)
{
	struct net_frame *p = &n->pending;
	uint32_t len;
	void *t;

	while ((t = virtq_pop(n->rxq, &len))) {
		unsigned i = untoken(t);
		const uint8_t *buf = n->rx_bufs + (size_t)i * BUF_BYTES;
		uint32_t off = 0;

		if (i >= n->rx_size || len > BUF_BYTES)
			panic("virtio-net: the device returned receive buffer %u with %u bytes "
			      "(%u buffers of %u bytes)", i, len, n->rx_size, BUF_BYTES);
		if (p->nparts == 0) {
			const struct virtio_net_hdr *h = (const void *)buf;

			if (len < HDR) {
				p->buf[0] = (uint16_t)i;
				p->nparts = 1;
				rx_drop(n, p);
				continue;
			}
			/* Without MRG_RXBUF num_buffers is not ours to read (§5.1.6.4). */
			p->total = 0;
			n->pending_want = n->mrg_rxbuf ? h->num_buffers : 1;
			off = HDR;
			if (n->pending_want == 0 || n->pending_want > NET_RX_MAX_PARTS) {
				p->buf[0] = (uint16_t)i;
				p->nparts = 1;
				/* Its other buffers then look like frames of their own: the
				 * stack rejects what they hold.  Only a broken device gets here. */
				rx_drop(n, p);
				continue;
			}
		}
		p->part[p->nparts] = buf + off;
		p->len[p->nparts] = len - off;
		p->buf[p->nparts] = (uint16_t)i;
		p->nparts++;
		p->total += len - off;
		if (p->nparts < n->pending_want)
			continue;
		*f = *p;
		p->nparts = 0;
		n->stats.rx_packets++;
		n->stats.rx_bytes += f->total;
		return true;
	}
	return false;
}

void net_rx_end(struct net_dev *n, struct net_frame *f)
{
	for (unsigned k = 0; k < f->nparts; k++)
		rx_post(n, f->buf[k]);
	f->nparts = 0;
	virtq_kick(n->rxq);
}

/* Takes back the transmit slots the device has finished with. */
static void tx_reclaim(struct net_dev *n)
{
	void *t;

	while ((t = virtq_pop(n->txq, NULL))) {
		unsigned i = untoken(t);

		if (i >= n->tx_size || n->tx_nfree >= n->tx_size)
			panic("virtio-net: the device returned transmit slot %u twice or out of range", i);
		n->tx_free[n->tx_nfree++] = (uint16_t)i;
	}
}

void *net_tx_buf(struct net_dev *n, size_t len)
{
	if (len > NET_ETH_HLEN + n->mtu)
		return NULL;
	if (n->tx_cur < 0) {
		tx_reclaim(n);
		if (!n->tx_nfree) {
			n->stats.tx_ring_full++;
			while (!n->tx_nfree) {
				virtq_wait(n->txq);    /* the device must drain: 30 s then panic */
				tx_reclaim(n);
			}
		}
		n->tx_cur = n->tx_free[--n->tx_nfree];
	}
	return n->tx_bufs + (size_t)n->tx_cur * BUF_BYTES + HDR;
}

void net_tx_commit(struct net_dev *n, size_t len)
{
	unsigned i = (unsigned)n->tx_cur;
	struct virtq_seg s = { n->tx_bufs + (size_t)i * BUF_BYTES, (uint32_t)(HDR + len), false };

	if (n->tx_cur < 0 || len > NET_ETH_HLEN + n->mtu)
		panic("virtio-net: net_tx_commit(%zu bytes) without a matching net_tx_buf()", len);
	n->tx_cur = -1;
	/* One descriptor per slot and as many slots as descriptors: there is room. */
	if (virtq_add(n->txq, &s, 1, token(i)) < 0)
		panic("virtio-net: transmit slot %u has no descriptor", i);
	virtq_kick(n->txq);
	n->stats.tx_packets++;
	n->stats.tx_bytes += len;
}

bool net_wait(struct net_dev *n, uint64_t deadline)
{
	bool got;

	tx_reclaim(n);
	n->stats.waits++;
	got = virtq_wait_until(n->rxq, deadline);
	if (got)
		n->stats.wakeups++;
	return got;
}
