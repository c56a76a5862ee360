#include "uart.h"

#include <errno.h>
#include <flint/boot_abi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest_mem.h"
#include "state.h"

enum {
	REG_RBR_THR = 0, /* DLL when DLAB */
	REG_IER = 1,     /* DLM when DLAB */
	REG_IIR_FCR = 2,
	REG_LCR = 3,
	REG_MCR = 4,
	REG_LSR = 5,
	REG_MSR = 6,
	REG_SCR = 7,
	REG_COUNT = 8,
};

#define IER_ERBFI 0x01 /* received data available */
#define IER_ETBEI 0x02 /* transmitter holding register empty */
#define IER_ELSI 0x04  /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */

#define IIR_NONE 0x01
#define IIR_MSR 0x00
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_RLS 0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFO 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_TRIGGER 0xc0

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DELTAS 0x0f
#define MSR_TERI 0x04
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

struct uart {
	pthread_mutex_t lock;
	struct uart_backend be;

	uint8_t ier, lcr, mcr, scr, dll, dlm;
	uint8_t fcr;  /* FIFO enable and trigger level; the clear bits self-clear */
	uint8_t msr;  /* modem inputs (high nibble) and their deltas */
	bool overrun; /* LSR OE */
	bool thre_pending;
	bool irq_level;

	int out_err; /* errno of a failed write; output is discarded once set */
	bool rx_refused; /* uart_receive left bytes out: tell be.rx_room when there is room */
	bool lsr_read;   /* for uart_take_lsr_read */
	uint64_t ext_buffers, ext_bad, dropped;
	size_t tx_len;
	size_t rx_head, rx_count;
	uint8_t tx[UART_BUF_SIZE];
	uint8_t rx[UART_BUF_SIZE];
};

static uint8_t rx_trigger(const struct uart *u)
{
	static const uint8_t level[4] = { 1, 4, 8, 14 };

	return level[u->fcr >> 6];
}

static uint8_t iir(const struct uart *u)
{
	uint8_t id = IIR_NONE;

	if ((u->ier & IER_ELSI) && u->overrun)
		id = IIR_RLS;
	else if ((u->ier & IER_ERBFI) && u->rx_count)
		/*
		 * Below the trigger level real hardware reports a timeout once
		 * the line has been idle for four characters; the host has no
		 * line time, so the data is as stale as it will ever get.
		 */
		id = (u->fcr & FCR_ENABLE) && u->rx_count < rx_trigger(u) ? IIR_TIMEOUT : IIR_RDA;
	else if ((u->ier & IER_ETBEI) && u->thre_pending)
		id = IIR_THRE;
	else if ((u->ier & IER_EDSSI) && (u->msr & MSR_DELTAS))
		id = IIR_MSR;
	return id | (u->fcr & FCR_ENABLE ? IIR_FIFO : 0);
}

static void update_irq(struct uart *u)
{
	bool level = !(iir(u) & IIR_NONE);

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	if (u->be.set_irq)
		u->be.set_irq(u->be.irq_ctx, level);
}

/* Loopback wires the modem outputs back to the inputs (8250 autoconfig checks). */
static uint8_t modem_inputs(uint8_t mcr)
{
	if (!(mcr & MCR_LOOP))
		return MSR_CTS | MSR_DSR | MSR_DCD;
	return (mcr & MCR_RTS ? MSR_CTS : 0) | (mcr & MCR_DTR ? MSR_DSR : 0) |
	       (mcr & MCR_OUT1 ? MSR_RI : 0) | (mcr & MCR_OUT2 ? MSR_DCD : 0);
}

static void update_modem_inputs(struct uart *u)
{
	uint8_t old = u->msr & ~MSR_DELTAS, now = modem_inputs(u->mcr);

	/* Delta bits sit four below their inputs; RI reports only its trailing edge. */
	u->msr |= ((old ^ now) >> 4) & (MSR_DELTAS & ~MSR_TERI);
	u->msr |= ((old & ~now) >> 4) & MSR_TERI;
	u->msr = (u->msr & MSR_DELTAS) | now;
}

static void rx_clear(struct uart *u)
{
	u->rx_head = u->rx_count = 0;
}

static bool rx_push(struct uart *u, uint8_t c)
{
	if (u->rx_count == UART_BUF_SIZE)
		return false;
	u->rx[(u->rx_head + u->rx_count) % UART_BUF_SIZE] = c;
	u->rx_count++;
	return true;
}

static uint8_t rx_pop(struct uart *u)
{
	uint8_t c;

	if (!u->rx_count)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_BUF_SIZE;
	u->rx_count--;
	return c;
}

static bool output_enabled(const struct uart *u)
{
	return u->be.out_fd >= 0 && !u->out_err;
}

static void out_pending(struct uart *u)
{
	if (u->be.out_pending)
		u->be.out_pending(u->be.ctx);
}

/* 0, or an errno: EAGAIN keeps the unwritten rest, anything else drops it for good. */
static int flush_locked(struct uart *u)
{
	size_t done = 0;
	int err = 0;

	if (!output_enabled(u))
		return u->out_err;
	if (!u->tx_len)
		return 0;
	while (done < u->tx_len) {
		ssize_t n = write(u->be.out_fd, u->tx + done, u->tx_len - done);

		if (n > 0) {
			done += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
			err = EAGAIN;
			break;
		} else {
			err = u->out_err = errno;
			u->dropped += u->tx_len - done;
			done = u->tx_len;
			if (u->be.out_failed)
				u->be.out_failed(u->be.ctx, err);
			break;
		}
	}
	memmove(u->tx, u->tx + done, u->tx_len - done);
	u->tx_len -= done;
	if (u->tx_len)
		out_pending(u);
	return err;
}

static void transmit(struct uart *u, uint8_t c)
{
	if (u->mcr & MCR_LOOP) {
		if (!rx_push(u, c))
			u->overrun = true;
	} else if (output_enabled(u)) {
		bool filled = false;

		/*
		 * Still full means out_fd would block: drop the byte rather
		 * than try a write per byte; the next newline tries again.
		 */
		if (u->tx_len < UART_BUF_SIZE) {
			u->tx[u->tx_len++] = c;
			filled = u->tx_len == UART_BUF_SIZE;
		} else {
			u->dropped++;
		}
		if (c == '\n' || filled)
			flush_locked(u);
		else if (u->tx_len == 1)
			out_pending(u);
	} else if (u->out_err) {
		u->dropped++;
	}
	/* The byte left at once, so the holding register is empty again. */
	u->thre_pending = true;
}

/*
 * A whole buffer from the extension: the same path as n THR writes, but
 * one write(2) for all of it (the guest hands a buffer when it would
 * flush anyway: a newline, a full buffer, before halting, at exit).
 */
static void transmit_buf(struct uart *u, const uint8_t *p, size_t n)
{
	if (u->mcr & MCR_LOOP) {
		for (size_t i = 0; i < n; i++)
			if (!rx_push(u, p[i]))
				u->overrun = true;
	} else if (output_enabled(u)) {
		while (n) {
			size_t room = UART_BUF_SIZE - u->tx_len, take = n < room ? n : room;

			memcpy(u->tx + u->tx_len, p, take);
			u->tx_len += take;
			p += take;
			n -= take;
			if (n && (flush_locked(u) || u->tx_len == UART_BUF_SIZE))
				break;
		}
		u->dropped += n; /* left over: out_fd would block with the buffer full, or failed */
		flush_locked(u);
	} else if (u->out_err) {
		u->dropped += n;
	}
	u->thre_pending = true;
}

static void write_fcr(struct uart *u, uint8_t val)
{
	/* Switching the FIFOs on or off empties them (PC16550D, FCR bit 0). */
	if ((val ^ u->fcr) & FCR_ENABLE)
		rx_clear(u);
	if (val & FCR_CLEAR_RX)
		rx_clear(u);
	/*
	 * FCR_CLEAR_TX has nothing to clear: buffered output already left the
	 * transmitter (TEMT is set), it just has not reached out_fd yet.
	 */
	u->fcr = val & FCR_ENABLE ? val & (FCR_ENABLE | FCR_TRIGGER) : 0;
}

static uint8_t reg_read(struct uart *u, uint64_t off)
{
	uint8_t val, id;

	switch (off) {
	case REG_RBR_THR:
		return u->lcr & LCR_DLAB ? u->dll : rx_pop(u);
	case REG_IER:
		return u->lcr & LCR_DLAB ? u->dlm : u->ier;
	case REG_IIR_FCR:
		id = iir(u);
		if ((id & ~IIR_FIFO) == IIR_THRE)
			u->thre_pending = false;
		return id;
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		u->lsr_read = true;
		if (u->be.tx_expected)
			u->be.tx_expected(u->be.ctx);
		val = LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0) | (u->overrun ? LSR_OE : 0);
		u->overrun = false;
		return val;
	case REG_MSR:
		val = u->msr;
		u->msr &= ~MSR_DELTAS;
		return val;
	case REG_SCR:
		return u->scr;
	}
	return 0xff;
}

static void reg_write(struct uart *u, uint64_t off, uint8_t val)
{
	switch (off) {
	case REG_RBR_THR:
		if (u->lcr & LCR_DLAB)
			u->dll = val;
		else
			transmit(u, val);
		break;
	case REG_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = val;
			break;
		}
		/* Enabling the THRE interrupt with the holding register empty raises it. */
		if (val & ~u->ier & IER_ETBEI)
			u->thre_pending = true;
		u->ier = val & 0x0f;
		break;
	case REG_IIR_FCR:
		write_fcr(u, val);
		break;
	case REG_LCR:
		u->lcr = val;
		break;
	case REG_MCR:
		u->mcr = val & 0x1f;
		update_modem_inputs(u);
		break;
	case REG_SCR:
		u->scr = val;
		break;
	}
	/* LSR and MSR writes are factory-test only on the 16550: ignored. */
}

/* After any register access: a receiver that refused input and has room again says so. */
static void check_rx_room(struct uart *u)
{
	if (u->rx_refused && !(u->mcr & MCR_LOOP) && u->rx_count <= UART_BUF_SIZE / 2) {
		u->rx_refused = false;
		if (u->be.rx_room)
			u->be.rx_room(u->be.ctx);
	}
}

static void uart_read(void *dev, uint64_t offset, uint8_t *data, uint32_t len)
{
	struct uart *u = dev;

	if (!len)
		return;
	memset(data, 0xff, len);
	if (offset >= REG_COUNT)
		return;
	pthread_mutex_lock(&u->lock);
	data[0] = reg_read(u, offset);
	update_irq(u);
	check_rx_room(u);
	pthread_mutex_unlock(&u->lock);
}

static void uart_write(void *dev, uint64_t offset, const uint8_t *data, uint32_t len)
{
	struct uart *u = dev;

	if (!len || offset >= REG_COUNT)
		return;
	pthread_mutex_lock(&u->lock);
	reg_write(u, offset, data[0]);
	update_irq(u);
	check_rx_room(u);
	pthread_mutex_unlock(&u->lock);
}

const struct bus_ops uart_bus_ops = {
	.read = uart_read,
	.write = uart_write,
};

enum { EXT_ID = 0, EXT_TX = FLINT_UART_EXT_TX - FLINT_UART_EXT_ID };

static void uart_ext_read(void *dev, uint64_t offset, uint8_t *data, uint32_t len)
{
	struct uart *u = dev;
	uint64_t id = FLINT_UART_EXT_MAGIC | (uint64_t)FLINT_UART_EXT_MAX << 32;

	memset(data, 0xff, len);
	/* Byte-addressable, so any width the guest uses reads the same bytes. */
	if (u->be.mem)
		for (uint32_t i = 0; i < len && offset < 8 && i < 8 - offset; i++)
			data[i] = (uint8_t)(id >> (8 * (offset + i)));
}

static void uart_ext_write(void *dev, uint64_t offset, const uint8_t *data, uint32_t len)
{
	struct uart *u = dev;
	uint64_t v = 0;
	uint32_t gpa, n;
	const uint8_t *p;

	if (offset != EXT_TX || len != 8 || !u->be.mem)
		return;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | data[i]; /* guest order is little-endian */
	gpa = (uint32_t)v;
	n = (uint32_t)(v >> 32);
	pthread_mutex_lock(&u->lock);
	/* guest_ptr checks the whole range; len is bounded before anything is read. */
	p = n && n <= FLINT_UART_EXT_MAX ? guest_ptr(u->be.mem, gpa, n) : NULL;
	if (!p) {
		u->ext_bad++;
	} else {
		u->ext_buffers++;
		transmit_buf(u, p, n);
		update_irq(u);
	}
	pthread_mutex_unlock(&u->lock);
}

const struct bus_ops uart_ext_bus_ops = {
	.read = uart_ext_read,
	.write = uart_ext_write,
};

struct uart *uart_create(const struct uart_backend *be)
{
	struct uart *u = calloc(1, sizeof(*u));
	int err;

	if (!u)
		return NULL;
	err = pthread_mutex_init(&u->lock, NULL);
	if (err) {
		free(u);
		errno = err;
		return NULL;
	}
	u->be = be ? *be : (struct uart_backend){ .out_fd = -1 };
	/* Divisor 1 (115200 baud): what firmware leaves for a console. */
	u->dll = 1;
	u->msr = MSR_CTS | MSR_DSR | MSR_DCD;
	return u;
}

void uart_destroy(struct uart *u)
{
	if (!u)
		return;
	pthread_mutex_lock(&u->lock);
	/* The backend may be half gone: no more events. */
	u->be.out_failed = NULL;
	u->be.out_pending = NULL;
	u->be.rx_room = NULL;
	u->be.tx_expected = NULL;
	flush_locked(u);
	pthread_mutex_unlock(&u->lock);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

size_t uart_receive(struct uart *u, const uint8_t *buf, size_t n)
{
	size_t i = 0;

	pthread_mutex_lock(&u->lock);
	/* Loopback disconnects the serial input; the caller keeps it for later. */
	if (!(u->mcr & MCR_LOOP))
		while (i < n && rx_push(u, buf[i]))
			i++;
	if (i < n)
		u->rx_refused = true;
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return i;
}

int uart_flush(struct uart *u)
{
	int err;

	pthread_mutex_lock(&u->lock);
	err = flush_locked(u);
	pthread_mutex_unlock(&u->lock);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

bool uart_output_pending(struct uart *u)
{
	bool pending;

	pthread_mutex_lock(&u->lock);
	pending = output_enabled(u) && u->tx_len;
	pthread_mutex_unlock(&u->lock);
	return pending;
}

bool uart_take_lsr_read(struct uart *u)
{
	bool was;

	pthread_mutex_lock(&u->lock);
	was = u->lsr_read;
	u->lsr_read = false;
	pthread_mutex_unlock(&u->lock);
	return was;
}

bool uart_lsr_read_pending(struct uart *u)
{
	bool was;

	pthread_mutex_lock(&u->lock);
	was = u->lsr_read;
	pthread_mutex_unlock(&u->lock);
	return was;
}

void uart_get_counters(struct uart *u, struct uart_counters *c)
{
	pthread_mutex_lock(&u->lock);
	*c = (struct uart_counters){ .ext_buffers = u->ext_buffers, .ext_bad = u->ext_bad,
				     .dropped = u->dropped, .out_err = u->out_err };
	pthread_mutex_unlock(&u->lock);
}

/*
 * Snapshots (uart.h).  Version 1, in order: IER, LCR, MCR, SCR, DLL, DLM,
 * FCR, MSR (u8 each), overrun, THRE pending (bool), u16 bytes waiting in
 * the receiver, then those bytes, oldest first.  Output is not in it: it
 * has already left the transmitter (the console flushes it first), and
 * host-side counters and hints are not the guest's.
 */
int uart_save(struct uart *u, struct state_out *o)
{
	pthread_mutex_lock(&u->lock);
	state_put_u8(o, u->ier);
	state_put_u8(o, u->lcr);
	state_put_u8(o, u->mcr);
	state_put_u8(o, u->scr);
	state_put_u8(o, u->dll);
	state_put_u8(o, u->dlm);
	state_put_u8(o, u->fcr);
	state_put_u8(o, u->msr);
	state_put_bool(o, u->overrun);
	state_put_bool(o, u->thre_pending);
	state_put_u16(o, (uint16_t)u->rx_count);
	for (size_t i = 0; i < u->rx_count; i++)
		state_put_u8(o, u->rx[(u->rx_head + i) % UART_BUF_SIZE]);
	pthread_mutex_unlock(&u->lock);
	return o->failed ? -1 : 0;
}

/* What a register write could have left there; NULL when it fits. */
static const char *uart_record_impossible(const struct uart *r, size_t rx_count)
{
	if (r->ier & ~0x0f)
		return "IER has bits a 16550A does not keep";
	if (r->mcr & ~0x1f)
		return "MCR has bits a 16550A does not keep";
	if (r->fcr & ~(FCR_ENABLE | FCR_TRIGGER) || (r->fcr && !(r->fcr & FCR_ENABLE)))
		return "FCR holds a value no write leaves there";
	if ((r->msr & ~MSR_DELTAS) != modem_inputs(r->mcr))
		return "MSR's inputs do not match MCR";
	if (rx_count > UART_BUF_SIZE)
		return "more bytes waiting in the receiver than it holds";
	return NULL;
}

int uart_load(struct uart *u, struct state_in *in, char *err, size_t errlen)
{
	struct uart r = { 0 };
	uint16_t n = 0;
	const char *why;

	state_get_u8(in, &r.ier);
	state_get_u8(in, &r.lcr);
	state_get_u8(in, &r.mcr);
	state_get_u8(in, &r.scr);
	state_get_u8(in, &r.dll);
	state_get_u8(in, &r.dlm);
	state_get_u8(in, &r.fcr);
	state_get_u8(in, &r.msr);
	state_get_bool(in, &r.overrun);
	state_get_bool(in, &r.thre_pending);
	state_get_u16(in, &n);
	why = in->why ? in->why : uart_record_impossible(&r, n);
	if (!why && !state_get_bytes(in, r.rx, n))
		why = in->why;
	if (why) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	pthread_mutex_lock(&u->lock);
	u->ier = r.ier;
	u->lcr = r.lcr;
	u->mcr = r.mcr;
	u->scr = r.scr;
	u->dll = r.dll;
	u->dlm = r.dlm;
	u->fcr = r.fcr;
	u->msr = r.msr;
	u->overrun = r.overrun;
	u->thre_pending = r.thre_pending;
	memcpy(u->rx, r.rx, n);
	u->rx_head = 0;
	u->rx_count = n;
	/* A fresh UART's line is low: an interrupt the guest had not taken rises again. */
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return 0;
}
