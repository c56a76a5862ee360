/*
 * Checks the guest C library from inside a VM: formatting, conversions,
 * strings, the allocator, the clock.  Prints each failure and a summary,
 * and exits with the number of failures (0: all passed).
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flint.h>

static int checks, failures;

#define CHECK(cond) check((cond), #cond, __LINE__)

static void check(int ok, const char *what, int line)
{
	checks++;
	if (!ok) {
		failures++;
		printf("selftest: FAIL line %d: %s\n", line, what);
	}
}

static void check_fmt(const char *want, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void check_fmt(const char *want, int line, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	checks++;
	if (strcmp(buf, want) || n != (int)strlen(want)) {
		failures++;
		printf("selftest: FAIL line %d: \"%s\" gave \"%s\" (%d), want \"%s\"\n", line, fmt, buf,
		       n, want);
	}
}

#define FMT(want, ...) check_fmt(want, __LINE__, __VA_ARGS__)

static void test_format(void)
{
	char small[8];
	const char *volatile null = NULL;    /* hidden from gcc's own format checks */

	FMT("42 -7 0", "%d %i %u", 42, -7, 0u);
	FMT("ff FF 0xff 0XFF 17", "%x %X %#x %#X %o", 255u, 255u, 255u, 255u, 15u);
	FMT("[   42] [42   ] [00042] [-0042]", "[%5d] [%-5d] [%05d] [%05d]", 42, 42, 42, -42);
	FMT("[+5] [ 5] [007]", "[%+d] [% d] [%.3d]", 5, 5, 7);
	FMT("-9223372036854775808", "%lld", LLONG_MIN);
	FMT("18446744073709551615 ffffffffffffffff", "%llu %llx", ULLONG_MAX, ULLONG_MAX);
	FMT("4294967295 -1 123 -5", "%lu %ld %zu %zd", 4294967295ul, -1l, (size_t)123, (ptrdiff_t)-5);
	FMT("200 -56 65535", "%hhu %hhd %hu", 200, 200, 65535);
	FMT("0x1000 0x0", "%p %p", (void *)0x1000, (void *)0);
	FMT("[abc] [  abc] [abc  ] [ab] [(null)]", "[%s] [%5s] [%-5s] [%.2s] [%s]", "abc", "abc", "abc",
	    "abc", null);
	FMT("[x] [  x] [x  ] 100%", "[%c] [%3c] [%-3c] 100%%", 'x', 'x', 'x');
	FMT("[   7] [7   ]", "[%*d] [%-*d]", 4, 7, 4, 7);
	FMT("%f", "%f", 1.0);
	CHECK(snprintf(small, sizeof(small), "%s", "truncated") == 9);
	CHECK(!strcmp(small, "truncat"));
	CHECK(snprintf(NULL, 0, "%d", 12345) == 5);
}

static void test_strtol(void)
{
	char *end;

	CHECK(strtol("  -42xyz", &end, 10) == -42 && !strcmp(end, "xyz"));
	CHECK(strtol("0x1f", NULL, 0) == 31 && strtol("077", NULL, 0) == 63);
	CHECK(strtol("0x", &end, 16) == 0 && !strcmp(end, "x"));
	CHECK(strtol("zz", &end, 36) == 35 * 36 + 35 && !*end);
	CHECK(strtol("", &end, 10) == 0 && !strcmp(end, ""));
	CHECK(strtol("99999999999999999999", NULL, 10) == LONG_MAX);
	CHECK(strtol("-99999999999999999999", NULL, 10) == LONG_MIN);
	CHECK(strtoul("-1", NULL, 10) == ULONG_MAX);
	CHECK(strtoull("18446744073709551615", NULL, 10) == ULLONG_MAX);
	CHECK(atoi("123abc") == 123 && atoi("-8") == -8 && atoi("x") == 0);
}

static void test_string(void)
{
	char buf[32] = "0123456789";

	memmove(buf + 2, buf, 8);
	CHECK(!memcmp(buf, "0101234567", 10));
	memmove(buf, buf + 2, 8);
	CHECK(!memcmp(buf, "0123456767", 10));
	memset(buf, 'a', 5);
	CHECK(!memcmp(buf, "aaaaa56767", 10));
	CHECK(strlen("hello") == 5 && strnlen("hello", 3) == 3);
	CHECK(strcmp("abc", "abd") < 0 && strcmp("b", "a") > 0 && !strcmp("", ""));
	CHECK(!strncmp("abcx", "abcy", 3) && strncmp("abcx", "abcy", 4) < 0);
	CHECK(!strcmp(strrchr("a/b/c", '/'), "/c") && !strchr("abc", 'z'));
	CHECK(!strcmp(strstr("find the needle", "needle"), "needle") && !strstr("abc", "abd"));
	CHECK(memchr("abc", 'c', 3) != NULL && memchr("abc", 'c', 2) == NULL);
}

static uint32_t rng = 12345;

static uint32_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

#define SLOTS 200

static void test_malloc(void)
{
	static unsigned char *p[SLOTS];
	static size_t len[SLOTS];
	int intact = 1, aligned = 1;
	unsigned char *q;

	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < SLOTS; i++) {
			int k = (int)(next_random() % SLOTS);

			if (p[k]) {
				for (size_t j = 0; j < len[k]; j++)
					intact &= p[k][j] == (unsigned char)(k + j);
				free(p[k]);
				p[k] = NULL;
			} else {
				len[k] = next_random() % 5000;
				p[k] = malloc(len[k]);
				if (!p[k])
					continue;
				aligned &= ((uintptr_t)p[k] & 15) == 0;
				for (size_t j = 0; j < len[k]; j++)
					p[k][j] = (unsigned char)(k + j);
			}
		}
	}
	CHECK(intact);
	CHECK(aligned);
	for (int i = 0; i < SLOTS; i++) {
		free(p[i]);
		p[i] = NULL;
	}
	/* everything freed and merged: one large block must fit again */
	q = malloc(16 << 20);
	CHECK(q != NULL);
	free(q);

	q = malloc(10);
	memcpy(q, "0123456789", 10);
	q = realloc(q, 100000);
	CHECK(q && !memcmp(q, "0123456789", 10));
	q = realloc(q, 5);
	CHECK(q && !memcmp(q, "01234", 5));
	free(q);
	q = calloc(1000, 4);
	CHECK(q != NULL);
	if (q) {
		int zero = 1;

		for (int i = 0; i < 4000; i++)
			zero &= q[i] == 0;
		CHECK(zero);
	}
	free(q);
	CHECK(calloc(SIZE_MAX / 2, 4) == NULL);
	CHECK(malloc(SIZE_MAX) == NULL);
}

static void test_clock(void)
{
	uint64_t t0 = clock_ns(), t1;

	sleep_ms(10);
	t1 = clock_ns();
	CHECK(t1 - t0 >= 10000000);
	CHECK(t1 - t0 < 1000000000);
	CHECK(clock_tsc_hz() > 100000000);
}

int main(void)
{
	test_format();
	test_strtol();
	test_string();
	test_malloc();
	test_clock();
	printf("selftest: console %s\n", console_path());
	printf("selftest: %d checks, %d failed\n", checks, failures);
	return failures;
}
