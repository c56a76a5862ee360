/*
 * A minimal unit-test harness: TEST(name) { CHECK(...); } and CHECK_MAIN().
 * Each test prints "PASS name" or "FAIL name"; tests/run.sh counts them.
 */
#ifndef FLINT_CHECK_H
#define FLINT_CHECK_H

#include <stdio.h>
#include <string.h>

struct check_test {
	const char *name;
	void (*fn)(void);
	struct check_test *next;
};

static struct check_test *check_head, **check_tail = &check_head;
static int check_failed_now;

#define TEST(name)                                                                 \
	static void test_##name(void);                                             \
	static struct check_test check_t_##name = { #name, test_##name, NULL };     \
	__attribute__((constructor)) static void check_reg_##name(void)           \
	{                                                                          \
		*check_tail = &check_t_##name;                                     \
		check_tail = &check_t_##name.next;                                 \
	}                                                                          \
	static void test_##name(void)

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
			check_failed_now = 1;                                                \
		}                                                                            \
	} while (0)

/* Checks that `hay` contains `needle`, printing both when it does not. */
#define CHECK_CONTAINS(hay, needle)                                                          \
	do {                                                                                 \
		const char *h_ = (hay), *n_ = (needle);                                      \
		if (!h_ || !strstr(h_, n_)) {                                                \
			fprintf(stderr, "  %s:%d: expected \"%s\" in \"%s\"\n", __FILE__, __LINE__, \
				n_, h_ ? h_ : "(null)");                                     \
			check_failed_now = 1;                                                \
		}                                                                            \
	} while (0)

#define CHECK_MAIN()                                                               \
	int main(int argc, char **argv)                                            \
	{                                                                          \
		int pass = 0, fail = 0;                                            \
		for (struct check_test *t = check_head; t; t = t->next) {          \
			if (argc > 1 && strcmp(argv[1], t->name))                  \
				continue;                                          \
			check_failed_now = 0;                                      \
			t->fn();                                                   \
			printf("%s %s\n", check_failed_now ? "FAIL" : "PASS", t->name); \
			fflush(stdout);                                            \
			if (check_failed_now)                                      \
				fail++;                                            \
			else                                                       \
				pass++;                                            \
		}                                                                  \
		return fail ? 1 : (pass ? 0 : 1);                                  \
	}

#endif
