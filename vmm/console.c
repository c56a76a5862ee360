/*
 * [console]: the 16550A UART (virtio/uart.c) wired to the machine: at MMIO
 * FLINT_UART_MMIO_GPA and I/O port 0x3f8, writes batched through the
 * coalesced ring, Flint's buffer extension next to it, output to stdout /
 * a file / nowhere (vmm/console_out.c), input from stdin; or, when
 * [console] device = virtio (vmm/vconsole.c) has those, output to stderr.
 *
 * Nothing here blocks the event loop or a vCPU: output descriptors are
 * non-blocking (a full one drops output and counts it, a failed one is
 * reported once), stdin is watched only while the UART can take input,
 * and the tick runs only while output waits for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "console_out.h"
#include "device_state.h"
#include "machine.h"
#include "stats.h"
#include "uart.h"

struct console {
	struct uart *uart;
	struct machine *m;
	struct console_out out;
	int wake_fd;           /* eventfd: the receiver has room again (any thread -> loop) */
	uint8_t pending[256];  /* stdin bytes the UART had no room for yet */
	size_t npending;
	bool input;            /* [console] input = stdin */
	bool input_eof;
	bool input_in_tick;    /* stdin is a regular file: epoll refuses those, the tick reads it */
	bool input_watched;    /* stdin is in the event loop */
	bool input_paused;     /* the UART is full: stdin waits for rx_room */
	bool out_watched;      /* output would block: waiting for EPOLLOUT */
	bool lsr_recent;       /* the guest read LSR during the last tick period */
};

static void console_push_input(struct console *c)
{
	size_t took = uart_receive(c->uart, c->pending, c->npending);

	memmove(c->pending, c->pending + took, c->npending - took);
	c->npending -= took;
}

/*
 * The UART cannot take more: stop watching stdin, or epoll reports it
 * readable for ever and the loop spins.  rx_room brings it back.
 */
static void console_pause_input(struct console *c)
{
	c->input_paused = true;
	if (c->input_watched && ev_del(&c->m->el, STDIN_FILENO) == 0)
		c->input_watched = false;
}

static void console_stdin(void *ctx, uint32_t events)
{
	struct console *c = ctx;
	ssize_t n;

	(void)events;
	if (c->input_eof || c->input_paused)
		return;
	if (!c->npending) {
		n = read(STDIN_FILENO, c->pending, sizeof(c->pending));
		if (n <= 0) {
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				return;
			c->input_eof = true;
			if (c->input_watched && ev_del(&c->m->el, STDIN_FILENO) == 0)
				c->input_watched = false;
			return;
		}
		c->npending = (size_t)n;
	}
	console_push_input(c);
	if (c->npending)
		console_pause_input(c);
}

/* uart rx_room, any thread, UART lock held: wake the loop (an eventfd
 * write is all a vCPU's filter allows, and all it takes). */
static void console_rx_room(void *ctx)
{
	struct console *c = ctx;
	uint64_t one = 1;

	if (write(c->wake_fd, &one, sizeof(one)) < 0)
		return; /* the counter is saturated: the loop is awake anyway */
}

static void console_wake(void *ctx, uint32_t events)
{
	struct console *c = ctx;
	uint64_t v;

	(void)events;
	if (read(c->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	if (!c->input_paused)
		return;
	console_push_input(c);
	if (c->npending)
		return; /* still full: the UART says again when it has room */
	c->input_paused = false;
	if (c->input_eof)
		return;
	if (c->input_in_tick)
		machine_want_tick(c->m);
	else if (ev_add(&c->m->el, STDIN_FILENO, EPOLLIN, console_stdin, c) == 0)
		c->input_watched = true;
}

/* uart out_pending / tx_expected: only a tick finishes this work. */
static void console_want_tick(void *ctx)
{
	struct console *c = ctx;

	machine_want_tick(c->m);
}

static void console_out_failed_hook(void *ctx, int err)
{
	struct console *c = ctx;

	atomic_store(&c->m->output_lost, true);
	console_out_failed(&c->out, err);
}

static void console_flush_output(struct console *c);

static void console_writable(void *ctx, uint32_t events)
{
	struct console *c = ctx;

	(void)events;
	if (c->out_watched && ev_del(&c->m->el, c->out.fd) == 0)
		c->out_watched = false;
	console_flush_output(c);
}

/* Writes what waits; output that would block waits for EPOLLOUT, not for ticks. */
static void console_flush_output(struct console *c)
{
	if (!uart_output_pending(c->uart) || uart_flush(c->uart) == 0 || errno != EAGAIN)
		return;
	if (!c->out_watched && ev_add(&c->m->el, c->out.fd, EPOLLOUT, console_writable, c) == 0)
		c->out_watched = true;
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
	c->out.fd = c->out.restore_fd = -1;
	c->out.report_fd = STDERR_FILENO;
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0) {
		snprintf(err, errlen, "console: eventfd: %s", strerror(errno));
		goto fail;
	}
	/* With a virtio console the guest's stdout and stdin are its; the UART
	 * carries stderr and early messages, which belong on flint's stderr. */
	if (m->cfg->console_device == CONSOLE_DEV_VIRTIO
		    ? console_out_adopt(&c->out, STDERR_FILENO, "stderr", err, errlen) < 0
		    : console_out_open(&c->out, m->cfg, err, errlen) < 0)
		goto fail;
	/* No interrupt line yet: Flint guests poll the UART.  The line comes
	 * with the user-space IOAPIC (Linux guests). */
	be.out_fd = c->out.fd;
	be.mem = &m->vm.mem;
	be.out_failed = console_out_failed_hook;
	be.out_pending = console_want_tick;
	be.tx_expected = console_want_tick;
	be.rx_room = console_rx_room;
	be.ctx = c;
	c->uart = uart_create(&be);
	if (!c->uart) {
		snprintf(err, errlen, "console: %s", strerror(errno));
		goto fail;
	}
	if (bus_register(&m->vm.mmio, FLINT_UART_MMIO_GPA, 8, "uart", &uart_bus_ops, c->uart) < 0 ||
	    bus_register(&m->vm.mmio, FLINT_UART_MMIO_GPA + FLINT_UART_EXT_ID, UART_EXT_WINDOW,
			 "uart buffer", &uart_ext_bus_ops, c->uart) < 0 ||
	    bus_register(&m->vm.pio, FLINT_UART_PIO_BASE, 8, "uart", &uart_bus_ops, c->uart) < 0) {
		snprintf(err, errlen, "console: cannot place the UART: %s", strerror(errno));
		goto fail;
	}
	/* Where the VM batches writes (vm_commit_coalesced), transmitting costs
	 * no exit: writes wait in the ring until the next exit or tick.  Reads
	 * (LSR, RBR) still exit, and the ring is replayed before any exit is
	 * handled, so the guest sees its writes in order.  The extension's
	 * window stays out of the zone: a buffer must be read while the guest
	 * waits for its write to complete. */
	if (vm_coalesce(&m->vm, false, FLINT_UART_MMIO_GPA, 8, err, errlen) < 0 ||
	    vm_coalesce(&m->vm, true, FLINT_UART_PIO_BASE, 8, err, errlen) < 0)
		goto fail;
	if (ev_add(&m->el, c->wake_fd, EPOLLIN, console_wake, c) < 0) {
		snprintf(err, errlen, "console: %s", strerror(errno));
		goto fail;
	}
	if (m->cfg->console_input == CONSOLE_IN_STDIN && m->cfg->console_device == CONSOLE_DEV_UART) {
		c->input = true;
		if (ev_add(&m->el, STDIN_FILENO, EPOLLIN, console_stdin, c) == 0) {
			c->input_watched = true;
		} else if (errno == EPERM) {
			c->input_in_tick = true;
			machine_want_tick(m);
		} else {
			snprintf(err, errlen, "console: cannot read stdin: %s", strerror(errno));
			goto fail;
		}
	}
	return c;
fail:
	console_stop(c);
	return NULL;
}

static int console_announce(void *state, struct machine *m, char *err, size_t errlen)
{
	(void)state;
	if (machine_add_param(m, "earlycon=uart8250,mmio,0x%llx",
			      (unsigned long long)FLINT_UART_MMIO_GPA) < 0 ||
	    machine_add_param(m, "console=ttyS0") < 0) {
		snprintf(err, errlen, "console: command line full");
		return -1;
	}
	return 0;
}

static void console_tick(void *state)
{
	struct console *c = state;

	if (c->input_in_tick)
		console_stdin(c, EPOLLIN);
	c->lsr_recent = uart_take_lsr_read(c->uart);
	if (!c->out_watched)
		console_flush_output(c);
}

/*
 * After a tick: output that waits for nothing but time (no newline yet),
 * a guest that polled LSR since the last tick (its THR writes may sit in
 * the coalesced ring, which only a tick or an exit replays), or stdin that
 * epoll cannot watch.  Output blocked on its reader waits for EPOLLOUT.
 */
static bool console_tick_wanted(void *state)
{
	struct console *c = state;

	/* lsr_recent covers reads before this tick's look, the pending flag
	 * reads since (their tx_expected found the tick still armed). */
	return (uart_output_pending(c->uart) && !c->out_watched) || c->lsr_recent ||
	       uart_lsr_read_pending(c->uart) ||
	       (c->input_in_tick && !c->input_eof && !c->input_paused);
}

/* The end of the run: what was lost is said once, counted, and in the status. */
static void console_report(struct console *c)
{
	struct stats *s = c->m->vm.stats;
	struct uart_counters n;

	uart_flush(c->uart);
	uart_get_counters(c->uart, &n);
	if (n.dropped) {
		atomic_store(&c->m->output_lost, true);
		if (!n.out_err)
			console_out_say(&c->out, "flint: console: %llu bytes of guest output dropped: "
					"%s was not being read fast enough\n",
					(unsigned long long)n.dropped, c->out.what);
	}
	if (n.out_err)
		atomic_store(&c->m->output_lost, true);
	if (s) {
		s->console_buffers = n.ext_buffers;
		s->console_bad_buffers = n.ext_bad;
		s->console_dropped = n.dropped;
		s->console_errno = n.out_err;
	}
}

static void console_stop(void *state)
{
	struct console *c = state;

	if (c->uart) {
		console_report(c);
		uart_destroy(c->uart);
	}
	console_out_close(&c->out);
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	free(c);
}

static int console_fds(void *state, int *fds, int max)
{
	struct console *c = state;
	int n = 0;

	if (n < max)
		fds[n++] = c->wake_fd;
	if (c->out.own_fd && n < max)
		fds[n++] = c->out.fd;
	if (c->out.own_report && n < max)
		fds[n++] = c->out.report_fd;
	return n;
}

/*
 * Snapshots: the UART's registers and receiver.  Output the guest wrote
 * before the save belongs to this run: it is written out now (or, when
 * the reader is not keeping up, as soon as it can be, by this process)
 * and never saved, so a restored VM prints only what it writes after.
 * stdin bytes the UART had no room for stay this process's input.
 */
static int console_save_one(void *obj, struct state_out *out)
{
	struct console *c = obj;

	console_flush_output(c);
	return uart_save(c->uart, out);
}

static int console_load_one(void *obj, struct state_in *in, char *err, size_t errlen)
{
	struct console *c = obj;

	return uart_load(c->uart, in, err, errlen);
}

static unsigned console_instance(void *state, struct device_instance *v)
{
	*v = (struct device_instance){ "console", state, NULL };
	return 1;
}

static const struct device_instance_ops console_state_ops = { console_save_one, console_load_one,
							      console_instance };

static int console_save(void *state, struct state_out *out)
{
	return device_state_save_module(&console_state_ops, state, out);
}

static int console_load(void *state, struct state_in *in, char *err, size_t errlen)
{
	return device_state_load_module(&console_state_ops, state, in, err, errlen);
}

const struct device_module console_module = {
	.name = "console",
	.setup = console_setup,
	.announce = console_announce,
	.tick = console_tick,
	.tick_wanted = console_tick_wanted,
	.stop = console_stop,
	.fds = console_fds,
	.save = console_save,
	.load = console_load,
	.state_version = 1,
};
