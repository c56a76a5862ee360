/* String to integer conversions, C semantics minus errno (values clamp). */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/*
 * Parses the magnitude into *mag (saturating at ULLONG_MAX); returns false
 * when no digit was found, in which case *end is s itself, as C requires.
 */
static bool parse(const char *s, char **end, int base, bool *neg, unsigned long long *mag)
{
	const char *p = s;
	unsigned long long v = 0;
	bool any = false, overflow = false;

	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		p++;
	*neg = false;
	if (*p == '+' || *p == '-')
		*neg = *p++ == '-';
	if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
	    digit_value(p[2]) < 16) {
		p += 2;
		base = 16;
	} else if (base == 0) {
		base = *p == '0' ? 8 : 10;
	}
	if (base < 2 || base > 36) {
		if (end)
			*end = (char *)s;
		return false;
	}
	for (int d; (d = digit_value(*p)) < base; p++) {
		any = true;
		if (v > (ULLONG_MAX - (unsigned)d) / (unsigned)base)
			overflow = true;
		else
			v = v * (unsigned)base + (unsigned)d;
	}
	if (end)
		*end = (char *)(any ? p : s);
	*mag = overflow ? ULLONG_MAX : v;
	return any;
}

static long long to_signed(const char *s, char **end, int base, long long min, long long max)
{
	bool neg;
	unsigned long long mag;

	if (!parse(s, end, base, &neg, &mag))
		return 0;
	if (neg)
		return mag > (unsigned long long)max + 1 ? min : (long long)(0 - mag);
	return mag > (unsigned long long)max ? max : (long long)mag;
}

static unsigned long long to_unsigned(const char *s, char **end, int base,
				      unsigned long long max)
{
	bool neg;
	unsigned long long mag;

	if (!parse(s, end, base, &neg, &mag))
		return 0;
	if (mag > max)
		return max;
	return neg ? (0 - mag) & max : mag;   /* C: "-1" converts to the maximum */
}

long strtol(const char *s, char **end, int base)
{
	return (long)to_signed(s, end, base, LONG_MIN, LONG_MAX);
}

long long strtoll(const char *s, char **end, int base)
{
	return to_signed(s, end, base, LLONG_MIN, LLONG_MAX);
}

unsigned long strtoul(const char *s, char **end, int base)
{
	return (unsigned long)to_unsigned(s, end, base, ULONG_MAX);
}

unsigned long long strtoull(const char *s, char **end, int base)
{
	return to_unsigned(s, end, base, ULLONG_MAX);
}

int atoi(const char *s)
{
	return (int)to_signed(s, NULL, 10, INT_MIN, INT_MAX);
}

long atol(const char *s)
{
	return strtol(s, NULL, 10);
}
