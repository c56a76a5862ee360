/* The printf engine, shared by vsnprintf (into memory) and printf (console). */
#ifndef GUEST_LIB_FORMAT_H
#define GUEST_LIB_FORMAT_H

#include <stdarg.h>

typedef void (*format_out)(char c, void *ctx);

/* Returns the number of characters produced. */
int format(format_out out, void *ctx, const char *fmt, va_list ap);

#endif
