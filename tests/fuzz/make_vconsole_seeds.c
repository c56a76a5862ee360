/*
 * Seeds for fuzz_vconsole: well-formed rings (fuzz_vconsole.c's layout)
 * with receive buffers posted and transmit chains (direct, chained,
 * indirect) waiting, so mutations start from rings the device serves.
 * Usage: make_vconsole_seeds DIR
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <linux/virtio_ring.h>

#define MEM_SIZE (64u << 10)
#define TX_RINGS 0x2000u
#define QS 8

static uint8_t mem[MEM_SIZE];

static void desc(uint64_t ring, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	struct vring_desc d = { addr, len, flags, next };

	memcpy(mem + ring + 16u * i, &d, sizeof(d));
}

static void avail(uint64_t ring, uint16_t idx, const uint16_t *heads)
{
	uint8_t *a = mem + ring + 16u * QS;

	memcpy(a + 2, &idx, 2);
	for (uint16_t i = 0; i < idx; i++)
		memcpy(a + 4 + 2 * i, &heads[i], 2);
}

static int emit(const char *dir, const char *name, uint8_t mode, const char *input)
{
	char path[512];
	uint8_t hdr[4] = { 3, mode, (uint8_t)strlen(input), 0 };
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	fwrite(hdr, 1, 4, f);
	fwrite(input, 1, strlen(input), f);
	fwrite(mem, 1, 0x4000, f);
	return fclose(f);
}

int main(int argc, char **argv)
{
	static const uint16_t rx_heads[] = { 0, 1 }, tx_heads[] = { 0, 1, 3 };

	if (argc != 2)
		return 2;
	desc(0, 0, 0x8000, 64, VRING_DESC_F_WRITE, 0);
	desc(0, 1, 0x8100, 4096, VRING_DESC_F_WRITE, 0);
	avail(0, 2, rx_heads);
	memcpy(mem + 0x9000, "hello\n", 6);
	desc(TX_RINGS, 0, 0x9000, 6, 0, 0);
	desc(TX_RINGS, 1, 0x9000, 3, VRING_DESC_F_NEXT, 2);
	desc(TX_RINGS, 2, 0x9003, 3, 0, 0);
	desc(TX_RINGS, 3, 0xa000, 32, VRING_DESC_F_INDIRECT, 0);
	desc(0xa000, 0, 0x9000, 6, 0, 0); /* the indirect table */
	desc(0xa000, 1, 0x9000, 0, 0, 0);
	avail(TX_RINGS, 3, tx_heads);
	return emit(argv[1], "both", 3, "input bytes\n") || emit(argv[1], "eof", 8 | 1, "x") ||
	       emit(argv[1], "tx-first-full", 4 | 32, "") || emit(argv[1], "gone", 16 | 64, "abc");
}
