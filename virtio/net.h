/*
 * virtio-net over a tap descriptor (virtio 1.2 §5.1).  One device per
 * struct: queue 0 receives (tap -> guest), queue 1 transmits (guest ->
 * tap).  The device never opens, configures or polls the tap itself: the
 * monitor (vmm/net.c) opens it with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR and
 * a 12-byte header (struct virtio_net_hdr_v1), makes it non-blocking,
 * watches it, and calls virtio_mmio_notify(t, VIRTIO_NET_RXQ) when it is
 * readable; the RX handler is the same whether the tap became readable or
 * the guest posted buffers.  So the device is testable with any
 * message-preserving descriptor (a SOCK_DGRAM socketpair).
 */
#ifndef FLINT_VIRTIO_NET_H
#define FLINT_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio.h"

#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1
/* The tap's frame header: struct virtio_net_hdr_v1 (TUNSETVNETHDRSZ 12). */
#define VIRTIO_NET_HDR_LEN 12
/*
 * Frames (RX) or chains (TX) one queue_notify call serves at most; it
 * returns true when it stopped there with guest buffers left.
 */
#define VIRTIO_NET_BUDGET 64

struct virtio_net_params {
	uint8_t mac[6];
	uint16_t mtu;            /* 68..65535, in the config space with VIRTIO_NET_F_MTU */
	/*
	 * The tap takes offloads (TUNSETOFFLOAD worked at open): offer the
	 * checksum and TSO features.  set_offload, called once the driver has
	 * accepted its features, tells the tap which of TUN_F_CSUM,
	 * TUN_F_TSO4, TUN_F_TSO6 the guest can receive (it may be NULL).
	 */
	bool offload;
	void *ctx;
	int (*set_offload)(void *ctx, unsigned tun_flags);
};

/* Counters, updated only by the serving thread; read after the run or as
 * a snapshot that may be a few packets stale. */
struct virtio_net_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	/* RX: frames the tap gave us that the guest's buffers could not hold
	 * (truncated by the kernel), and times RX stopped with the tap
	 * readable because the guest had posted no buffer. */
	uint64_t rx_drop_too_big, rx_no_buffer;
	/* TX drops, by cause. */
	uint64_t tx_drop_short;       /* chain shorter than the virtio-net header */
	uint64_t tx_drop_too_big;     /* frame larger than the tap takes (64 KiB) */
	uint64_t tx_drop_bad_gso;     /* gso_type/hdr_len/csum fields make no sense */
	uint64_t tx_drop_tap_error;   /* writev failed (EAGAIN, EIO, ...) */
	/* RX, added after the first cut: frames shorter than the header or
	 * with offloads (NEEDS_CSUM, GSO) the guest did not negotiate, which
	 * only a tap whose TUNSETOFFLOAD failed sends; and readv errors
	 * other than EAGAIN. */
	uint64_t rx_drop_bad_hdr, rx_tap_error;
};

struct virtio_net;

/*
 * tap_fd stays the caller's (it closes it after virtio_net_destroy); it
 * must already be O_NONBLOCK.  Returns NULL with errno EINVAL (mtu out of
 * range, tap_fd negative or blocking) or ENOMEM.
 */
struct virtio_net *virtio_net_create(const struct virtio_net_params *p, int tap_fd);
void virtio_net_destroy(struct virtio_net *n);
const struct virtio_net_stats *virtio_net_stats(const struct virtio_net *n);

struct state_out;
struct state_in;

/*
 * Snapshot record (virtio/net_state.c): what the guest learnt of the
 * device (MAC, MTU, link status, whether offloads are offered), so a
 * restore onto a device the guest would see differently is refused; load
 * changes nothing.  No RX or TX state lives between handler calls (RX
 * gives back every buffer it did not fill), frames still in the tap stay
 * there, and the tap learns the guest's offloads again at the first RX.
 */
int virtio_net_save(struct virtio_net *n, struct state_out *out);
int virtio_net_load(struct virtio_net *n, struct state_in *in, char *err, size_t errlen);

/* The ops table for virtio_mmio_create(..., &virtio_net_ops, net, ...). */
extern const struct virtio_dev_ops virtio_net_ops;

#endif
