/*
 * The console.  Output is buffered here and handed out at a newline, when
 * the buffer fills, before halting and at exit, one of two ways:
 *
 * - Flint's buffer extension (FLINT_UART_EXT_* in flint/boot_abi.h): one
 *   8-byte write hands the monitor the whole buffer, one exit per flush.
 *   Detected by one read of its ID register, which reads 0 under QEMU
 *   microvm (nothing is mapped there) and all ones on an empty bus; no
 *   write goes to the extension before the magic was seen.
 * - Otherwise a 16550A driven like a FIFO driver: on Flint each register
 *   read is an exit to the monitor (~25 us from ring 3) while writes to
 *   the MMIO UART may be batched without exits, so every burst of up to
 *   16 bytes (the transmit FIFO) costs one LSR read.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <flint/boot_abi.h>

#include <flint.h>

#include "arch/x86_64/cpu.h"
#include "kernel/console.h"

#define UART_THR 0
#define UART_FCR 2
#define UART_LCR 3
#define UART_RBR 0
#define UART_LSR 5
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define FCR_ENABLE_AND_CLEAR 0x07
#define LCR_8N1 0x03
#define UART_FIFO 16
/* A missing UART must not hang the guest: give up waiting after this many reads. */
#define THRE_POLLS 100000

static struct {
	bool mmio;
	uintptr_t base;
	bool dead;          /* THRE never came: stop waiting for it */
	uint32_t ext_max;   /* the buffer extension takes this much at once; 0: absent */
} uart = { false, FLINT_UART_PIO_BASE, false, 0 };

static char buf[1024];
static size_t used;

static void uart_out(unsigned reg, uint8_t v)
{
	if (uart.mmio)
		mmio_write8(uart.base + reg, v);
	else
		outb((uint16_t)(uart.base + reg), v);
}

static uint8_t uart_in(unsigned reg)
{
	return uart.mmio ? mmio_read8(uart.base + reg) : inb((uint16_t)(uart.base + reg));
}

static void wait_thre(void)
{
	for (unsigned i = 0; !uart.dead; i++) {
		if (uart_in(UART_LSR) & LSR_THRE)
			return;
		if (i == THRE_POLLS)
			uart.dead = true;
	}
}

/*
 * The extension sits next to Flint's UART, which is both the MMIO one at
 * FLINT_UART_MMIO_GPA and port 0x3f8; another UART has no such neighbour.
 * Reading is the whole probe: nothing is written unless it answered.
 */
static void probe_ext(void)
{
	uint64_t id;

	if (uart.mmio ? uart.base != FLINT_UART_MMIO_GPA : uart.base != FLINT_UART_PIO_BASE)
		return;
	id = mmio_read64(FLINT_UART_MMIO_GPA + FLINT_UART_EXT_ID);
	if ((uint32_t)id == FLINT_UART_EXT_MAGIC && (id >> 32) != 0)
		uart.ext_max = (uint32_t)(id >> 32);
}

/* "uart8250,mmio,0xd0000000[,options]" (or "uart," / "io,PORT"); false if not understood. */
static bool parse_earlycon(const char *s)
{
	bool mmio;
	char *end;
	unsigned long long addr;

	if (!strncmp(s, "uart8250,", 9))
		s += 9;
	else if (!strncmp(s, "uart,", 5))
		s += 5;
	else
		return false;
	if (!strncmp(s, "mmio,", 5))
		mmio = true;
	else if (!strncmp(s, "io,", 3))
		mmio = false;
	else
		return false;
	s = strchr(s, ',') + 1;
	addr = strtoull(s, &end, 0);
	if (end == s || (*end && *end != ','))
		return false;
	/* the identity map ends at 4 GiB; ports end at 64 Ki */
	if (mmio ? addr > 0xfffffff8ull : addr > 0xfff8)
		return false;
	uart.mmio = mmio;
	uart.base = (uintptr_t)addr;
	return true;
}

void console_init(const char *earlycon)
{
	bool understood = !earlycon || parse_earlycon(earlycon);

	probe_ext();
	/* Reset leaves the FIFO off and 5-bit characters: two writes fix
	 * both (the MMIO ones may cost no exit).  The extension needs neither. */
	if (!uart.ext_max) {
		uart_out(UART_LCR, LCR_8N1);
		uart_out(UART_FCR, FCR_ENABLE_AND_CLEAR);
	}
	if (!understood) {
		const char *msg = "guest: earlycon=";

		console_write(msg, strlen(msg));
		console_write(earlycon, strlen(earlycon));
		msg = " not understood (want uart8250,mmio,ADDR or uart8250,io,PORT): using port 0x3f8\n";
		console_write(msg, strlen(msg));
	}
}

bool console_has_ext(void)
{
	return uart.ext_max != 0;
}

const char *console_path(void)
{
	return uart.ext_max ? "flint-buffer" : "16550A";
}

void console_flush(void)
{
	if (!used)
		return;
	if (uart.ext_max) {
		/* The image is identity-mapped below 2 GiB: buf's address is its gpa. */
		for (size_t off = 0; off < used; off += uart.ext_max) {
			uint64_t n = used - off < uart.ext_max ? used - off : uart.ext_max;

			mmio_write64(FLINT_UART_MMIO_GPA + FLINT_UART_EXT_TX,
				     n << 32 | (uint32_t)(uintptr_t)(buf + off));
		}
		used = 0;
		return;
	}
	for (size_t off = 0; off < used; off += UART_FIFO) {
		size_t n = used - off < UART_FIFO ? used - off : UART_FIFO;

		wait_thre();
		for (size_t i = 0; i < n; i++)
			uart_out(UART_THR, (uint8_t)buf[off + i]);
	}
	used = 0;
}

void console_putc(char c)
{
	buf[used++] = c;
	if (c == '\n' || used == sizeof(buf))
		console_flush();
}

void console_write(const char *s, size_t n)
{
	while (n--)
		console_putc(*s++);
}

/*
 * Input: the UART has no interrupt line on Flint and no end of input, so
 * this polls LSR (an exit per read on Flint) until a byte is there, then
 * takes what has arrived without waiting again.
 */
size_t console_read(void *buf, size_t n)
{
	uint8_t *p = buf;
	size_t got = 0;

	while (got < n) {
		if (!(uart_in(UART_LSR) & LSR_DR)) {
			if (got)
				break;
			__builtin_ia32_pause();
			continue;
		}
		p[got++] = uart_in(UART_RBR);
	}
	return got;
}
