/* printf and friends: the format engine aimed at memory or the console. */
#include <stdio.h>
#include <string.h>

#include "kernel/console.h"
#include "lib/format.h"

struct membuf {
	char *buf;
	size_t size;
	size_t len;
};

static void to_mem(char c, void *ctx)
{
	struct membuf *m = ctx;

	if (m->len + 1 < m->size)
		m->buf[m->len] = c;
	m->len++;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct membuf m = { buf, size, 0 };
	int n = format(to_mem, &m, fmt, ap);

	if (size)
		buf[m.len < size ? m.len : size - 1] = '\0';
	return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void to_console(char c, void *ctx)
{
	(void)ctx;
	console_putc(c);
}

int vprintf(const char *fmt, va_list ap)
{
	return format(to_console, NULL, fmt, ap);
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

int putchar(int c)
{
	console_putc((char)c);
	return (unsigned char)c;
}

int puts(const char *s)
{
	console_write(s, strlen(s));
	console_putc('\n');
	return 0;
}
