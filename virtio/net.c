/*
 * virtio-net over a tap (virtio 1.2 §5.1).  Frames move between the tap
 * and guest memory without a bounce buffer: RX reads the tap straight into
 * the guest's writable segments, TX writes straight from its readable ones.
 *
 * RX pops buffers BEFORE reading, because a frame read from the tap can
 * only go somewhere that already exists; buffers the read did not use go
 * back to the ring with virtq_unpop.  A read is given one extra host byte
 * after the guest's buffers: if the kernel puts anything there, the frame
 * was longer than the buffers (a tap's readv reports no MSG_TRUNC).
 */
#include "net.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

_Static_assert(sizeof(struct virtio_net_hdr_v1) == VIRTIO_NET_HDR_LEN,
	       "the tap's header is struct virtio_net_hdr_v1");

#define HDR VIRTIO_NET_HDR_LEN
#define QUEUE_SIZE 256
#define VLAN_HLEN 4
/* What the tap can hand us once the guest takes TSO: a 64 KiB IP packet. */
#define RX_GSO_FRAME_MAX (HDR + ETH_HLEN + VLAN_HLEN + 65535)
/* The largest frame (after the header) a tap accepts in one write. */
#define TX_FRAME_MAX 65535
/* readv takes at most UIO_MAXIOV (1024) pieces; one is the overflow byte. */
#define RX_IOV_MAX (1024 - 1)

#define F(bit) (1ull << (bit))

/*
 * RX buffers popped during one handler call and not used yet, in ring
 * order: the ones a frame used leave from the front, the rest go back with
 * virtq_unpop (they are the last chains popped) when the call ends.
 */
struct rx_pool {
	uint16_t n;
	int iovs;
	uint64_t bytes;
	uint16_t head[QUEUE_SIZE];
	uint16_t niov[QUEUE_SIZE];
	uint64_t cap[QUEUE_SIZE];
	struct iovec iov[RX_IOV_MAX + 1];
};

struct virtio_net {
	int fd;
	struct virtio_net_params p;
	struct virtio_net_config cfg; /* little-endian, as the guest reads it */
	struct virtio_net_stats st;   /* rx_* by the RX handler, tx_* by TX */

	/* RX state: only the RX handler and reset (no handler running) touch it. */
	bool offload_set;      /* set_offload done since the last reset */
	unsigned tun_flags;    /* TUN_F_* the guest negotiated to receive */
	bool offload_logged;
	uint8_t overflow;      /* the byte after the guest's buffers */
	struct virtq_chain rx_chain;
	struct rx_pool pool;

	/* TX state. */
	struct virtq_chain tx_chain;
	struct iovec tx_iov[1 + VIRTQ_SIZE_MAX];
};

static bool has(const struct virtq *q, unsigned bit)
{
	return q->features & F(bit);
}

struct virtio_net *virtio_net_create(const struct virtio_net_params *p, int tap_fd)
{
	struct virtio_net *n;
	int fl;

	/* A blocking tap would stall the serving thread inside readv. */
	if (!p || p->mtu < 68 || tap_fd < 0 || (fl = fcntl(tap_fd, F_GETFL)) < 0 ||
	    !(fl & O_NONBLOCK)) {
		errno = EINVAL;
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->fd = tap_fd;
	n->p = *p;
	memcpy(n->cfg.mac, p->mac, sizeof(n->cfg.mac));
	n->cfg.status = htole16(VIRTIO_NET_S_LINK_UP);
	n->cfg.max_virtqueue_pairs = htole16(1);
	n->cfg.mtu = htole16(p->mtu);
	return n;
}

void virtio_net_destroy(struct virtio_net *n)
{
	free(n);
}

const struct virtio_net_stats *virtio_net_stats(const struct virtio_net *n)
{
	return &n->st;
}

static uint64_t net_features(void *dev)
{
	const struct virtio_net *n = dev;
	uint64_t f = F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS) | F(VIRTIO_NET_F_MTU) |
		     F(VIRTIO_NET_F_MRG_RXBUF);

	if (n->p.offload)
		f |= F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_HOST_TSO4) |
		     F(VIRTIO_NET_F_HOST_TSO6) | F(VIRTIO_NET_F_GUEST_TSO4) |
		     F(VIRTIO_NET_F_GUEST_TSO6);
	return f;
}

static void net_config_read(void *dev, uint32_t off, uint8_t *data, uint32_t len)
{
	const struct virtio_net *n = dev;

	memcpy(data, (const uint8_t *)&n->cfg + off, len);
}

static void net_reset(void *dev)
{
	struct virtio_net *n = dev;

	/* The next driver may negotiate other offloads: tell the tap again. */
	n->offload_set = false;
	n->tun_flags = 0;
}

/* Copies between buf and bytes [off, off + len) of an iovec array. */
static void iov_copy(const struct iovec *iov, int cnt, size_t off, void *buf, size_t len,
		     bool into_iov)
{
	for (int i = 0; i < cnt && len; i++) {
		size_t take;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		take = iov[i].iov_len - off < len ? iov[i].iov_len - off : len;
		if (into_iov)
			memcpy((uint8_t *)iov[i].iov_base + off, buf, take);
		else
			memcpy(buf, (const uint8_t *)iov[i].iov_base + off, take);
		buf = (uint8_t *)buf + take;
		len -= take;
		off = 0;
	}
}

/*
 * What the tap may give this guest.  TSO without partial checksums means
 * nothing (the spec makes GUEST_TSO* depend on GUEST_CSUM, and the kernel
 * ignores TUN_F_TSO* without TUN_F_CSUM).
 */
static unsigned guest_tun_flags(const struct virtq *q)
{
	unsigned t;

	if (!has(q, VIRTIO_NET_F_GUEST_CSUM))
		return 0;
	t = TUN_F_CSUM;
	if (has(q, VIRTIO_NET_F_GUEST_TSO4))
		t |= TUN_F_TSO4;
	if (has(q, VIRTIO_NET_F_GUEST_TSO6))
		t |= TUN_F_TSO6;
	return t;
}

/*
 * Runs before the first read after a reset: the queue's features are the
 * ones the driver had accepted when it enabled the queue (after
 * FEATURES_OK), so no frame is read before the tap knows what to send.
 */
static void sync_offload(struct virtio_net *n, const struct virtq *q)
{
	if (n->offload_set)
		return;
	n->offload_set = true;
	n->tun_flags = guest_tun_flags(q);
	if (n->p.set_offload && n->p.set_offload(n->p.ctx, n->tun_flags) < 0 &&
	    !n->offload_logged) {
		n->offload_logged = true;
		fprintf(stderr, "flint: virtio-net: cannot set the tap's offloads to 0x%x; frames the guest cannot take are dropped\n",
			n->tun_flags);
	}
}

/* A header from the tap the guest can take (whatever the tap was told). */
static bool rx_header_ok(const struct virtio_net *n, const struct virtio_net_hdr_v1 *h)
{
	if ((h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !(n->tun_flags & TUN_F_CSUM))
		return false;
	switch (h->gso_type) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return true;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return n->tun_flags & TUN_F_TSO4;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return n->tun_flags & TUN_F_TSO6;
	default: /* UFO, ECN: never offered */
		return false;
	}
}

static void pool_reset(struct rx_pool *p)
{
	p->n = 0;
	p->iovs = 0;
	p->bytes = 0;
}

/* The first k chains carried a frame: forget them, keep the rest in order. */
static void pool_drop_front(struct rx_pool *p, uint16_t k)
{
	int iovs = 0;

	for (uint16_t i = 0; i < k; i++) {
		iovs += p->niov[i];
		p->bytes -= p->cap[i];
	}
	p->n -= k;
	p->iovs -= iovs;
	memmove(p->head, p->head + k, p->n * sizeof(p->head[0]));
	memmove(p->niov, p->niov + k, p->n * sizeof(p->niov[0]));
	memmove(p->cap, p->cap + k, p->n * sizeof(p->cap[0]));
	memmove(p->iov, p->iov + iovs, p->iovs * sizeof(p->iov[0]));
}

enum fill { FILL_OK, FILL_DRY, FILL_BROKEN };

/*
 * Tops the pool up until it holds `need` bytes or `limit` chains.  FILL_DRY:
 * the ring ran out first; notifications are then on, so the driver's next
 * buffer brings the handler back.
 */
static enum fill pool_fill(struct virtio_net *n, struct virtq *q, uint64_t need, uint16_t limit)
{
	struct rx_pool *p = &n->pool;
	struct virtq_chain *c = &n->rx_chain;

	while (p->bytes < need && p->n < limit) {
		int r = virtq_pop(q, c), k;

		if (r < 0)
			return FILL_BROKEN;
		if (r == 0) {
			/* Ask to hear of new buffers, then look once more: none is stranded. */
			if (virtq_enable_notify(q))
				continue;
			return FILL_DRY;
		}
		if (c->n_read) {
			virtq_fail(q, "RX buffer at head %u has %u device-readable descriptors (receive buffers are device-writable only)",
				   c->head, c->n_read);
			return FILL_BROKEN;
		}
		if (c->write_bytes < HDR) {
			virtq_fail(q, "RX buffer at head %u has %llu bytes, less than the %u-byte virtio-net header",
				   c->head, (unsigned long long)c->write_bytes, HDR);
			return FILL_BROKEN;
		}
		k = virtq_chain_iov(c, true, 0, c->write_bytes, p->iov + p->iovs, RX_IOV_MAX - p->iovs);
		if (k < 0) {
			/* readv takes no more pieces: read into what we have. */
			virtq_unpop(q, 1);
			return FILL_OK;
		}
		p->head[p->n] = c->head;
		p->niov[p->n] = (uint16_t)k;
		p->cap[p->n] = c->write_bytes;
		p->n++;
		p->iovs += k;
		p->bytes += c->write_bytes;
	}
	return FILL_OK;
}

/* A frame of len bytes (header included) is in the pool's buffers. */
static void rx_deliver(struct virtio_net *n, struct virtq *q, uint64_t len)
{
	struct rx_pool *p = &n->pool;
	struct virtio_net_hdr_v1 h;
	uint64_t left = len;
	uint16_t k = 0;

	if (len > p->bytes) {
		/* The overflow byte got data: truncated.  The buffers stay for the next frame. */
		n->st.rx_drop_too_big++;
		return;
	}
	if (len < HDR) {
		n->st.rx_drop_bad_hdr++;
		return;
	}
	iov_copy(p->iov, p->iovs, 0, &h, HDR, false);
	if (!rx_header_ok(n, &h)) {
		n->st.rx_drop_bad_hdr++;
		return;
	}
	while (left) {
		left -= p->cap[k] < left ? p->cap[k] : left;
		k++;
	}
	/* Without GUEST_CSUM the spec wants flags 0 (the tap may say DATA_VALID). */
	if (!(n->tun_flags & TUN_F_CSUM))
		h.flags = 0;
	/* Always written: the tap skips these two bytes, and without MRG_RXBUF it must read 1. */
	h.num_buffers = htole16(k);
	iov_copy(p->iov, p->iovs, 0, &h, HDR, true);
	left = len;
	for (uint16_t i = 0; i < k; i++) {
		uint64_t take = p->cap[i] < left ? p->cap[i] : left;

		virtq_push(q, p->head[i], (uint32_t)take);
		left -= take;
	}
	n->st.rx_packets++;
	n->st.rx_bytes += len - HDR;
	pool_drop_front(p, k);
}

static bool rx_notify(struct virtio_net *n, struct virtq *q)
{
	struct rx_pool *p = &n->pool;
	bool mrg = has(q, VIRTIO_NET_F_MRG_RXBUF), more = false;
	/* Without MRG_RXBUF a frame gets exactly one chain, however small. */
	uint16_t limit = !mrg ? 1 : q->size < QUEUE_SIZE ? q->size : QUEUE_SIZE;
	uint64_t need = 1;

	sync_offload(n, q);
	/*
	 * With MRG_RXBUF, gather enough for the largest frame the tap may
	 * send: a tap cannot be asked how long its next frame is, and a
	 * frame read into too little is lost.
	 */
	if (mrg)
		need = n->tun_flags & (TUN_F_TSO4 | TUN_F_TSO6) ? RX_GSO_FRAME_MAX
			: (uint64_t)HDR + ETH_HLEN + VLAN_HLEN + n->p.mtu;
	pool_reset(p);
	virtq_disable_notify(q);
	for (unsigned frames = 0;;) {
		enum fill f;
		ssize_t r;

		if (frames == VIRTIO_NET_BUDGET) {
			/* Buffers left means the tap may still have frames for them. */
			more = p->n > 0 || virtq_enable_notify(q);
			if (more)
				virtq_disable_notify(q);
			break;
		}
		f = pool_fill(n, q, need, limit);
		if (f == FILL_BROKEN)
			return false; /* the transport resets the device */
		/*
		 * Too few buffers, but fewer than a full ring: wait for the
		 * driver (a full ring is all it can ever give, so read then).
		 */
		if (f == FILL_DRY) {
			/* A reset in progress also ends the pops; that is not the guest's doing. */
			if (!__atomic_load_n(&q->halt, __ATOMIC_ACQUIRE))
				n->st.rx_no_buffer++;
			break;
		}
		p->iov[p->iovs] = (struct iovec){ &n->overflow, 1 };
		r = readv(n->fd, p->iov, p->iovs + 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				n->st.rx_tap_error++;
			break; /* the monitor calls again when the tap is readable */
		}
		frames++;
		rx_deliver(n, q, (uint64_t)r);
	}
	/* Chains popped but not filled were never the guest's loss. */
	virtq_unpop(q, p->n);
	pool_reset(p);
	virtq_notify_driver(q);
	return more;
}

/* A header from the guest that the tap can be given as it is. */
static bool tx_header_ok(const struct virtq *q, const struct virtio_net_hdr_v1 *h, uint64_t len)
{
	uint16_t hdr_len = le16toh(h->hdr_len), gso_size = le16toh(h->gso_size);

	if (h->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM) /* DATA_VALID, RSC_INFO are RX only */
		return false;
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM &&
	    (!has(q, VIRTIO_NET_F_CSUM) ||
	     (uint32_t)le16toh(h->csum_start) + le16toh(h->csum_offset) + 2 > len))
		return false;
	if (hdr_len > len)
		return false;
	switch (h->gso_type) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return true;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (!has(q, VIRTIO_NET_F_HOST_TSO4))
			return false;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (!has(q, VIRTIO_NET_F_HOST_TSO6))
			return false;
		break;
	default: /* UFO, ECN and the rest were never offered */
		return false;
	}
	/* HOST_TSO* depends on CSUM; a segment size of 0 cannot be cut. */
	return has(q, VIRTIO_NET_F_CSUM) && gso_size != 0 && gso_size <= len;
}

/* Sends the chain in n->tx_chain; false after a ring protocol violation. */
static bool tx_one(struct virtio_net *n, struct virtq *q)
{
	const struct virtq_chain *c = &n->tx_chain;
	struct virtio_net_hdr_v1 h;
	uint64_t len;
	ssize_t w;
	int k;

	if (c->n > c->n_read) {
		virtq_fail(q, "TX chain at head %u has %u device-writable descriptors (transmit buffers are device-readable only)",
			   c->head, c->n - c->n_read);
		return false;
	}
	if (c->read_bytes < HDR) {
		n->st.tx_drop_short++;
		return true;
	}
	len = c->read_bytes - HDR;
	if (len > TX_FRAME_MAX) {
		n->st.tx_drop_too_big++;
		return true;
	}
	/*
	 * The header goes out from this checked copy, not from guest memory,
	 * which the guest could rewrite between the check and the write.
	 */
	virtq_chain_read(c, 0, &h, HDR);
	if (!tx_header_ok(q, &h, len)) {
		n->st.tx_drop_bad_gso++;
		return true;
	}
	n->tx_iov[0] = (struct iovec){ &h, HDR };
	k = virtq_chain_iov(c, false, HDR, len, n->tx_iov + 1, VIRTQ_SIZE_MAX);
	if (k < 0) { /* cannot happen: len is what the readable part holds */
		n->st.tx_drop_short++;
		return true;
	}
	do
		w = writev(n->fd, n->tx_iov, k + 1);
	while (w < 0 && errno == EINTR);
	/* No retry on EAGAIN: a full tap drops, as a full NIC queue would. */
	if (w != (ssize_t)(len + HDR)) {
		n->st.tx_drop_tap_error++;
		return true;
	}
	n->st.tx_packets++;
	n->st.tx_bytes += len;
	return true;
}

static bool tx_notify(struct virtio_net *n, struct virtq *q)
{
	unsigned served = 0;
	int r;

	do {
		virtq_disable_notify(q);
		while ((r = virtq_pop(q, &n->tx_chain)) == 1) {
			if (!tx_one(n, q))
				return false;
			virtq_push(q, n->tx_chain.head, 0);
			if (++served == VIRTIO_NET_BUDGET) {
				bool more;

				virtq_notify_driver(q);
				more = virtq_enable_notify(q);
				if (more)
					virtq_disable_notify(q);
				return more;
			}
		}
		/* One interrupt per batch. */
		virtq_notify_driver(q);
	} while (r == 0 && virtq_enable_notify(q));
	return false;
}

static bool net_queue_notify(void *dev, struct virtq *q)
{
	struct virtio_net *n = dev;

	switch (q->index) {
	case VIRTIO_NET_RXQ:
		return rx_notify(n, q);
	case VIRTIO_NET_TXQ:
		return tx_notify(n, q);
	default:
		return false;
	}
}

const struct virtio_dev_ops virtio_net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.num_queues = 2,
	.queue_max = QUEUE_SIZE,
	.config_size = sizeof(struct virtio_net_config),
	.features = net_features,
	.config_read = net_config_read,
	.queue_notify = net_queue_notify,
	.reset = net_reset,
};
