/*
 * The disk pattern of blkcheck and blkwrite, which tests/blkpattern.py
 * computes too (README.md, "Disk pattern"): every 8-byte little-endian
 * word depends on the seed, its sector and its place in the sector, so a
 * lost, stale, misplaced or torn write shows.
 */
#ifndef GUEST_APPS_BLKPATTERN_H
#define GUEST_APPS_BLKPATTERN_H

#include <stdint.h>

#define PATTERN_WORDS 64     /* per 512-byte sector */

/* splitmix64's finalizer: every input bit moves every output bit. */
static inline uint64_t pattern_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t pattern_word(uint64_t seed, uint64_t sector, unsigned i)
{
	uint64_t h = pattern_mix((seed + 1) * 0x9e3779b97f4a7c15ull + sector);

	return h ^ (uint64_t)i * 0xd6e8feb86659fd93ull;
}

/* Fills n sectors starting at `sector`. */
static inline void pattern_fill(uint64_t *buf, uint64_t seed, uint64_t sector, uint64_t n)
{
	for (uint64_t s = 0; s < n; s++) {
		uint64_t h = pattern_word(seed, sector + s, 0);

		for (unsigned i = 0; i < PATTERN_WORDS; i++)
			buf[s * PATTERN_WORDS + i] = h ^ (uint64_t)i * 0xd6e8feb86659fd93ull;
	}
}

/* The first sector of n that differs from the pattern (its index from 0), or n; *word the word. */
static inline uint64_t pattern_check(const uint64_t *buf, uint64_t seed, uint64_t sector,
				     uint64_t n, unsigned *word)
{
	for (uint64_t s = 0; s < n; s++) {
		uint64_t h = pattern_word(seed, sector + s, 0);

		for (unsigned i = 0; i < PATTERN_WORDS; i++) {
			if (buf[s * PATTERN_WORDS + i] != (h ^ (uint64_t)i * 0xd6e8feb86659fd93ull)) {
				*word = i;
				return s;
			}
		}
	}
	return n;
}

#endif
