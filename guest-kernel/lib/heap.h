#ifndef GUEST_LIB_HEAP_H
#define GUEST_LIB_HEAP_H

#include <stdint.h>

/* Hands [start, end) to malloc.  Touches only the first 16 bytes. */
void heap_init(uintptr_t start, uintptr_t end);

#endif
