/*
 * The guest's random numbers (flint_random; lwIP's LWIP_RAND, so TCP
 * initial sequence numbers and local ports): ChaCha20's block function
 * (RFC 8439) as a stream keyed with the pv page's 32 host random bytes, so
 * the network cannot predict them from what it has seen.
 *
 * The generator's state lives in guest memory, which a snapshot copies to
 * every clone; the page's random bytes are the only thing that differs
 * between clones.  So the generator rekeys whenever seq has moved since it
 * was keyed, and a number drawn across a restore (seq moved while it was
 * being made) is drawn again with the new key.  Without Flint the key
 * comes from the TSC: different per boot, not secret.
 */
#include <stdbool.h>
#include <stddef.h>

#include <flint.h>

#include "arch/x86_64/cpu.h"
#include "kernel/pv.h"

static struct {
	bool keyed;
	uint32_t seq;          /* the page's seq when keyed; 0 without Flint */
	uint32_t key[8];
	uint64_t counter;      /* blocks made with this key */
	uint32_t block[16];
	unsigned used;         /* words of block handed out */
} rng;

#define ROTL(v, n) ((v) << (n) | (v) >> (32 - (n)))
#define QR(a, b, c, d) \
	(a += b, d ^= a, d = ROTL(d, 16), c += d, b ^= c, b = ROTL(b, 12), \
	 a += b, d ^= a, d = ROTL(d, 8), c += d, b ^= c, b = ROTL(b, 7))

static void chacha20_block(uint32_t out[16], const uint32_t key[8], uint64_t counter)
{
	uint32_t in[16] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 }, x[16];

	for (int i = 0; i < 8; i++)
		in[4 + i] = key[i];
	in[12] = (uint32_t)counter;
	in[13] = (uint32_t)(counter >> 32);
	for (int i = 0; i < 16; i++)
		x[i] = in[i];
	for (int i = 0; i < 10; i++) {
		QR(x[0], x[4], x[8], x[12]);
		QR(x[1], x[5], x[9], x[13]);
		QR(x[2], x[6], x[10], x[14]);
		QR(x[3], x[7], x[11], x[15]);
		QR(x[0], x[5], x[10], x[15]);
		QR(x[1], x[6], x[11], x[12]);
		QR(x[2], x[7], x[8], x[13]);
		QR(x[3], x[4], x[9], x[14]);
	}
	for (int i = 0; i < 16; i++)
		out[i] = x[i] + in[i];
}

static void rekey(void)
{
	struct flint_pv_info p;

	if (pv_read(&p, NULL)) {
		for (int i = 0; i < 8; i++)
			rng.key[i] = (uint32_t)p.random[4 * i] | (uint32_t)p.random[4 * i + 1] << 8 |
				     (uint32_t)p.random[4 * i + 2] << 16 | (uint32_t)p.random[4 * i + 3] << 24;
		rng.seq = p.seq;
	} else {
		uint64_t t = rdtsc();

		for (int i = 0; i < 8; i++, t = t * 0x9e3779b97f4a7c15ull + rdtsc())
			rng.key[i] = (uint32_t)(t ^ t >> 32);
		rng.seq = 0;
	}
	rng.keyed = true;
	rng.counter = 0;
	rng.used = 16;
}

static uint32_t next_word(void)
{
	if (rng.used == 16) {
		chacha20_block(rng.block, rng.key, rng.counter++);
		rng.used = 0;
	}
	return rng.block[rng.used++];
}

uint64_t flint_random(void)
{
	uint64_t v;

	do {
		if (!rng.keyed || flint_seq() != rng.seq)
			rekey();
		v = next_word();
		v = v << 32 | next_word();
	} while (flint_seq() != rng.seq);
	return v;
}
