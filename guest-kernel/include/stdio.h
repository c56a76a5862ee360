/* Formatted output to the console (buffered; flushed at '\n' and exit). */
#ifndef FLINT_STDIO_H
#define FLINT_STDIO_H

#include <stdarg.h>
#include <stddef.h>

#define EOF (-1)

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int puts(const char *s);
int putchar(int c);

/*
 * stdout is the virtio-console when the monitor offers one, else the
 * UART; stderr is always the UART (lib/stdstreams.c).  printf, puts and
 * putchar write to stdout.
 */
typedef struct flint_stream FILE;
extern FILE *const stdout;
extern FILE *const stderr;
int fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vfprintf(FILE *f, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
int fputs(const char *s, FILE *f);
int fputc(int c, FILE *f);
size_t fwrite(const void *p, size_t size, size_t n, FILE *f);
int fflush(FILE *f);    /* NULL: both */

/* Writes out what the UART holds now (printf flushes at '\n' itself). */
void console_flush(void);

#endif
