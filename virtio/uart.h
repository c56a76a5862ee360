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

#endif
