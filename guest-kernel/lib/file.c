/*
 * FILE streams: read-only files over the POSIX calls (lib/posix_fs.c, the
 * VFS beneath), and the console's descriptors as stdin, stdout and
 * stderr (lib/stdstreams.c: the virtio-console or the UART).  A file stream
 * keeps one BUFSIZ buffer, so fgets and fgetc cost a VFS call per 4 KiB,
 * not per byte; reads larger than the buffer go straight to read().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/stdstreams.h"

enum kind { FILE_VFS, FILE_CONSOLE };

struct flint_file {
	enum kind kind;
	int fd;
	bool eof, err;
	int unget;            /* a pushed-back byte, or EOF */
	size_t pos, len;      /* unread bytes are buf[pos..len) */
	unsigned char buf[BUFSIZ];
};

static struct flint_file std_in = { .kind = FILE_VFS, .fd = 0, .unget = EOF }; /* read(0): the console */
static struct flint_file std_out = { .kind = FILE_CONSOLE, .fd = 1, .unget = EOF };
static struct flint_file std_err = { .kind = FILE_CONSOLE, .fd = 2, .unget = EOF };
FILE *const stdin = &std_in;
FILE *const stdout = &std_out;
FILE *const stderr = &std_err;

FILE *fopen(const char *path, const char *mode)
{
	FILE *f;
	int fd;

	if (!path || !mode || (mode[0] != 'r')) {
		errno = mode && (mode[0] == 'w' || mode[0] == 'a') ? EROFS : EINVAL;
		return NULL;
	}
	for (const char *m = mode + 1; *m; m++)
		if (*m == '+') {
			errno = EROFS;
			return NULL;
		} else if (*m != 'b' && *m != 'e') {
			errno = EINVAL;
			return NULL;
		}
	f = malloc(sizeof(*f));
	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		free(f);
		return NULL;
	}
	*f = (struct flint_file){ .kind = FILE_VFS, .fd = fd, .unget = EOF };
	return f;
}

int fclose(FILE *f)
{
	int rc = 0;

	if (f == stdin)
		return 0;  /* static, and descriptor 0 is the console's */
	if (f->kind != FILE_VFS)
		return fflush(f);
	rc = close(f->fd);
	free(f);
	return rc < 0 ? EOF : 0;
}

/* Refills the buffer; false at end of file or on an error (flags set). */
static bool refill(FILE *f)
{
	ssize_t n;

	if (f->kind != FILE_VFS) {
		f->err = true;
		errno = EBADF;
		return false;
	}
	n = read(f->fd, f->buf, sizeof(f->buf));
	if (n <= 0) {
		if (n < 0)
			f->err = true;
		else
			f->eof = true;
		return false;
	}
	f->pos = 0;
	f->len = (size_t)n;
	return true;
}

int fgetc(FILE *f)
{
	int c;

	if (f->unget != EOF) {
		c = f->unget;
		f->unget = EOF;
		return c;
	}
	if (f->pos == f->len && !refill(f))
		return EOF;
	return f->buf[f->pos++];
}

int getc(FILE *f) { return fgetc(f); }
int getchar(void) { return fgetc(stdin); }

int ungetc(int c, FILE *f)
{
	if (c == EOF || f->unget != EOF)
		return EOF;
	f->unget = (unsigned char)c;
	f->eof = false;
	return (unsigned char)c;
}

char *fgets(char *s, int size, FILE *f)
{
	int i = 0, c;

	if (size <= 0)
		return NULL;
	while (i < size - 1 && (c = fgetc(f)) != EOF) {
		s[i++] = (char)c;
		if (c == '\n')
			break;
	}
	if (i == 0 && size > 1)
		return NULL;
	s[i] = '\0';
	return s;
}

size_t fread(void *buf, size_t size, size_t n, FILE *f)
{
	unsigned char *p = buf;
	size_t want, got = 0;

	if (!size || !n)
		return 0;
	if (__builtin_mul_overflow(size, n, &want)) {
		f->err = true;
		errno = EINVAL;
		return 0;
	}
	if (want && f->unget != EOF) {
		p[got++] = (unsigned char)f->unget;
		f->unget = EOF;
	}
	while (got < want) {
		size_t have = f->len - f->pos;

		if (have) {
			size_t k = have < want - got ? have : want - got;

			memcpy(p + got, f->buf + f->pos, k);
			f->pos += k;
			got += k;
		} else if (f->kind == FILE_VFS && want - got >= sizeof(f->buf)) {
			/* Large reads skip the buffer. */
			ssize_t r = read(f->fd, p + got, want - got);

			if (r <= 0) {
				if (r < 0)
					f->err = true;
				else
					f->eof = true;
				break;
			}
			got += (size_t)r;
		} else if (!refill(f)) {
			break;
		}
	}
	return got / size;
}

int fseek(FILE *f, long off, int whence)
{
	if (f->kind != FILE_VFS) {
		errno = ESPIPE;
		return -1;
	}
	/* SEEK_CUR counts from what the caller has read, not from the VFS's
	 * position, which is ahead by what the buffer still holds. */
	if (whence == SEEK_CUR)
		off -= (long)(f->len - f->pos) + (f->unget != EOF);
	if (lseek(f->fd, off, whence) < 0)
		return -1;
	f->pos = f->len = 0;
	f->unget = EOF;
	f->eof = false;
	return 0;
}

long ftell(FILE *f)
{
	off_t at;

	if (f->kind != FILE_VFS) {
		errno = ESPIPE;
		return -1;
	}
	at = lseek(f->fd, 0, SEEK_CUR);
	if (at < 0)
		return -1;
	return (long)(at - (off_t)(f->len - f->pos) - (f->unget != EOF));
}

void rewind(FILE *f)
{
	fseek(f, 0, SEEK_SET);
	f->err = false;
}

int feof(FILE *f) { return f->eof; }
int ferror(FILE *f) { return f->err; }
void clearerr(FILE *f) { f->eof = f->err = false; }
int fileno(FILE *f) { return f->fd; }

/* The console is the only stream that takes output. */
static bool writable(FILE *f)
{
	if (f->kind == FILE_CONSOLE)
		return true;
	f->err = true;
	errno = EBADF;
	return false;
}

size_t fwrite(const void *buf, size_t size, size_t n, FILE *f)
{
	size_t len;

	if (!size || !n || !writable(f))
		return 0;
	if (__builtin_mul_overflow(size, n, &len)) {
		f->err = true;
		return 0;
	}
	if (write(f->fd, buf, len) < 0) {
		f->err = true;
		return 0;
	}
	return n;
}

int fputc(int c, FILE *f)
{
	if (!writable(f))
		return EOF;
	char ch = (char)c;

	if (write(f->fd, &ch, 1) < 0) {
		f->err = true;
		return EOF;
	}
	return (unsigned char)c;
}

int putc(int c, FILE *f) { return fputc(c, f); }

int fputs(const char *s, FILE *f)
{
	if (!writable(f))
		return EOF;
	if (write(f->fd, s, strlen(s)) < 0) {
		f->err = true;
		return EOF;
	}
	return 0;
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
	return writable(f) ? vdprintf(f->fd, fmt, ap) : -1;
}

int fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(f, fmt, ap);
	va_end(ap);
	return n;
}

int fflush(FILE *f)
{
	if (!f || f->kind == FILE_CONSOLE)
		stdstreams_flush(f ? f->fd : -1);
	return 0;
}
