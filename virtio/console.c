/*
 * virtio-console, one port (virtio 1.2 §5.3; console.h says what the host
 * side provides).  Bytes move between the descriptors and guest memory
 * without a bounce buffer: RX reads straight into the guest's writable
 * segments, TX writes straight from its readable ones.
 *
 * RX pops a buffer BEFORE reading (bytes read from a pipe can only go
 * somewhere that already exists) and gives it back with virtq_unpop when
 * the read finds nothing.  TX keeps the one chain a blocked write left
 * half written (tx_pending) across calls and finishes it first when the
 * reader has made room; that chain's segments point into guest RAM, which
 * stays mapped, and what the guest rewrites meanwhile is only its own
 * output.
 */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>

#define QUEUE_SIZE 256

struct virtio_console {
	struct virtio_console_params p;
	struct virtio_console_stats st;
	bool in_ended;       /* the zero-length buffer went to the guest */
	bool out_dead;       /* a write failed: the rest is dropped */

	/* RX: only the RX handler touches these. */
	struct virtq_chain rx_chain;
	struct iovec rx_iov[VIRTQ_SIZE_MAX];

	/* TX: the chain in hand, and how much of it is written. */
	struct virtq_chain tx_chain;
	bool tx_pending;
	uint64_t tx_off;
	struct iovec tx_iov[VIRTQ_SIZE_MAX];
};

/* -1, a regular file or block device, or O_NONBLOCK: a read or write never stalls the loop. */
static bool fd_ok(int fd)
{
	struct stat st;
	int fl;

	if (fd < 0)
		return fd == -1;
	if ((fl = fcntl(fd, F_GETFL)) < 0 || fstat(fd, &st) < 0)
		return false;
	return (fl & O_NONBLOCK) || S_ISREG(st.st_mode) || S_ISBLK(st.st_mode);
}

struct virtio_console *virtio_console_create(const struct virtio_console_params *p)
{
	struct virtio_console *c;

	if (!p || !fd_ok(p->in_fd) || !fd_ok(p->out_fd)) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->p = *p;
	return c;
}

void virtio_console_destroy(struct virtio_console *c)
{
	free(c);
}

const struct virtio_console_stats *virtio_console_stats(const struct virtio_console *c)
{
	return &c->st;
}

bool virtio_console_input_ended(const struct virtio_console *c)
{
	return c->in_ended;
}

/* No feature bits: no console size, no multiport, no emergency write. */
static uint64_t console_features(void *dev)
{
	(void)dev;
	return 0;
}

static void console_config_read(void *dev, uint32_t off, uint8_t *data, uint32_t len)
{
	/* cols, rows, max_nr_ports, emerg_wr: none is offered, all read 0. */
	(void)dev, (void)off;
	memset(data, 0, len);
}

static void input_end(struct virtio_console *c, int err)
{
	c->in_ended = true;
	c->st.in_errno = err;
	if (c->p.in_done)
		c->p.in_done(c->p.ctx);
}

/*
 * One chain taken from RX; 1: filled (pushed), 0: nothing to read now (given
 * back), -1: the queue broke.
 */
static int rx_one(struct virtio_console *c, struct virtq *q)
{
	struct virtq_chain *ch = &c->rx_chain;
	uint64_t room;
	ssize_t r;
	int k;

	if (ch->n_read) {
		virtq_fail(q, "receive buffer at head %u has %u device-readable descriptors (receive buffers are device-writable only)",
			   ch->head, ch->n_read);
		return -1;
	}
	if (!ch->write_bytes) {
		/* A read into nothing returns 0, which would look like end of input. */
		virtq_fail(q, "receive buffer at head %u has no room", ch->head);
		return -1;
	}
	if (c->p.in_fd < 0) {
		virtq_push(q, ch->head, 0);
		input_end(c, 0);
		return 1;
	}
	room = ch->write_bytes < VIRTIO_CONSOLE_READ_MAX ? ch->write_bytes : VIRTIO_CONSOLE_READ_MAX;
	k = virtq_chain_iov(ch, true, 0, room, c->rx_iov, VIRTQ_SIZE_MAX);
	if (k < 0) { /* cannot happen: room is within the writable part */
		virtq_fail(q, "receive buffer at head %u: cannot map it", ch->head);
		return -1;
	}
	do
		r = readv(c->p.in_fd, c->rx_iov, k);
	while (r < 0 && errno == EINTR);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		virtq_unpop(q, 1);
		return 0;
	}
	if (r <= 0) {
		/* End of input (or a read error, which ends it too): the empty buffer says so. */
		virtq_push(q, ch->head, 0);
		input_end(c, r < 0 ? errno : 0);
		return 1;
	}
	virtq_push(q, ch->head, (uint64_t)r);
	c->st.in_bytes += (uint64_t)r;
	return 1;
}

static bool rx_notify(struct virtio_console *c, struct virtq *q)
{
	bool more = false;

	virtq_disable_notify(q);
	for (unsigned served = 0; !c->in_ended;) {
		int r;

		if (served == VIRTIO_CONSOLE_BUDGET) {
			more = true;
			break;
		}
		r = virtq_pop(q, &c->rx_chain);
		if (r < 0)
			return false; /* the transport resets the device */
		if (r == 0) {
			/* Ask to hear of new buffers, then look once more: none is stranded. */
			if (virtq_enable_notify(q))
				continue;
			/* Input may be waiting: it stays in the descriptor until a buffer comes. */
			if (!__atomic_load_n(&q->halt, __ATOMIC_ACQUIRE))
				c->st.rx_no_buffer++;
			virtq_notify_driver(q);
			return false;
		}
		r = rx_one(c, q);
		if (r < 0)
			return false;
		if (r == 0)
			break; /* the monitor serves RX again when the input is readable */
		served++;
	}
	/* Notifies stay off: readiness of the input (or "more") brings the handler back. */
	virtq_notify_driver(q);
	return more;
}

static void tx_drop_rest(struct virtio_console *c)
{
	c->st.out_dropped += c->tx_chain.read_bytes - c->tx_off;
	c->tx_off = c->tx_chain.read_bytes;
}

/*
 * Writes what is left of the chain in hand.  true: it is all out (or
 * dropped); false: the output would block, the chain stays in hand.
 */
static bool tx_write(struct virtio_console *c)
{
	struct virtq_chain *ch = &c->tx_chain;

	while (c->tx_off < ch->read_bytes) {
		int k;
		ssize_t w;

		if (c->out_dead) {
			tx_drop_rest(c);
			break;
		}
		if (c->p.out_fd < 0) {
			c->st.out_bytes += ch->read_bytes - c->tx_off;
			c->tx_off = ch->read_bytes;
			break;
		}
		k = virtq_chain_iov(ch, false, c->tx_off, ch->read_bytes - c->tx_off, c->tx_iov,
				    VIRTQ_SIZE_MAX);
		if (k < 0) { /* cannot happen: the range is the readable part's */
			tx_drop_rest(c);
			break;
		}
		w = writev(c->p.out_fd, c->tx_iov, k);
		if (w > 0) {
			c->tx_off += (uint64_t)w;
			c->st.out_bytes += (uint64_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->st.out_blocked++;
			if (c->p.out_blocked)
				c->p.out_blocked(c->p.ctx);
			return false;
		}
		c->out_dead = true;
		c->st.out_errno = w < 0 ? errno : EIO;
		if (c->p.out_failed)
			c->p.out_failed(c->p.ctx, c->st.out_errno);
	}
	return true;
}

static bool tx_notify(struct virtio_console *c, struct virtq *q)
{
	unsigned served = 0;
	bool more = false;
	int r;

	virtq_disable_notify(q);
	for (;;) {
		if (!c->tx_pending) {
			if (served == VIRTIO_CONSOLE_BUDGET) {
				more = true;
				break;
			}
			r = virtq_pop(q, &c->tx_chain);
			if (r < 0)
				return false;
			if (r == 0) {
				if (virtq_enable_notify(q))
					continue;
				virtq_notify_driver(q);
				return false;
			}
			if (c->tx_chain.n > c->tx_chain.n_read) {
				virtq_fail(q, "transmit buffer at head %u has %u device-writable descriptors (transmit buffers are device-readable only)",
					   c->tx_chain.head, c->tx_chain.n - c->tx_chain.n_read);
				return false;
			}
			c->tx_pending = true;
			c->tx_off = 0;
		}
		if (!tx_write(c))
			break; /* the monitor serves TX again when the output is writable */
		virtq_push(q, c->tx_chain.head, 0);
		c->tx_pending = false;
		served++;
	}
	/* Notifies stay off: the output's readiness (or "more") brings the handler back. */
	virtq_notify_driver(q);
	return more;
}

static bool console_queue_notify(void *dev, struct virtq *q)
{
	struct virtio_console *c = dev;

	switch (q->index) {
	case VIRTIO_CONSOLE_RXQ:
		return rx_notify(c, q);
	case VIRTIO_CONSOLE_TXQ:
		return tx_notify(c, q);
	default:
		return false;
	}
}

/*
 * Before a save: the half-written chain is written if the reader takes
 * it, else its rest is dropped (counted), and it goes back to the guest.
 * RX holds nothing between calls.
 */
static void console_quiesce(void *dev, struct virtq *q)
{
	struct virtio_console *c = dev;

	if (q->index != VIRTIO_CONSOLE_TXQ || !c->tx_pending)
		return;
	if (!tx_write(c))
		tx_drop_rest(c);
	virtq_push(q, c->tx_chain.head, 0);
	c->tx_pending = false;
	virtq_notify_driver(q);
}

/* The queues are gone: a chain in hand belongs to no ring any more. */
static void console_reset(void *dev)
{
	struct virtio_console *c = dev;

	c->tx_pending = false;
	c->tx_off = 0;
}

const struct virtio_dev_ops virtio_console_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.num_queues = 2,
	.queue_max = QUEUE_SIZE,
	.config_size = sizeof(struct virtio_console_config),
	.features = console_features,
	.config_read = console_config_read,
	.queue_notify = console_queue_notify,
	.reset = console_reset,
	.quiesce = console_quiesce,
};
