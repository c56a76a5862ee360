/*
 * A first-fit allocator over one region: free blocks on a list sorted by
 * address, merged with their neighbours on free.  Small and predictable,
 * not fast; an app with heavy allocation patterns brings its own.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <flint.h>

#include "lib/heap.h"

#define ALIGN 16

struct block {
	size_t size;          /* including this header; a multiple of ALIGN */
	struct block *next;   /* next free block by address; IN_USE when allocated */
};

_Static_assert(sizeof(struct block) == ALIGN, "the header keeps payloads aligned");

/* Marks allocated blocks, so free() can catch pointers it never gave out. */
#define IN_USE ((struct block *)0x5553452d6e49ull)
#define MIN_BLOCK (2 * sizeof(struct block))

static struct block *free_list;

void heap_init(uintptr_t start, uintptr_t end)
{
	start = (start + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
	end &= ~(uintptr_t)(ALIGN - 1);
	if (end <= start || end - start < MIN_BLOCK)
		return;
	free_list = (struct block *)start;
	free_list->size = end - start;
	free_list->next = NULL;
}

static struct block *header(void *p)
{
	struct block *b = (struct block *)p - 1;

	if (((uintptr_t)p & (ALIGN - 1)) || b->next != IN_USE)
		panic("free/realloc of %p, which malloc did not return or which was freed already", p);
	return b;
}

/* Bytes a block needs for a payload of n; 0 if n is absurd. */
static size_t block_size(size_t n)
{
	if (n > SIZE_MAX / 2)
		return 0;
	n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	return n + sizeof(struct block) < MIN_BLOCK ? MIN_BLOCK : n + sizeof(struct block);
}

/* Cuts b down to size, if the rest can be a block of its own, and frees the rest. */
static void trim(struct block *b, size_t size)
{
	struct block *rest;

	if (b->size - size < MIN_BLOCK)
		return;
	rest = (struct block *)((char *)b + size);
	rest->size = b->size - size;
	rest->next = IN_USE;
	b->size = size;
	free(rest + 1);
}

void *malloc(size_t n)
{
	size_t need = block_size(n);

	if (!need)
		return NULL;
	for (struct block **link = &free_list, *b; (b = *link); link = &b->next) {
		if (b->size < need)
			continue;
		if (b->size - need >= MIN_BLOCK) {
			/* keep the tail on the list in b's place */
			struct block *rest = (struct block *)((char *)b + need);

			rest->size = b->size - need;
			rest->next = b->next;
			*link = rest;
			b->size = need;
		} else {
			*link = b->next;
		}
		b->next = IN_USE;
		return b + 1;
	}
	return NULL;
}

void free(void *p)
{
	struct block *b, *prev = NULL, *next;

	if (!p)
		return;
	b = header(p);
	for (next = free_list; next && next < b; next = next->next)
		prev = next;
	if (next && (char *)b + b->size == (char *)next) {
		b->size += next->size;
		next = next->next;
	}
	b->next = next;
	if (prev && (char *)prev + prev->size == (char *)b) {
		prev->size += b->size;
		prev->next = next;
	} else if (prev) {
		prev->next = b;
	} else {
		free_list = b;
	}
}

void *calloc(size_t n, size_t size)
{
	size_t total;
	void *p;

	if (__builtin_mul_overflow(n, size, &total))
		return NULL;
	p = malloc(total);
	if (p)
		memset(p, 0, total);
	return p;
}

void *realloc(void *p, size_t n)
{
	struct block *b;
	size_t need;
	void *q;

	if (!p)
		return malloc(n);
	if (!n) {
		free(p);
		return NULL;
	}
	b = header(p);
	need = block_size(n);
	if (!need)
		return NULL;
	if (b->size < need) {
		/* grow in place when the block after it in memory is free and big enough */
		char *after = (char *)b + b->size;
		struct block **link = &free_list, *f;

		while ((f = *link) && (char *)f < after)
			link = &f->next;
		if (f && (char *)f == after && b->size + f->size >= need) {
			*link = f->next;
			b->size += f->size;
		}
	}
	if (b->size >= need) {
		trim(b, need);
		return p;
	}
	q = malloc(n);
	if (q) {
		memcpy(q, p, b->size - sizeof(struct block));
		free(p);
	}
	return q;
}
