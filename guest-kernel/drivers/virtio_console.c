/*
 * virtio-console driver, port 0 (virtio_console.h).  Copies both ways:
 * writes go into one of TX_BUFS transmit buffers, so a caller never waits
 * for the host unless all of them are in flight; reads come from
 * RX_BUFS receive buffers that stay posted, each given back as soon as it
 * has been read out, so the device always has somewhere to put input.
 * Buffers are large because every round trip costs a notify (an exit)
 * and, when the guest has to wait, an interrupt.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flint.h>

#include "drivers/virtio_console.h"
#include "drivers/virtio_mmio.h"
#include "drivers/virtq.h"

#define RXQ 0
#define TXQ 1
#define RX_BUFS 8
#define TX_BUFS 8
#define BUF_BYTES (32u << 10)

static struct {
	enum { UNTRIED, ABSENT, READY } state;
	struct virtio_dev *vdev;
	struct virtq *rxq, *txq;
	uint8_t *rx, *tx;            /* RX_BUFS / TX_BUFS * BUF_BYTES */
	/* The receive buffer being read out: index, bytes in it, bytes read. */
	int rx_cur;
	uint32_t rx_len, rx_off;
	bool rx_eof;
	unsigned tx_free[TX_BUFS], tx_nfree;
} vc = { .rx_cur = -1 };

static void *token(unsigned i) { return (void *)(uintptr_t)(i + 1); }
static unsigned untoken(void *t) { return (unsigned)((uintptr_t)t - 1); }

static void rx_post(unsigned i)
{
	struct virtq_seg s = { vc.rx + (size_t)i * BUF_BYTES, BUF_BYTES, true };

	if (virtq_add(vc.rxq, &s, 1, token(i)) < 0)
		panic("virtio-console: receive buffer %u has no descriptor to go back into", i);
}

bool vcons_open(void)
{
	struct virtio_dev *d;

	if (vc.state != UNTRIED)
		return vc.state == READY;
	vc.state = ABSENT;
	d = virtio_find(VIRTIO_ID_CONSOLE, 0);
	if (!d || !virtio_negotiate(d, 0))
		return false;
	vc.rxq = virtio_queue_setup(d, RXQ, RX_BUFS);
	vc.txq = vc.rxq ? virtio_queue_setup(d, TXQ, TX_BUFS) : NULL;
	vc.rx = malloc((size_t)RX_BUFS * BUF_BYTES);
	vc.tx = malloc((size_t)TX_BUFS * BUF_BYTES);
	if (!vc.txq || !vc.rx || !vc.tx || virtq_size(vc.rxq) < RX_BUFS || virtq_size(vc.txq) < TX_BUFS) {
		printf("virtio-console: cannot set up two queues of %u buffers of %u bytes\n", RX_BUFS,
		       BUF_BYTES);
		virtio_fail(d);
		return false;
	}
	for (unsigned i = 0; i < TX_BUFS; i++)
		vc.tx_free[i] = i;
	vc.tx_nfree = TX_BUFS;
	/* Posted before DRIVER_OK: no input ever finds the queue empty at start. */
	for (unsigned i = 0; i < RX_BUFS; i++)
		rx_post(i);
	if (!virtio_driver_ok(d))
		return false;
	vc.vdev = d;
	virtq_kick(vc.rxq);
	vc.state = READY;
	return true;
}

/* Takes back every transmit buffer the device has finished with. */
static void tx_reap(void)
{
	void *t;

	while ((t = virtq_pop(vc.txq, NULL))) {
		unsigned i = untoken(t);

		if (i >= TX_BUFS)
			panic("virtio-console: the device returned transmit buffer %u of %u", i, TX_BUFS);
		vc.tx_free[vc.tx_nfree++] = i;
	}
}

void vcons_write(const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {
		size_t take = n < BUF_BYTES ? n : BUF_BYTES;
		struct virtq_seg s;
		unsigned i;

		tx_reap();
		while (!vc.tx_nfree) {
			virtq_wait_until(vc.txq, UINT64_MAX);
			tx_reap();
		}
		i = vc.tx_free[--vc.tx_nfree];
		memcpy(vc.tx + (size_t)i * BUF_BYTES, p, take);
		s = (struct virtq_seg){ vc.tx + (size_t)i * BUF_BYTES, (uint32_t)take, false };
		if (virtq_add(vc.txq, &s, 1, token(i)) < 0)
			panic("virtio-console: transmit buffer %u has no descriptor", i);
		virtq_kick(vc.txq);
		p += take;
		n -= take;
	}
}

void vcons_drain(void)
{
	tx_reap();
	while (vc.tx_nfree < TX_BUFS) {
		virtq_wait_until(vc.txq, UINT64_MAX);
		tx_reap();
	}
}

/* Makes the next filled receive buffer current; false if none is there (or the input ended). */
static bool rx_next(bool wait)
{
	while (vc.rx_cur < 0 && !vc.rx_eof) {
		uint32_t len;
		void *t = virtq_pop(vc.rxq, &len);

		if (!t) {
			if (!wait)
				return false;
			virtq_wait_until(vc.rxq, UINT64_MAX);
			continue;
		}
		if (untoken(t) >= RX_BUFS || len > BUF_BYTES)
			panic("virtio-console: the device returned receive buffer %u with %u bytes",
			      untoken(t), len);
		if (!len) {
			/* Flint's end of input.  The buffer stays with us: nothing more comes. */
			vc.rx_eof = true;
			break;
		}
		vc.rx_cur = (int)untoken(t);
		vc.rx_len = len;
		vc.rx_off = 0;
	}
	return vc.rx_cur >= 0;
}

size_t vcons_read(void *buf, size_t n)
{
	size_t got = 0;

	/* Waits for the first byte only, then takes whatever else has arrived. */
	while (got < n && rx_next(got == 0)) {
		size_t take = vc.rx_len - vc.rx_off < n - got ? vc.rx_len - vc.rx_off : n - got;

		memcpy((uint8_t *)buf + got, vc.rx + (size_t)vc.rx_cur * BUF_BYTES + vc.rx_off, take);
		vc.rx_off += (uint32_t)take;
		got += take;
		if (vc.rx_off == vc.rx_len) {
			rx_post((unsigned)vc.rx_cur);
			virtq_kick(vc.rxq);
			vc.rx_cur = -1;
		}
	}
	return got;
}
