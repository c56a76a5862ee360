#include "check.h"
#include "guest_mem.h"
#include "state.h"
#include "uart.h"

#include <flint/boot_abi.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

enum { THR = 0, RBR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4,
       LSR = 5, MSR = 6, SCR = 7 };

static uint8_t rd(struct uart *u, uint64_t off)
{
	uint8_t v;

	uart_bus_ops.read(u, off, &v, 1);
	return v;
}

static void wr(struct uart *u, uint64_t off, uint8_t v)
{
	uart_bus_ops.write(u, off, &v, 1);
}

static void puts_uart(struct uart *u, const char *s)
{
	while (*s)
		wr(u, THR, (uint8_t)*s++);
}

struct irq_log {
	int calls;
	bool level;
};

static void log_irq(void *ctx, bool level)
{
	struct irq_log *l = ctx;

	l->calls++;
	l->level = level;
}

/* A UART writing into a pipe whose read end (p[0]) never blocks. */
static struct uart *uart_on_pipe(int p[2], struct irq_log *irq)
{
	struct uart_backend be = { .out_fd = -1 };

	if (pipe(p))
		return NULL;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	be.out_fd = p[1];
	if (irq) {
		be.set_irq = log_irq;
		be.irq_ctx = irq;
	}
	return uart_create(&be);
}

/* Bytes waiting in the pipe (0 when empty). */
static size_t drain(int fd, char *buf, size_t max)
{
	size_t got = 0;
	ssize_t n;

	while (got < max && (n = read(fd, buf + got, max - got)) > 0)
		got += (size_t)n;
	return got;
}

static void close_pipe(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
}

TEST(output_reaches_fd_at_newline)
{
	int p[2];
	struct uart *u = uart_on_pipe(p, NULL);
	char buf[64];

	CHECK(u);
	puts_uart(u, "hello");
	CHECK(drain(p[0], buf, sizeof(buf)) == 0);
	wr(u, THR, '\n');
	CHECK(drain(p[0], buf, sizeof(buf)) == 6);
	CHECK(!memcmp(buf, "hello\n", 6));
	CHECK(!uart_output_pending(u));
	uart_destroy(u);
	close_pipe(p);
}

TEST(no_write_per_byte_until_flush)
{
	int p[2];
	struct uart *u = uart_on_pipe(p, NULL);
	char buf[64];

	CHECK(u);
	puts_uart(u, "0123456789");
	CHECK(drain(p[0], buf, sizeof(buf)) == 0);
	CHECK(uart_output_pending(u));
	CHECK(uart_flush(u) == 0);
	CHECK(!uart_output_pending(u));
	CHECK(drain(p[0], buf, sizeof(buf)) == 10);
	CHECK(!memcmp(buf, "0123456789", 10));
	CHECK(uart_flush(u) == 0); /* nothing left: still fine */
	uart_destroy(u);
	close_pipe(p);
}

TEST(destroy_flushes)
{
	int p[2];
	struct uart *u = uart_on_pipe(p, NULL);
	char buf[64];

	CHECK(u);
	puts_uart(u, "bye");
	uart_destroy(u);
	CHECK(drain(p[0], buf, sizeof(buf)) == 3);
	CHECK(!memcmp(buf, "bye", 3));
	close_pipe(p);
}

TEST(long_output_complete_and_in_order)
{
	int p[2];
	struct uart *u = uart_on_pipe(p, NULL);
	size_t n = 3 * UART_BUF_SIZE + 123;
	char *buf = malloc(n + 16);

	CHECK(u && buf);
	for (size_t i = 0; i < n; i++)
		wr(u, THR, (uint8_t)('A' + i % 23));
	CHECK(uart_flush(u) == 0);
	CHECK(drain(p[0], buf, n + 16) == n);
	for (size_t i = 0; i < n; i++)
		if (buf[i] != 'A' + (char)(i % 23)) {
			CHECK(buf[i] == 'A' + (char)(i % 23));
			break;
		}
	free(buf);
	uart_destroy(u);
	close_pipe(p);
}

TEST(out_fd_minus_one_discards)
{
	struct uart_backend be = { .out_fd = -1 };
	struct uart *u = uart_create(&be);
	struct uart *v = uart_create(NULL);

	CHECK(u && v);
	puts_uart(u, "into the void\n");
	puts_uart(u, "no newline");
	CHECK(!uart_output_pending(u));
	CHECK(uart_flush(u) == 0);
	puts_uart(v, "also discarded");
	CHECK(uart_flush(v) == 0);
	CHECK(rd(u, LSR) == 0x60);
	uart_destroy(u);
	uart_destroy(v);
}

TEST(dlab_latch_leaves_thr_and_ier_alone)
{
	int p[2];
	struct uart *u = uart_on_pipe(p, NULL);
	char buf[8];

	CHECK(u);
	wr(u, IER, 0x05);
	wr(u, LCR, 0x83);
	wr(u, DLL, 0x0c);
	wr(u, DLM, 0x02);
	CHECK(rd(u, DLL) == 0x0c);
	CHECK(rd(u, DLM) == 0x02);
	CHECK(rd(u, LCR) == 0x83);
	wr(u, LCR, 0x03);
	CHECK(rd(u, IER) == 0x05);
	CHECK(uart_flush(u) == 0);
	CHECK(drain(p[0], buf, sizeof(buf)) == 0);
	CHECK(!uart_output_pending(u));
	/* And back: the latch kept its value. */
	wr(u, LCR, 0x80);
	CHECK(rd(u, DLL) == 0x0c && rd(u, DLM) == 0x02);
	uart_destroy(u);
	close_pipe(p);
}

TEST(lcr_mcr_scr_ier_read_back)
{
	struct uart *u = uart_create(NULL);

	CHECK(u);
	wr(u, LCR, 0x1b);
	CHECK(rd(u, LCR) == 0x1b);
	wr(u, MCR, 0x0b);
	CHECK(rd(u, MCR) == 0x0b);
	wr(u, MCR, 0xff); /* only five bits exist */
	CHECK(rd(u, MCR) == 0x1f);
	wr(u, MCR, 0);
	wr(u, SCR, 0xa5);
	CHECK(rd(u, SCR) == 0xa5);
	wr(u, SCR, 0x5a);
	CHECK(rd(u, SCR) == 0x5a);
	/* Linux's 8250 probe: IER bits above 3 must not stick (not an XScale). */
	wr(u, IER, 0xff);
	CHECK(rd(u, IER) == 0x0f);
	wr(u, IER, 0);
	CHECK(rd(u, IER) == 0);
	uart_destroy(u);
}

TEST(lsr_thre_temt_and_dr)
{
	struct uart *u = uart_create(NULL);

	CHECK(u);
	CHECK(rd(u, LSR) == 0x60);
	puts_uart(u, "xyz");
	CHECK(rd(u, LSR) == 0x60); /* the transmitter never fills */
	CHECK(uart_receive(u, (const uint8_t *)"k", 1) == 1);
	CHECK(rd(u, LSR) == 0x61);
	CHECK(rd(u, RBR) == 'k');
	CHECK(rd(u, LSR) == 0x60);
	uart_destroy(u);
}

TEST(rx_in_order_dr_clears)
{
	struct uart *u = uart_create(NULL);
	const char *msg = "ls -l\r";

	CHECK(u);
	CHECK(uart_receive(u, (const uint8_t *)msg, 6) == 6);
	for (int i = 0; i < 6; i++) {
		CHECK(rd(u, LSR) & 0x01);
		CHECK(rd(u, RBR) == (uint8_t)msg[i]);
	}
	CHECK(!(rd(u, LSR) & 0x01));
	rd(u, RBR); /* empty: harmless */
	CHECK(!(rd(u, LSR) & 0x01));
	uart_destroy(u);
}

TEST(rx_buffer_is_bounded)
{
	struct uart *u = uart_create(NULL);
	size_t n = UART_BUF_SIZE + 1000;
	uint8_t *in = malloc(n);

	CHECK(u && in);
	for (size_t i = 0; i < n; i++)
		in[i] = (uint8_t)i;
	CHECK(uart_receive(u, in, n) == UART_BUF_SIZE);
	CHECK(uart_receive(u, in, 1) == 0);
	CHECK(rd(u, RBR) == 0);
	CHECK(rd(u, RBR) == 1);
	CHECK(uart_receive(u, in + UART_BUF_SIZE, n - UART_BUF_SIZE) == 2);
	for (size_t i = 2; i < UART_BUF_SIZE + 2; i++)
		if (rd(u, RBR) != (uint8_t)i) {
			CHECK(!"bytes out of order");
			break;
		}
	CHECK(!(rd(u, LSR) & 0x03)); /* no overrun: host input is flow-controlled */
	free(in);
	uart_destroy(u);
}

TEST(iir_priorities)
{
	struct irq_log irq = { 0 };
	struct uart_backend be = { .out_fd = -1, .set_irq = log_irq, .irq_ctx = &irq };
	struct uart *u = uart_create(&be);

	CHECK(u);
	CHECK(rd(u, IIR) == 0x01);
	wr(u, FCR, 0x01); /* FIFOs on, trigger level 1 */
	CHECK(rd(u, IIR) == 0xc1);
	/* Loopback: overrun the receiver and change the modem inputs. */
	wr(u, MCR, 0x10);
	for (int i = 0; i <= UART_BUF_SIZE; i++)
		wr(u, THR, 'x');
	wr(u, IER, 0x0f);
	CHECK(irq.level);
	CHECK(rd(u, IIR) == 0xc6); /* receiver line status first */
	CHECK(rd(u, IIR) == 0xc6); /* ...until LSR is read */
	CHECK(rd(u, LSR) == 0x63);
	CHECK(rd(u, LSR) == 0x61); /* OE cleared by the read */
	CHECK(rd(u, IIR) == 0xc4); /* then data available */
	for (int i = 0; i < UART_BUF_SIZE; i++)
		rd(u, RBR);
	CHECK(rd(u, IIR) == 0xc2); /* then THR empty, cleared by this read */
	CHECK(rd(u, IIR) == 0xc0); /* then modem status */
	CHECK(irq.level);
	rd(u, MSR);
	CHECK(rd(u, IIR) == 0xc1);
	CHECK(!irq.level);
	uart_destroy(u);
}

TEST(rx_below_trigger_reports_timeout)
{
	struct uart *u = uart_create(NULL);

	CHECK(u);
	wr(u, FCR, 0xc7); /* FIFOs on, cleared, trigger level 14 */
	wr(u, IER, 0x01);
	CHECK(uart_receive(u, (const uint8_t *)"abc", 3) == 3);
	CHECK(rd(u, IIR) == 0xcc);
	CHECK(uart_receive(u, (const uint8_t *)"defghijklmn", 11) == 11);
	CHECK(rd(u, IIR) == 0xc4);
	wr(u, FCR, 0x00); /* FIFOs off: no timeout indication, and emptied */
	CHECK(rd(u, IIR) == 0x01);
	CHECK(uart_receive(u, (const uint8_t *)"a", 1) == 1);
	CHECK(rd(u, IIR) == 0x04);
	uart_destroy(u);
}

TEST(thre_interrupt_clears_on_iir_read)
{
	struct irq_log irq = { 0 };
	struct uart_backend be = { .out_fd = -1, .set_irq = log_irq, .irq_ctx = &irq };
	struct uart *u = uart_create(&be);

	CHECK(u);
	wr(u, IER, 0x02); /* holding register already empty: raised at once */
	CHECK(irq.level);
	CHECK(rd(u, IIR) == 0x02);
	CHECK(!irq.level);
	CHECK(rd(u, IIR) == 0x01);
	wr(u, THR, 'a'); /* sent at once: empty again */
	CHECK(irq.level);
	CHECK(rd(u, IIR) == 0x02);
	CHECK(rd(u, IIR) == 0x01);
	/* Reading IIR while a higher source shows does not clear THRE. */
	wr(u, THR, 'b');
	CHECK(uart_receive(u, (const uint8_t *)"z", 1) == 1);
	wr(u, IER, 0x03);
	CHECK(rd(u, IIR) == 0x04);
	rd(u, RBR);
	CHECK(rd(u, IIR) == 0x02);
	CHECK(rd(u, IIR) == 0x01);
	uart_destroy(u);
}

TEST(set_irq_only_on_level_change)
{
	struct irq_log irq = { 0 };
	struct uart_backend be = { .out_fd = -1, .set_irq = log_irq, .irq_ctx = &irq };
	struct uart *u = uart_create(&be);

	CHECK(u);
	wr(u, SCR, 1);
	wr(u, IER, 0x01);
	CHECK(irq.calls == 0);
	CHECK(uart_receive(u, (const uint8_t *)"ab", 2) == 2);
	CHECK(irq.calls == 1 && irq.level);
	CHECK(uart_receive(u, (const uint8_t *)"c", 1) == 1);
	rd(u, LSR);
	rd(u, IIR);
	wr(u, IER, 0x01);
	CHECK(irq.calls == 1);
	rd(u, RBR);
	rd(u, RBR);
	CHECK(irq.calls == 1);
	rd(u, RBR);
	CHECK(irq.calls == 2 && !irq.level);
	rd(u, RBR);
	wr(u, IER, 0x00);
	CHECK(irq.calls == 2);
	uart_destroy(u);
}

TEST(fcr_fifo_bits_and_rx_clear)
{
	struct uart *u = uart_create(NULL);

	CHECK(u);
	CHECK((rd(u, IIR) & 0xc0) == 0);
	wr(u, FCR, 0x01);
	CHECK((rd(u, IIR) & 0xc0) == 0xc0);
	CHECK(uart_receive(u, (const uint8_t *)"abcd", 4) == 4);
	wr(u, FCR, 0x05); /* clear TX only: RX stays */
	CHECK(rd(u, LSR) & 0x01);
	wr(u, FCR, 0x03);
	CHECK(!(rd(u, LSR) & 0x01));
	CHECK((rd(u, IIR) & 0xc0) == 0xc0);
	CHECK(uart_receive(u, (const uint8_t *)"ef", 2) == 2);
	wr(u, FCR, 0x00); /* turning the FIFOs off empties them */
	CHECK(!(rd(u, LSR) & 0x01));
	CHECK((rd(u, IIR) & 0xc0) == 0);
	uart_destroy(u);
}

TEST(loopback_mode)
{
	int p[2];
	struct uart *u = uart_on_pipe(p, NULL);
	char buf[16];

	CHECK(u);
	CHECK(rd(u, MSR) == 0xb0); /* a connected modem, nothing changed */
	/* Linux's 8250 autoconfig: loopback with OUT2|RTS must read DCD|CTS. */
	wr(u, MCR, 0x1a);
	CHECK((rd(u, MSR) & 0xf0) == 0x90);
	wr(u, MCR, 0x1f);
	CHECK(rd(u, MSR) == 0xf2); /* DSR and RI rose: only DSR has a delta */
	wr(u, MCR, 0x10);
	CHECK(rd(u, MSR) == 0x0f); /* all fell: RI's trailing edge reported */
	puts_uart(u, "hi\n");
	CHECK(rd(u, RBR) == 'h');
	CHECK(rd(u, RBR) == 'i');
	CHECK(rd(u, RBR) == '\n');
	CHECK(!(rd(u, LSR) & 0x01));
	CHECK(uart_receive(u, (const uint8_t *)"host", 4) == 0);
	CHECK(uart_flush(u) == 0);
	CHECK(drain(p[0], buf, sizeof(buf)) == 0);
	wr(u, MCR, 0x03);
	CHECK(rd(u, MSR) == 0xbb);
	CHECK(rd(u, MSR) == 0xb0);
	puts_uart(u, "out\n");
	CHECK(drain(p[0], buf, sizeof(buf)) == 4);
	CHECK(uart_receive(u, (const uint8_t *)"host", 4) == 4);
	uart_destroy(u);
	close_pipe(p);
}

TEST(modem_status_interrupt)
{
	struct irq_log irq = { 0 };
	struct uart_backend be = { .out_fd = -1, .set_irq = log_irq, .irq_ctx = &irq };
	struct uart *u = uart_create(&be);

	CHECK(u);
	wr(u, IER, 0x08);
	CHECK(!irq.level);
	wr(u, MCR, 0x10);
	CHECK(irq.level);
	CHECK(rd(u, IIR) == 0x00);
	CHECK(rd(u, MSR) == 0x0b);
	CHECK(!irq.level);
	uart_destroy(u);
}

TEST(wide_and_out_of_range_accesses)
{
	int p[2];
	struct uart *u = uart_on_pipe(p, NULL);
	uint8_t d[8];
	char buf[16];

	CHECK(u);
	uart_bus_ops.read(u, LSR, d, 4);
	CHECK(d[0] == 0x60 && d[1] == 0xff && d[2] == 0xff && d[3] == 0xff);
	memcpy(d, "\x42\x01\x02\x03\x04\x05\x06\x07", 8);
	uart_bus_ops.write(u, SCR, d, 4);
	CHECK(rd(u, SCR) == 0x42);
	uart_bus_ops.write(u, THR, (const uint8_t *)"ok\n\n\n\n\n\n", 8);
	uart_bus_ops.write(u, THR, (const uint8_t *)"\n", 2);
	CHECK(drain(p[0], buf, sizeof(buf)) == 2);
	CHECK(buf[0] == 'o' && buf[1] == '\n');
	memset(d, 0, sizeof(d));
	uart_bus_ops.read(u, 8, d, 8);
	for (int i = 0; i < 8; i++)
		CHECK(d[i] == 0xff);
	uart_bus_ops.read(u, UINT64_MAX, d, 1);
	CHECK(d[0] == 0xff);
	uart_bus_ops.write(u, 8, d, 8);
	uart_bus_ops.write(u, 0x1000, d, 1);
	uart_bus_ops.write(u, SCR, d, 0);
	uart_bus_ops.read(u, SCR, d, 0);
	CHECK(rd(u, SCR) == 0x42);
	CHECK(rd(u, LCR) == 0 && rd(u, IER) == 0);
	uart_destroy(u);
	close_pipe(p);
}

TEST(closed_pipe_does_not_crash)
{
	int p[2];
	struct uart *u;

	signal(SIGPIPE, SIG_IGN);
	u = uart_on_pipe(p, NULL);
	CHECK(u);
	close(p[0]);
	p[0] = -1;
	puts_uart(u, "nobody listens\n");
	errno = 0;
	CHECK(uart_flush(u) == -1 && errno == EPIPE);
	puts_uart(u, "still nobody\n");
	for (int i = 0; i < 2 * UART_BUF_SIZE; i++)
		wr(u, THR, 'x');
	CHECK(!uart_output_pending(u));
	errno = 0;
	CHECK(uart_flush(u) == -1 && errno == EPIPE); /* sticky: say it once, stop */
	CHECK(rd(u, LSR) == 0x60);
	uart_destroy(u);
	close_pipe(p);
}

TEST(blocked_fd_keeps_output_for_later)
{
	int p[2];
	struct uart *u = uart_on_pipe(p, NULL);
	char junk[4096], buf[64];
	size_t filled = 0;
	ssize_t n;

	CHECK(u);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	memset(junk, '.', sizeof(junk));
	while ((n = write(p[1], junk, sizeof(junk))) > 0)
		filled += (size_t)n;
	CHECK(n < 0 && errno == EAGAIN);
	puts_uart(u, "later\n");
	errno = 0;
	CHECK(uart_flush(u) == -1 && errno == EAGAIN);
	CHECK(uart_output_pending(u));
	while (filled) {
		size_t want = filled < sizeof(junk) ? filled : sizeof(junk);
		size_t got = drain(p[0], junk, want);

		CHECK(got == want);
		if (got != want)
			break;
		filled -= got;
	}
	CHECK(uart_flush(u) == 0);
	CHECK(!uart_output_pending(u));
	CHECK(drain(p[0], buf, sizeof(buf)) == 6);
	CHECK(!memcmp(buf, "later\n", 6));
	uart_destroy(u);
	close_pipe(p);
}

TEST(blocked_fd_full_buffer_drops_without_crashing)
{
	int p[2];
	struct uart *u = uart_on_pipe(p, NULL);
	char junk[4096];
	size_t total = 0;
	ssize_t n;

	CHECK(u);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	memset(junk, '.', sizeof(junk));
	while (write(p[1], junk, sizeof(junk)) > 0)
		;
	for (int i = 0; i < 3 * UART_BUF_SIZE; i++)
		wr(u, THR, 'y');
	CHECK(uart_output_pending(u));
	while (read(p[0], junk, sizeof(junk)) > 0)
		;
	CHECK(uart_flush(u) == 0);
	while ((n = read(p[0], junk, sizeof(junk))) > 0)
		for (ssize_t i = 0; i < n; i++)
			total += junk[i] == 'y';
	CHECK(total == UART_BUF_SIZE); /* one buffer's worth kept, the rest lost */
	uart_destroy(u);
	close_pipe(p);
}

struct writer {
	struct uart *u;
	int lines;
};

static void *write_lines(void *arg)
{
	struct writer *w = arg;

	for (int i = 0; i < w->lines; i++)
		puts_uart(w->u, "0123456789abcdef\n");
	return NULL;
}

TEST(concurrent_writers_and_flushes)
{
	int p[2];
	struct uart *u = uart_on_pipe(p, NULL);
	struct writer w = { u, 500 };
	pthread_t t[2];
	static char buf[2 * 500 * 17 + 64];
	size_t got = 0, lines = 0;

	CHECK(u);
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&t[i], NULL, write_lines, &w) == 0);
	for (int i = 0; i < 1000; i++) {
		uart_flush(u);
		uart_receive(u, (const uint8_t *)"k", 1);
		rd(u, RBR);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	CHECK(uart_flush(u) == 0);
	got = drain(p[0], buf, sizeof(buf));
	CHECK(got == 2 * 500 * 17); /* bytes of two writers interleave; none lost */
	for (size_t i = 0; i < got; i++)
		lines += buf[i] == '\n';
	CHECK(lines == 1000);
	uart_destroy(u);
	close_pipe(p);
}

/* ---- the buffer extension (FLINT_UART_EXT_*) ---- */

#define RAM_SIZE (64 * 1024)

struct ext_rig {
	int p[2];
	struct guest_mem mem;
	struct uart *u;
};

/* A UART with the extension on, over RAM_SIZE bytes of "guest RAM". */
static bool ext_rig_init(struct ext_rig *r)
{
	struct uart_backend be = { .out_fd = -1 };

	r->mem.size = RAM_SIZE;
	r->mem.host = calloc(1, RAM_SIZE);
	if (!r->mem.host || pipe(r->p))
		return false;
	fcntl(r->p[0], F_SETFL, O_NONBLOCK);
	be.out_fd = r->p[1];
	be.mem = &r->mem;
	r->u = uart_create(&be);
	return r->u != NULL;
}

static void ext_rig_fini(struct ext_rig *r)
{
	uart_destroy(r->u);
	close_pipe(r->p);
	free(r->mem.host);
}

static void ext_tx(struct uart *u, uint64_t gpa, uint64_t len)
{
	uint64_t v = len << 32 | gpa;
	uint8_t d[8];

	for (int i = 0; i < 8; i++)
		d[i] = (uint8_t)(v >> (8 * i));
	uart_ext_bus_ops.write(u, FLINT_UART_EXT_TX - FLINT_UART_EXT_ID, d, 8);
}

static struct uart_counters counters(struct uart *u)
{
	struct uart_counters c;

	uart_get_counters(u, &c);
	return c;
}

TEST(ext_id_reads_magic_and_limit)
{
	struct ext_rig r;
	uint8_t d[8];
	uint64_t v = 0;

	CHECK(ext_rig_init(&r));
	uart_ext_bus_ops.read(r.u, 0, d, 8);
	for (int i = 7; i >= 0; i--)
		v = v << 8 | d[i];
	CHECK((uint32_t)v == FLINT_UART_EXT_MAGIC);
	CHECK(v >> 32 == FLINT_UART_EXT_MAX);
	uart_ext_bus_ops.read(r.u, 0, d, 4);
	CHECK(d[0] == 'F' && d[1] == 'L' && d[2] == 'X' && d[3] == 'T');
	uart_ext_bus_ops.read(r.u, 8, d, 8); /* TX reads as nothing */
	CHECK(d[0] == 0xff && d[7] == 0xff);
	ext_rig_fini(&r);
}

TEST(ext_off_without_guest_memory)
{
	int p[2];
	struct uart *u = uart_on_pipe(p, NULL);
	uint8_t d[8];
	char buf[16];

	CHECK(u);
	uart_ext_bus_ops.read(u, 0, d, 8);
	for (int i = 0; i < 8; i++)
		CHECK(d[i] == 0xff);
	ext_tx(u, 0x1000, 4);
	CHECK(uart_flush(u) == 0);
	CHECK(drain(p[0], buf, sizeof(buf)) == 0);
	uart_destroy(u);
	close_pipe(p);
}

TEST(ext_buffer_written_in_order_with_thr)
{
	struct ext_rig r;
	char buf[64];

	CHECK(ext_rig_init(&r));
	memcpy(r.mem.host + 0x2000, "middle ", 7);
	puts_uart(r.u, "first ");
	ext_tx(r.u, 0x2000, 7);
	puts_uart(r.u, "last\n");
	CHECK(drain(r.p[0], buf, sizeof(buf)) == 18);
	CHECK(!memcmp(buf, "first middle last\n", 18));
	CHECK(counters(r.u).ext_buffers == 1 && counters(r.u).ext_bad == 0);
	/* one write per buffer: it is out without waiting for a newline */
	memcpy(r.mem.host + RAM_SIZE - 3, "end", 3);
	ext_tx(r.u, RAM_SIZE - 3, 3);
	CHECK(drain(r.p[0], buf, sizeof(buf)) == 3 && !memcmp(buf, "end", 3));
	CHECK(!uart_output_pending(r.u));
	ext_rig_fini(&r);
}

TEST(ext_bad_buffers_dropped_and_counted)
{
	struct ext_rig r;
	char buf[64];

	CHECK(ext_rig_init(&r));
	memset(r.mem.host, 'x', RAM_SIZE);
	ext_tx(r.u, 0x1000, 0);                          /* len 0 */
	ext_tx(r.u, 0x1000, FLINT_UART_EXT_MAX + 1);     /* longer than the limit */
	ext_tx(r.u, 0x1000, 0xffffffffull);              /* huge */
	ext_tx(r.u, RAM_SIZE, 1);                        /* starts at the end of RAM */
	ext_tx(r.u, RAM_SIZE - 1, 2);                    /* ends one byte past RAM */
	ext_tx(r.u, 0xfffffff0ull, 0x20);                /* 32-bit wrap: not RAM either */
	ext_tx(r.u, 0xd0000000ull, 16);                  /* the MMIO hole */
	CHECK(counters(r.u).ext_bad == 7);
	CHECK(counters(r.u).ext_buffers == 0);
	CHECK(uart_flush(r.u) == 0);
	CHECK(drain(r.p[0], buf, sizeof(buf)) == 0);
	/* other widths and offsets are not TX at all */
	uart_ext_bus_ops.write(r.u, 8, (const uint8_t *)"\x00\x10\x00\x00", 4);
	uart_ext_bus_ops.write(r.u, 0, (const uint8_t *)"\x00\x10\x00\x00\x01\x00\x00\x00", 8);
	CHECK(counters(r.u).ext_bad == 7);
	CHECK(drain(r.p[0], buf, sizeof(buf)) == 0);
	/* the device still works after all that */
	ext_tx(r.u, RAM_SIZE - FLINT_UART_EXT_MAX, FLINT_UART_EXT_MAX);
	CHECK(counters(r.u).ext_buffers == 1);
	CHECK(drain(r.p[0], buf, sizeof(buf)) == sizeof(buf));
	ext_rig_fini(&r);
}

TEST(ext_buffer_in_loopback_goes_to_receiver)
{
	struct ext_rig r;
	char buf[8];

	CHECK(ext_rig_init(&r));
	memcpy(r.mem.host + 64, "lo", 2);
	wr(r.u, MCR, 0x10);
	ext_tx(r.u, 64, 2);
	CHECK(rd(r.u, RBR) == 'l' && rd(r.u, RBR) == 'o');
	CHECK(drain(r.p[0], buf, sizeof(buf)) == 0);
	ext_rig_fini(&r);
}

TEST(ext_full_fd_drops_and_counts)
{
	struct ext_rig r;
	char junk[4096];

	CHECK(ext_rig_init(&r));
	fcntl(r.p[1], F_SETFL, O_NONBLOCK);
	memset(junk, '.', sizeof(junk));
	while (write(r.p[1], junk, sizeof(junk)) > 0)
		;
	for (int i = 0; i < 3; i++)
		ext_tx(r.u, 0, FLINT_UART_EXT_MAX);
	CHECK(counters(r.u).ext_buffers == 3);
	CHECK(counters(r.u).dropped == 2 * FLINT_UART_EXT_MAX); /* one buffer's worth kept */
	CHECK(uart_output_pending(r.u));
	ext_rig_fini(&r);
}

struct events {
	int failed, failed_err, pending, room, expected;
};

static void ev_failed(void *ctx, int err) { ((struct events *)ctx)->failed++; ((struct events *)ctx)->failed_err = err; }
static void ev_pending(void *ctx) { ((struct events *)ctx)->pending++; }
static void ev_room(void *ctx) { ((struct events *)ctx)->room++; }
static void ev_expected(void *ctx) { ((struct events *)ctx)->expected++; }

TEST(backend_events)
{
	struct events e = { 0 };
	struct uart_backend be = { .out_fd = -1, .out_failed = ev_failed, .out_pending = ev_pending,
				   .rx_room = ev_room, .tx_expected = ev_expected, .ctx = &e };
	static uint8_t in[UART_BUF_SIZE + 10];
	int p[2];
	struct uart *u;

	signal(SIGPIPE, SIG_IGN);
	CHECK(pipe(p) == 0);
	be.out_fd = p[1];
	u = uart_create(&be);
	CHECK(u);
	puts_uart(u, "ab");
	CHECK(e.pending == 1); /* once per tail, not per byte */
	rd(u, LSR);
	CHECK(e.expected == 1 && uart_take_lsr_read(u) && !uart_take_lsr_read(u));
	CHECK(uart_receive(u, in, sizeof(in)) == UART_BUF_SIZE);
	for (int i = 0; i < UART_BUF_SIZE / 2 - 1; i++)
		rd(u, RBR);
	CHECK(e.room == 0);
	rd(u, RBR);
	CHECK(e.room == 1); /* half empty again */
	rd(u, RBR);
	CHECK(e.room == 1);
	close(p[0]);
	p[0] = -1;
	puts_uart(u, "\n");
	puts_uart(u, "more\n");
	CHECK(e.failed == 1 && e.failed_err == EPIPE);
	CHECK(counters(u).out_err == EPIPE && counters(u).dropped == 8);
	uart_destroy(u);
	close_pipe(p);
}

/* Snapshots (uart_save / uart_load). */

static struct state_out uart_record(struct uart *u)
{
	struct state_out o = { 0 };

	CHECK(uart_save(u, &o) == 0 && !o.failed);
	return o;
}

/* Loads rec into u; the whole record must be used. */
static int uart_load_all(struct uart *u, const uint8_t *rec, size_t len, char *err, size_t errlen)
{
	struct state_in in = state_in_make(rec, len);

	if (uart_load(u, &in, err, errlen) < 0)
		return -1;
	if (!state_in_done(&in)) {
		snprintf(err, errlen, "%s", in.why);
		return -1;
	}
	return 0;
}

/* A UART the guest has configured and fed, with a received byte pending behind the head. */
static struct uart *busy_uart(struct uart_backend *be)
{
	struct uart *u = uart_create(be);

	wr(u, LCR, 0x80);
	wr(u, DLL, 0x0c);
	wr(u, DLM, 0x01);
	wr(u, LCR, 0x03);
	wr(u, FCR, 0x81);
	wr(u, MCR, 0x0b);
	wr(u, SCR, 0x5a);
	wr(u, IER, 0x05);
	CHECK(uart_receive(u, (const uint8_t *)"xhello", 6) == 6);
	CHECK(rd(u, RBR) == 'x'); /* the receiver's head is no longer at 0 */
	return u;
}

TEST(state_round_trip_same_bytes)
{
	struct uart *a = busy_uart(NULL), *b = uart_create(NULL), *c = uart_create(NULL);
	struct state_out ra = uart_record(a), rb, rc;
	char err[200] = "";

	CHECK(uart_load_all(b, ra.buf, ra.len, err, sizeof(err)) == 0);
	rb = uart_record(b);
	CHECK(rb.len == ra.len && !memcmp(rb.buf, ra.buf, ra.len));
	/* A fresh UART round-trips too. */
	rc = uart_record(c);
	CHECK(uart_load_all(c, rc.buf, rc.len, err, sizeof(err)) == 0);
	state_out_free(&ra);
	state_out_free(&rb);
	state_out_free(&rc);
	uart_destroy(a);
	uart_destroy(b);
	uart_destroy(c);
}

TEST(state_loaded_uart_works_as_before)
{
	struct irq_log irq = { 0 };
	struct uart *a = busy_uart(NULL), *b;
	struct state_out r = uart_record(a);
	char err[200] = "", got[6] = "";
	int p[2];

	b = uart_on_pipe(p, &irq);
	CHECK(uart_load_all(b, r.buf, r.len, err, sizeof(err)) == 0);
	/* The guest had not taken its data-available interrupt: the line rises again. */
	CHECK(irq.calls == 1 && irq.level);
	CHECK(rd(b, LCR) == 0x03 && rd(b, MCR) == 0x0b && rd(b, SCR) == 0x5a && rd(b, IER) == 0x05);
	CHECK(rd(b, IIR) == 0xcc); /* FIFO on, 5 bytes below trigger 8: timeout */
	wr(b, LCR, 0x83);
	CHECK(rd(b, DLL) == 0x0c && rd(b, DLM) == 0x01);
	wr(b, LCR, 0x03);
	for (int i = 0; i < 5; i++)
		got[i] = (char)rd(b, RBR);
	CHECK(!memcmp(got, "hello", 5));
	CHECK(!(rd(b, LSR) & 0x01) && !irq.level);
	/* Output goes to the new backend. */
	puts_uart(b, "ok\n");
	CHECK(drain(p[0], got, sizeof(got)) == 3 && !memcmp(got, "ok\n", 3));
	state_out_free(&r);
	uart_destroy(a);
	uart_destroy(b);
	close_pipe(p);
}

TEST(state_output_is_never_saved)
{
	int p[2], q[2];
	struct uart *a = uart_on_pipe(p, NULL), *b = uart_on_pipe(q, NULL);
	struct state_out ra, rb;

	puts_uart(a, "buffered, no newline yet");
	puts_uart(b, "x");
	CHECK(uart_output_pending(a));
	ra = uart_record(a);
	rb = uart_record(b);
	CHECK(ra.len == rb.len && !memcmp(ra.buf, rb.buf, rb.len));
	state_out_free(&ra);
	state_out_free(&rb);
	uart_destroy(a);
	uart_destroy(b);
	close_pipe(p);
	close_pipe(q);
}

TEST(state_truncated_or_impossible_records_refused)
{
	/* Offsets in the record: IER LCR MCR SCR DLL DLM FCR MSR OE THRE u16-count bytes. */
	static const struct { unsigned off; uint8_t v; const char *why; } bad[] = {
		{ 0, 0x10, "IER" },          { 2, 0x20, "MCR" },
		{ 6, 0x80, "FCR" },          { 6, 0x09, "FCR" },
		{ 7, 0x00, "MSR" },          { 8, 2, "not a boolean" },
		{ 9, 7, "not a boolean" },   { 11, 0x20, "more bytes" },
		{ 10, 6, "truncated" },
	};
	struct uart *a = busy_uart(NULL);
	struct state_out r = uart_record(a);
	uint8_t *m = malloc(r.len + 1);
	char err[200];

	CHECK(r.len == 12 + 5);
	for (size_t len = 0; len < r.len; len++) {
		struct uart *b = uart_create(NULL);

		err[0] = 0;
		CHECK(uart_load_all(b, r.buf, len, err, sizeof(err)) < 0);
		CHECK_CONTAINS(err, "truncated");
		uart_destroy(b);
	}
	memcpy(m, r.buf, r.len);
	m[r.len] = 0;
	{
		struct uart *b = uart_create(NULL);

		CHECK(uart_load_all(b, m, r.len + 1, err, sizeof(err)) < 0);
		CHECK_CONTAINS(err, "trailing");
		uart_destroy(b);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct uart *b = uart_create(NULL);
		struct state_out fresh = uart_record(b), after;

		memcpy(m, r.buf, r.len);
		m[bad[i].off] = bad[i].v;
		err[0] = 0;
		CHECK(uart_load_all(b, m, r.len, err, sizeof(err)) < 0);
		CHECK_CONTAINS(err, bad[i].why);
		/* Refused means untouched. */
		after = uart_record(b);
		CHECK(after.len == fresh.len && !memcmp(after.buf, fresh.buf, fresh.len));
		state_out_free(&fresh);
		state_out_free(&after);
		uart_destroy(b);
	}
	free(m);
	state_out_free(&r);
	uart_destroy(a);
}

/* Whatever one byte of a record becomes, the UART refuses it or takes it whole. */
TEST(state_any_byte_changed_refused_or_round_trips)
{
	static const uint8_t vals[] = { 0x00, 0x01, 0x0f, 0x10, 0x7f, 0x80, 0xff };
	struct uart *a = busy_uart(NULL);
	struct state_out r = uart_record(a);
	uint8_t *m = malloc(r.len);
	char err[200];

	for (size_t i = 0; i < r.len; i++) {
		for (size_t k = 0; k < sizeof(vals); k++) {
			struct uart *b = uart_create(NULL);

			memcpy(m, r.buf, r.len);
			m[i] = vals[k];
			if (uart_load_all(b, m, r.len, err, sizeof(err)) == 0) {
				struct state_out again = uart_record(b);

				CHECK(again.len == r.len && !memcmp(again.buf, m, r.len));
				state_out_free(&again);
				for (int reg = 0; reg < 8; reg++)
					rd(b, reg);
			}
			uart_destroy(b);
		}
	}
	free(m);
	state_out_free(&r);
	uart_destroy(a);
}

CHECK_MAIN()
