#ifndef FLINT_STDLIB_H
#define FLINT_STDLIB_H

#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1

/* 16-byte aligned; NULL when the heap is exhausted. */
void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);
void free(void *p);

/* Out-of-range values clamp to the type's limits; there is no errno. */
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
long long strtoll(const char *s, char **end, int base);
unsigned long long strtoull(const char *s, char **end, int base);
int atoi(const char *s);
long atol(const char *s);

/* NAME=VALUE kernel parameters (lib/getenv.c); NULL when absent.  There
 * is no setenv: the environment is fixed at boot. */
char *getenv(const char *name);

void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* Flushes the console and powers the VM off with this status. */
_Noreturn void exit(int status);
_Noreturn void abort(void);

#endif
