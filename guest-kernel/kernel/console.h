#ifndef GUEST_KERNEL_CONSOLE_H
#define GUEST_KERNEL_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Picks the UART: `earlycon` is the value of the earlycon= parameter
 * (uart8250,mmio,ADDR or uart8250,io,PORT) or NULL for I/O port 0x3f8.
 * Output before this call goes to port 0x3f8.
 */
void console_init(const char *earlycon);

/* Buffered: written out at '\n', when the buffer fills, and by console_flush()
 * (which exit() and every halt in kernel/timer.c call). */
void console_putc(char c);
void console_write(const char *s, size_t n);
void console_flush(void);

/*
 * Up to n bytes of UART input, waiting (polling) for the first.  A UART
 * has no end of input: this never returns 0 for n > 0.
 */
size_t console_read(void *buf, size_t n);

/* True when output goes through Flint's buffer extension (one exit per flush). */
bool console_has_ext(void);

#endif
