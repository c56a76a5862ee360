/*
 * virtio-net (virtio 1.2 §5.1): one receive and one transmit queue, no
 * offloads, frames copied in and out of driver-owned buffers.  Knows no
 * network stack: net/netif.c puts lwIP on top.
 *
 * Receiving: net_rx_begin() hands out the next frame as up to
 * NET_RX_MAX_PARTS pieces of driver memory (more than one only with
 * VIRTIO_NET_F_MRG_RXBUF and frames larger than a buffer); the caller
 * copies them and calls net_rx_end(), which gives the buffers straight
 * back to the device, so the receive ring stays full.
 *
 * Transmitting: net_tx_buf() returns room for one frame (waiting for the
 * device to finish an earlier one if all slots are in flight), the caller
 * fills it, net_tx_commit() hands it to the device.  Finished slots are
 * reclaimed on the way.
 */
#ifndef GUEST_DRIVERS_VIRTIO_NET_H
#define GUEST_DRIVERS_VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_ETH_HLEN        14
#define NET_DEFAULT_MTU     1500
/* Frames larger than this MTU are neither sent nor expected: buffers are sized for it. */
#define NET_MAX_MTU         1500
#define NET_RX_MAX_PARTS    8

struct net_dev;

struct net_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t rx_errors;      /* frames the device described impossibly (dropped) */
	uint64_t tx_ring_full;   /* times a send waited for the device to free a slot */
	uint64_t waits, wakeups; /* net_wait() calls, and those that found a frame */
};

struct net_frame {
	const uint8_t *part[NET_RX_MAX_PARTS];
	uint32_t len[NET_RX_MAX_PARTS];
	unsigned nparts;
	uint32_t total;          /* bytes of Ethernet frame, header excluded */
	/* the driver's: the buffers to give back */
	uint16_t buf[NET_RX_MAX_PARTS];
};

/*
 * The index-th (from 0) virtio-net device on the command line, set up on
 * first use (the same handle afterwards).  NULL, the console says why, if
 * there is none or it cannot be driven.
 */
struct net_dev *net_open(unsigned index);

/* The device's MAC (VIRTIO_NET_F_MAC), else a locally administered one made up from the index. */
void net_mac(const struct net_dev *dev, uint8_t mac[6]);
/* The MTU to use: the device's (VIRTIO_NET_F_MTU) if smaller than NET_MAX_MTU, else that. */
unsigned net_mtu(const struct net_dev *dev);
/* VIRTIO_NET_S_LINK_UP, re-read after a configuration-change interrupt; true without STATUS. */
bool net_link_up(struct net_dev *dev);
const struct net_stats *net_stats(const struct net_dev *dev);

/* The next complete received frame, or false if none is there yet. */
bool net_rx_begin(struct net_dev *dev, struct net_frame *f);
/* Gives f's buffers back to the device. */
void net_rx_end(struct net_dev *dev, struct net_frame *f);

/* Room for a frame of len bytes (len <= 14 + net_mtu()), or NULL if it is too big. */
void *net_tx_buf(struct net_dev *dev, size_t len);
/* Sends the frame just written into net_tx_buf()'s buffer. */
void net_tx_commit(struct net_dev *dev, size_t len);

/*
 * Halts until a frame arrives or the TSC reaches `deadline` (UINT64_MAX:
 * forever).  True if a frame is there.  Costs no host CPU while halted.
 */
bool net_wait(struct net_dev *dev, uint64_t deadline);

#endif
