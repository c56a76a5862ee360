/*
 * printf-style formatting: flags - 0 + space #, width and precision (also
 * as *), length hh h l ll z j t, conversions d i u o x X p s c %.  No
 * floating point: a %f and other unknown conversions are copied through.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/format.h"

struct spec {
	bool left, zero, plus, space, alt;
	int width;
	int prec;             /* -1: none */
};

struct out {
	format_out fn;
	void *ctx;
	int n;
};

static void emit(struct out *o, char c)
{
	o->fn(c, o->ctx);
	o->n++;
}

static void emit_pad(struct out *o, char c, int count)
{
	while (count-- > 0)
		emit(o, c);
}

static void emit_str(struct out *o, const struct spec *sp, const char *s)
{
	size_t len;
	int pad;

	if (!s)
		s = "(null)";
	len = sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) : strlen(s);
	pad = sp->width > (int)len ? sp->width - (int)len : 0;
	if (!sp->left)
		emit_pad(o, ' ', pad);
	for (size_t i = 0; i < len; i++)
		emit(o, s[i]);
	if (sp->left)
		emit_pad(o, ' ', pad);
}

static void emit_num(struct out *o, const struct spec *sp, uint64_t v, bool neg, unsigned base,
		     bool upper, const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];         /* 2^64 in octal is 22 digits */
	int len = 0, zeros, pad, plen;
	char sign = neg ? '-' : sp->plus ? '+' : sp->space ? ' ' : 0;

	while (v) {
		buf[len++] = digits[v % base];
		v /= base;
	}
	/* "%.0d" of 0 prints nothing; otherwise at least one digit */
	if (!len && sp->prec != 0)
		buf[len++] = '0';
	zeros = sp->prec > len ? sp->prec - len : 0;
	plen = (int)strlen(prefix) + (sign != 0);
	pad = sp->width - len - zeros - plen;
	if (sp->zero && !sp->left && sp->prec < 0) {
		zeros += pad > 0 ? pad : 0;
		pad = 0;
	}
	if (!sp->left)
		emit_pad(o, ' ', pad);
	if (sign)
		emit(o, sign);
	while (*prefix)
		emit(o, *prefix++);
	emit_pad(o, '0', zeros);
	while (len)
		emit(o, buf[--len]);
	if (sp->left)
		emit_pad(o, ' ', pad);
}

/* Reads a decimal number or '*' (taken from the arguments). */
static int read_count(const char **f, va_list *ap)
{
	int v = 0;

	if (**f == '*') {
		(*f)++;
		return va_arg(*ap, int);
	}
	while (**f >= '0' && **f <= '9')
		v = v * 10 + *(*f)++ - '0';
	return v;
}

enum length { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE, LEN_MAX, LEN_PTRDIFF };

static enum length read_length(const char **f)
{
	switch (*(*f)++) {
	case 'h':
		if (**f == 'h') {
			(*f)++;
			return LEN_CHAR;
		}
		return LEN_SHORT;
	case 'l':
		if (**f == 'l') {
			(*f)++;
			return LEN_LLONG;
		}
		return LEN_LONG;
	case 'z':
		return LEN_SIZE;
	case 'j':
		return LEN_MAX;
	case 't':
		return LEN_PTRDIFF;
	default:
		(*f)--;
		return LEN_INT;
	}
}

static int64_t arg_signed(enum length len, va_list *ap)
{
	switch (len) {
	case LEN_CHAR:
		return (signed char)va_arg(*ap, int);
	case LEN_SHORT:
		return (short)va_arg(*ap, int);
	case LEN_LONG:
		return va_arg(*ap, long);
	case LEN_LLONG:
		return va_arg(*ap, long long);
	case LEN_SIZE:
	case LEN_PTRDIFF:
		return va_arg(*ap, ptrdiff_t);
	case LEN_MAX:
		return va_arg(*ap, intmax_t);
	default:
		return va_arg(*ap, int);
	}
}

static uint64_t arg_unsigned(enum length len, va_list *ap)
{
	switch (len) {
	case LEN_CHAR:
		return (unsigned char)va_arg(*ap, unsigned);
	case LEN_SHORT:
		return (unsigned short)va_arg(*ap, unsigned);
	case LEN_LONG:
		return va_arg(*ap, unsigned long);
	case LEN_LLONG:
		return va_arg(*ap, unsigned long long);
	case LEN_SIZE:
	case LEN_PTRDIFF:
		return va_arg(*ap, size_t);
	case LEN_MAX:
		return va_arg(*ap, uintmax_t);
	default:
		return va_arg(*ap, unsigned);
	}
}

int format(format_out fn, void *ctx, const char *f, va_list ap_in)
{
	struct out o = { fn, ctx, 0 };
	va_list ap;

	/* A va_list parameter is really a pointer on x86-64; a local copy is
	 * a true va_list whose address the helpers can take. */
	va_copy(ap, ap_in);
	while (*f) {
		const char *start = f;
		struct spec sp = { .prec = -1 };
		enum length len;

		if (*f != '%') {
			emit(&o, *f++);
			continue;
		}
		for (f++;; f++) {
			if (*f == '-')
				sp.left = true;
			else if (*f == '0')
				sp.zero = true;
			else if (*f == '+')
				sp.plus = true;
			else if (*f == ' ')
				sp.space = true;
			else if (*f == '#')
				sp.alt = true;
			else
				break;
		}
		sp.width = read_count(&f, &ap);
		if (sp.width < 0) {        /* a negative '*' width means left-justify */
			sp.left = true;
			sp.width = -sp.width;
		}
		if (*f == '.') {
			f++;
			sp.prec = read_count(&f, &ap);
			if (sp.prec < 0)
				sp.prec = -1;
		}
		len = read_length(&f);
		switch (*f) {
		case 'd':
		case 'i': {
			int64_t v = arg_signed(len, &ap);

			emit_num(&o, &sp, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0, 10, false, "");
			break;
		}
		case 'u':
			emit_num(&o, &sp, arg_unsigned(len, &ap), false, 10, false, "");
			break;
		case 'o': {
			uint64_t v = arg_unsigned(len, &ap);

			emit_num(&o, &sp, v, false, 8, false, sp.alt && v ? "0" : "");
			break;
		}
		case 'x':
		case 'X': {
			uint64_t v = arg_unsigned(len, &ap);
			bool upper = *f == 'X';

			emit_num(&o, &sp, v, false, 16, upper, sp.alt && v ? (upper ? "0X" : "0x") : "");
			break;
		}
		case 'p':
			sp.plus = sp.space = false;
			emit_num(&o, &sp, (uintptr_t)va_arg(ap, void *), false, 16, false, "0x");
			break;
		case 's':
			emit_str(&o, &sp, va_arg(ap, const char *));
			break;
		case 'c':
			if (!sp.left)
				emit_pad(&o, ' ', sp.width - 1);
			emit(&o, (char)va_arg(ap, int));
			if (sp.left)
				emit_pad(&o, ' ', sp.width - 1);
			break;
		case '%':
			emit(&o, '%');
			break;
		default:
			/* unsupported: show the directive as written */
			while (start < f)
				emit(&o, *start++);
			if (!*f)
				continue;
			emit(&o, *f);
			break;
		}
		f++;
	}
	va_end(ap);
	return o.n;
}
