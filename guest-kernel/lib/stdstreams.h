/* The library's side of lib/stdstreams.c (stdio.c, exit.c, start.c, posix_fs.c). */
#ifndef GUEST_LIB_STDSTREAMS_H
#define GUEST_LIB_STDSTREAMS_H

#include <stddef.h>
#include <sys/stat.h>

/* Picks stdout's and stdin's device: before main(), after the console. */
void stdstreams_init(void);
/* At exit: stdout written out and taken by the device. */
void stdstreams_exit(void);
void stdout_write(const char *s, size_t n);
/* write(2) on descriptor 1 (stdout's device) or 2 (the UART, flushed):
 * 0, or -1 for any other descriptor (the caller says which errno). */
int stdstreams_write(int fd, const void *buf, size_t len);
void stdout_putc(char c);
/* read(0, ...): at least one byte, waiting for it; 0 at end of input. */
ssize_t stdin_read(void *buf, size_t len);
/* From now on stdout is written out only when its buffer fills and at
 * exit, not at each '\n': for a function, whose answer is read whole
 * after its exit, one console write (one notify) instead of one a line. */
void stdout_buffer_fully(void);
/* Writes out what descriptor fd (1 or 2; -1: both) holds now. */
void stdstreams_flush(int fd);

#endif
