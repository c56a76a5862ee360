/*
 * Formatted output to the console (buffered; flushed at '\n' and exit),
 * and FILE streams: read-only files over the VFS (lib/file.c) and the
 * console as stdout and stderr.  What is missing is listed in
 * guest-kernel/README.md ("The C library").
 */
#ifndef FLINT_STDIO_H
#define FLINT_STDIO_H

#include <stdarg.h>
#include <stddef.h>

#define EOF (-1)
#define BUFSIZ 4096
#define FOPEN_MAX 32
#define FILENAME_MAX 1024
#ifndef SEEK_SET
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#endif

typedef struct flint_file FILE;
typedef long long fpos_t;

/* stdin and stdout are the virtio-console when the monitor offers one,
 * else the UART; stderr is always the UART (lib/stdstreams.c).  printf,
 * puts and putchar write to stdout. */
extern FILE *const stdin;
extern FILE *const stdout;
extern FILE *const stderr;

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
int vdprintf(int fd, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int puts(const char *s);
int putchar(int c);

/* Files open read-only ("r", "rb"; anything that writes fails with
 * EROFS); NULL and errno on failure, as open() sets it. */
FILE *fopen(const char *path, const char *mode);
int fclose(FILE *f);
size_t fread(void *buf, size_t size, size_t n, FILE *f);
char *fgets(char *s, int size, FILE *f);
int fgetc(FILE *f);
int getc(FILE *f);
int getchar(void);
int ungetc(int c, FILE *f);
int fseek(FILE *f, long off, int whence);
long ftell(FILE *f);
void rewind(FILE *f);
int feof(FILE *f);
int ferror(FILE *f);
void clearerr(FILE *f);
int fileno(FILE *f);

/* Writing works on stdout and stderr only (EBADF elsewhere). */
size_t fwrite(const void *buf, size_t size, size_t n, FILE *f);
int fputs(const char *s, FILE *f);
int fputc(int c, FILE *f);
int putc(int c, FILE *f);
int fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vfprintf(FILE *f, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
int fflush(FILE *f);

/* Writes out what the UART holds now (printf flushes at '\n' itself). */
void console_flush(void);

#endif
