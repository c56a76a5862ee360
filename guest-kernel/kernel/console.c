/*
 * The console: a 16550A driven like a FIFO driver, because on Flint each
 * register read is an exit to the monitor (~25 us from ring 3) while writes
 * to the MMIO UART are batched without exits.  So output is buffered here,
 * and every burst of up to 16 bytes (the transmit FIFO) costs one LSR read.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <flint/boot_abi.h>

#include "arch/x86_64/cpu.h"
#include "kernel/console.h"

#define UART_THR 0
#define UART_FCR 2
#define UART_LCR 3
#define UART_LSR 5
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
} uart = { false, FLINT_UART_PIO_BASE, false };

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

	/* Reset leaves the FIFO off and 5-bit characters: two writes fix
	 * both, and the MMIO ones cost no exit. */
	uart_out(UART_LCR, LCR_8N1);
	uart_out(UART_FCR, FCR_ENABLE_AND_CLEAR);
	if (!understood) {
		const char *msg = "guest: earlycon=";

		console_write(msg, strlen(msg));
		console_write(earlycon, strlen(earlycon));
		msg = " not understood (want uart8250,mmio,ADDR or uart8250,io,PORT): using port 0x3f8\n";
		console_write(msg, strlen(msg));
	}
}

void console_flush(void)
{
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
