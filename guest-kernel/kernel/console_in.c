/* UART receive (console_in.h). */
#include <stdint.h>

#include <flint/boot_abi.h>

#include "arch/x86_64/cpu.h"
#include "kernel/console_in.h"

#define UART_RBR 0
#define UART_LSR 5
#define LSR_DR 0x01

size_t console_read(void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t n = 0;

	if (!len)
		return 0;
	/* Wait for the first byte, then take what the FIFO holds. */
	while (!(inb(FLINT_UART_PIO_BASE + UART_LSR) & LSR_DR))
		__asm__ volatile("pause");
	do
		p[n++] = inb(FLINT_UART_PIO_BASE + UART_RBR);
	while (n < len && (inb(FLINT_UART_PIO_BASE + UART_LSR) & LSR_DR));
	return n;
}
