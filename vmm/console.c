/*
 * [console]: the 16550A UART (virtio/uart.c) wired to the machine: at MMIO
 * FLINT_UART_MMIO_GPA and I/O port 0x3f8, writes batched through the
 * coalesced ring, output to stdout / a file / nowhere, input from stdin.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "machine.h"
#include "uart.h"

struct console {
	struct uart *uart;
	struct machine *m;
	int out_fd;            /* owned when it is a file */
	bool own_out;
	uint8_t pending[256];  /* stdin bytes the UART had no room for yet */
	size_t npending;
	bool input_eof;
	bool input_in_tick;    /* stdin is a regular file: epoll refuses those */
};

static void console_push_input(struct console *c)
{
	size_t took = uart_receive(c->uart, c->pending, c->npending);

	memmove(c->pending, c->pending + took, c->npending - took);
	c->npending -= took;
}

static void console_stdin(void *ctx, uint32_t events)
{
	struct console *c = ctx;
	ssize_t n;

	(void)events;
	if (c->input_eof)
		return;
	if (c->npending) /* the guest has not caught up: leave stdin unread */
		return console_push_input(c);
	n = read(STDIN_FILENO, c->pending, sizeof(c->pending));
	if (n <= 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		c->input_eof = true;
		if (!c->input_in_tick)
			ev_del(&c->m->el, STDIN_FILENO);
		return;
	}
	c->npending = (size_t)n;
	console_push_input(c);
}

static int console_open_output(struct console *c, const struct config *cfg, char *err, size_t errlen)
{
	switch (cfg->console_output) {
	case CONSOLE_OUT_STDOUT:
		c->out_fd = STDOUT_FILENO;
		return 0;
	case CONSOLE_OUT_NONE:
		c->out_fd = -1;
		return 0;
	case CONSOLE_OUT_FILE:
		c->out_fd = open(cfg->console_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (c->out_fd < 0) {
			snprintf(err, errlen, "%s: [console] output = file:%s: %s", cfg->source,
				 cfg->console_path, strerror(errno));
			return -1;
		}
		c->own_out = true;
		return 0;
	}
	return -1;
}

static void console_stop(void *state);

static void *console_setup(struct machine *m, char *err, size_t errlen)
{
	struct console *c = calloc(1, sizeof(*c));
	struct uart_backend be = { .out_fd = -1 };

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->m = m;
	if (console_open_output(c, m->cfg, err, errlen) < 0) {
		free(c);
		return NULL;
	}
	/* No interrupt line yet: Flint guests poll the UART.  The line comes
	 * with the user-space IOAPIC (Linux guests). */
	be.out_fd = c->out_fd;
	c->uart = uart_create(&be);
	if (!c->uart) {
		snprintf(err, errlen, "console: %s", strerror(errno));
		goto fail;
	}
	if (bus_register(&m->vm.mmio, FLINT_UART_MMIO_GPA, 8, "uart", &uart_bus_ops, c->uart) < 0 ||
	    bus_register(&m->vm.pio, FLINT_UART_PIO_BASE, 8, "uart", &uart_bus_ops, c->uart) < 0) {
		snprintf(err, errlen, "console: cannot place the UART: %s", strerror(errno));
		goto fail;
	}
	/* Where the VM batches writes (vm_commit_coalesced), transmitting costs
	 * no exit: writes wait in the ring until the next exit or tick.  Reads
	 * (LSR, RBR) still exit, and the ring is replayed before any exit is
	 * handled, so the guest sees its writes in order. */
	if (vm_coalesce(&m->vm, false, FLINT_UART_MMIO_GPA, 8, err, errlen) < 0 ||
	    vm_coalesce(&m->vm, true, FLINT_UART_PIO_BASE, 8, err, errlen) < 0)
		goto fail;
	if (m->cfg->console_input == CONSOLE_IN_STDIN &&
	    ev_add(&m->el, STDIN_FILENO, EPOLLIN, console_stdin, c) < 0) {
		if (errno != EPERM) {
			snprintf(err, errlen, "console: cannot read stdin: %s", strerror(errno));
			goto fail;
		}
		c->input_in_tick = true;
	}
	if (machine_add_param(m, "earlycon=uart8250,mmio,0x%llx",
			      (unsigned long long)FLINT_UART_MMIO_GPA) < 0 ||
	    machine_add_param(m, "console=ttyS0") < 0) {
		snprintf(err, errlen, "console: command line full");
		goto fail;
	}
	return c;
fail:
	console_stop(c);
	return NULL;
}

static void console_tick(void *state)
{
	struct console *c = state;

	if (c->input_in_tick)
		console_stdin(c, EPOLLIN);
	else if (c->npending)
		console_push_input(c);
	if (uart_output_pending(c->uart))
		uart_flush(c->uart);
}

static void console_stop(void *state)
{
	struct console *c = state;

	if (c->uart)
		uart_destroy(c->uart);
	if (c->own_out)
		close(c->out_fd);
	free(c);
}

static int console_fds(void *state, int *fds, int max)
{
	struct console *c = state;

	if (!c->own_out || max < 1)
		return 0;
	fds[0] = c->out_fd;
	return 1;
}

const struct device_module console_module = {
	.name = "console",
	.setup = console_setup,
	.tick = console_tick,
	.stop = console_stop,
	.fds = console_fds,
};
