#ifndef FLINT_ASSERT_H
#define FLINT_ASSERT_H

#include <flint.h>

#ifdef NDEBUG
#define assert(x) ((void)0)
#else
#define assert(x) \
	((x) ? (void)0 : panic("assertion failed: %s (%s:%d)", #x, __FILE__, __LINE__))
#endif

#endif
