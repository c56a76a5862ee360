/*
 * qsort(3) as a heapsort: O(n log n) at worst, no recursion and no
 * allocation, which is what a guest with a small stack wants.  Not stable
 * (neither is the C library's).
 */
#include <stddef.h>
#include <stdlib.h>

static void swap(unsigned char *a, unsigned char *b, size_t size)
{
	while (size--) {
		unsigned char t = *a;

		*a++ = *b;
		*b++ = t;
	}
}

/* Sift element i of the heap v[0..n) down to its place. */
static void sift(unsigned char *v, size_t i, size_t n, size_t size,
		 int (*cmp)(const void *, const void *))
{
	for (;;) {
		size_t big = i, l = 2 * i + 1, r = l + 1;

		if (l < n && cmp(v + l * size, v + big * size) > 0)
			big = l;
		if (r < n && cmp(v + r * size, v + big * size) > 0)
			big = r;
		if (big == i)
			return;
		swap(v + i * size, v + big * size, size);
		i = big;
	}
}

void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	unsigned char *v = base;

	if (n < 2 || !size)
		return;
	for (size_t i = n / 2; i-- > 0;)
		sift(v, i, n, size, cmp);
	for (size_t end = n - 1; end > 0; end--) {
		swap(v, v + end * size, size);
		sift(v, 0, end, size, cmp);
	}
}
