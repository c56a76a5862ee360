/*
 * A 16550A UART (PC16550D register semantics), independent of KVM: the
 * monitor registers uart_bus_ops on a bus (8 registers, stride 1) and wires
 * the interrupt line and the host side through struct uart_backend.
 *
 * The host side is infinitely fast: the transmitter is always empty (LSR
 * THRE|TEMT), so the guest never waits on it.  Guest output is buffered and
 * written out at a newline, when the buffer fills, on uart_flush() and on
 * uart_destroy(); a register write never costs a system call otherwise,
 * which is what lets the transmit register sit in a coalesced-MMIO zone.
 * Next to the registers, Flint's buffer extension (uart_ext_bus_ops) takes
 * whole buffers from guest memory in one write.
 */
#ifndef FLINT_UART_H
#define FLINT_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"

/* Both sides buffer this much; the guest-visible FIFO is still 16550A's. */
#define UART_BUF_SIZE 4096

struct uart;

struct guest_mem;

struct uart_backend {
	/*
	 * Where guest output goes; -1 discards it.  The UART never waits for
	 * it: make it O_NONBLOCK if it can stall (pipe, terminal), and ignore
	 * SIGPIPE in the monitor.
	 */
	int out_fd;
	/*
	 * Called with the new level of the interrupt line, only when it
	 * changes; NULL when no line is wired.  Called with the UART's lock
	 * held (so levels from different threads arrive in order): it must
	 * not call back into the UART.
	 */
	void (*set_irq)(void *ctx, bool level);
	void *irq_ctx;
	/*
	 * Guest RAM, for the buffer extension (uart_ext_bus_ops); NULL turns
	 * the extension off (its ID register reads all ones).
	 */
	const struct guest_mem *mem;
	/*
	 * Host-side events, each optional, each called with the UART's lock
	 * held (so: no calling back into the UART) from whichever thread
	 * caused them, with ctx:
	 * out_failed  writing to out_fd failed for good (errno err), once;
	 *             output is discarded from then on.
	 * out_pending output was left buffered for a later uart_flush (no
	 *             newline yet, or out_fd would block).
	 * rx_room     the receiver has room again (half its buffer) after
	 *             uart_receive could not take everything.
	 * tx_expected the guest read LSR: a burst of THR writes may follow,
	 *             perhaps into a coalesced ring that only a tick replays.
	 */
	void (*out_failed)(void *ctx, int err);
	void (*out_pending)(void *ctx);
	void (*tx_expected)(void *ctx);
	void (*rx_room)(void *ctx);
	void *ctx;
};

/* NULL with errno on failure.  be is copied; NULL means discard, no IRQ. */
struct uart *uart_create(const struct uart_backend *be);
/* Flushes buffered output first (errors are dropped: use uart_flush). */
void uart_destroy(struct uart *u);

/*
 * dev is a struct uart *.  Offsets 0..7; a wider access uses byte 0 and
 * reads the rest as ones; offsets past 7 read as ones and ignore writes.
 */
extern const struct bus_ops uart_bus_ops;

/*
 * The buffer extension (FLINT_UART_EXT_* in flint/boot_abi.h): register it
 * at the UART's MMIO base + FLINT_UART_EXT_ID, 16 bytes; offsets are
 * relative to that.  dev is the same struct uart *.
 */
extern const struct bus_ops uart_ext_bus_ops;
#define UART_EXT_WINDOW 16

/*
 * Host input (e.g. stdin) into the receiver.  Returns how many bytes were
 * accepted: fewer than n when the buffer is full, none while the guest
 * holds the UART in loopback mode.  Retry the rest later.
 */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t n);

/*
 * Writes buffered guest output now.  0: all written.  -1 with errno
 * EAGAIN: out_fd would block, the rest stays buffered (retry when it is
 * writable; output that overflows the buffer meanwhile is dropped).  -1
 * with any other errno: writing failed (EPIPE, EBADF, ...); output is
 * discarded from then on, and every later call reports the same errno.
 */
int uart_flush(struct uart *u);

/* True when guest output waits in the buffer (an event loop flushes it). */
bool uart_output_pending(struct uart *u);

/*
 * True if the guest read LSR since the last call (and clears it): a
 * 16550A driver reads LSR before each burst of THR writes, which may be
 * waiting in a coalesced ring without an exit.
 */
bool uart_take_lsr_read(struct uart *u);
/* The same without clearing it. */
bool uart_lsr_read_pending(struct uart *u);

struct state_out;
struct state_in;

/*
 * The guest-visible state as a snapshot record (hw/state.h): registers,
 * interrupt state and the bytes waiting in the receiver.  Buffered output
 * is not in it (flush it first with uart_flush); the buffer extension
 * keeps no state (each write is served whole).  load goes into a UART
 * fresh from uart_create, changes nothing unless the whole record fits
 * (-1, the reason in err), and raises the interrupt line again if the
 * saved state had it up.
 */
int uart_save(struct uart *u, struct state_out *out);
int uart_load(struct uart *u, struct state_in *in, char *err, size_t errlen);

struct uart_counters {
	uint64_t ext_buffers;  /* buffers taken through the extension */
	uint64_t ext_bad;      /* extension writes dropped: buffer outside RAM, len 0 or too long */
	uint64_t dropped;      /* output bytes that never reached out_fd (it would block, or failed) */
	int out_err;           /* errno of the write failure; 0 if none */
};

void uart_get_counters(struct uart *u, struct uart_counters *c);

#endif
