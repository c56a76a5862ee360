/* SHA-256 (FIPS 180-4), incremental.  Hosted and guest. */
#ifndef GUEST_LIB_SHA256_H
#define GUEST_LIB_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;           /* message length so far */
	uint8_t block[64];
	size_t fill;              /* bytes waiting in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t digest[32]);
/* The digest as 64 lowercase hex digits and a NUL. */
void sha256_hex(const uint8_t digest[32], char out[65]);

#endif
