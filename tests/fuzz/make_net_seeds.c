/*
 * Writes a few well-formed inputs for fuzz_net (format described there)
 * into the directory given: RX buffers with frames waiting, TX chains with
 * plain and TSO headers, indirect tables and event indices, so the fuzzer
 * starts deep in both queue handlers.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#define QSIZE_LOG2 3
#define QSIZE (1u << QSIZE_LOG2)
#define TX_RINGS 0x2000u
#define TXDATA 0x3000u
#define TABLE 0x3800u
#define RXBUF 0x8000u
#define IMAGE 0x4000u

/* Mode bits: the order of fuzz_net's F[] table. */
enum { INDIRECT = 1, EVIDX = 2, MRG = 4, CSUM = 8, GUEST_CSUM = 16, HOST_TSO4 = 32,
       GUEST_TSO4 = 128 };

static uint8_t in[4 + 2 * 8192 + IMAGE];
static size_t head_len;          /* header and frames written so far */
static uint8_t image[IMAGE];     /* guest memory, appended last */
static unsigned ndesc[2], nhead[2];

static uint64_t ring_base(unsigned q)
{
	return q ? TX_RINGS : 0;
}

static void put(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		uint16_t next)
{
	struct vring_desc d = { addr, len, flags, next };

	memcpy(image + table + 16 * i, &d, sizeof(d));
}

static void reset(unsigned mode, unsigned mtu_sel)
{
	memset(in, 0, sizeof(in));
	memset(image, 0, sizeof(image));
	in[0] = QSIZE_LOG2;
	in[1] = (uint8_t)mode;
	in[2] = (uint8_t)(mode >> 8);
	in[3] = (uint8_t)(mtu_sel << 4);
	head_len = 4;
	ndesc[0] = ndesc[1] = nhead[0] = nhead[1] = 0;
}

/* A direct chain on queue q (0 RX, 1 TX) from the next free descriptor. */
static void chain(unsigned q, const uint64_t *addr, const uint32_t *len, const uint16_t *flags,
		  unsigned n)
{
	uint64_t base = ring_base(q);
	struct vring_avail *a = (struct vring_avail *)(image + base + 16 * QSIZE);
	unsigned head = ndesc[q];

	for (unsigned i = 0; i < n; i++, ndesc[q]++)
		put(base, ndesc[q], addr[i], len[i],
		    flags[i] | (i + 1 < n ? VRING_DESC_F_NEXT : 0), (uint16_t)(ndesc[q] + 1));
	a->ring[nhead[q]++] = (uint16_t)head;
	a->idx = (uint16_t)nhead[q];
}

static void rx_buffer(uint64_t addr, uint32_t len)
{
	chain(0, &addr, &len, (uint16_t[]){ VRING_DESC_F_WRITE }, 1);
}

/* A frame waiting in the tap: header h, then len bytes. */
static void frame(const struct virtio_net_hdr_v1 *h, uint16_t len)
{
	uint16_t total = (uint16_t)(sizeof(*h) + len);

	in[3]++;
	in[head_len] = (uint8_t)total;
	in[head_len + 1] = (uint8_t)(total >> 8);
	memcpy(in + head_len + 2, h, sizeof(*h));
	for (unsigned i = 0; i < len; i++)
		in[head_len + 2 + sizeof(*h) + i] = (uint8_t)(i * 7);
	head_len += 2 + total;
}

/* A TX chain: header h at `at`, then len frame bytes in `pieces` pieces. */
static void tx_frame(uint64_t at, const struct virtio_net_hdr_v1 *h, uint32_t len, unsigned pieces)
{
	uint64_t addr[4] = { at };
	uint32_t lens[4] = { sizeof(*h) };
	uint16_t flags[4] = { 0 };

	memcpy(image + at, h, sizeof(*h));
	for (unsigned i = 0; i < pieces; i++) {
		addr[1 + i] = at + sizeof(*h) + i * (len / pieces);
		lens[1 + i] = i + 1 == pieces ? len - i * (len / pieces) : len / pieces;
	}
	chain(1, addr, lens, flags, 1 + pieces);
}

static int save(const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	memcpy(in + head_len, image, IMAGE);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(in, 1, head_len + IMAGE, f) != head_len + IMAGE || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct virtio_net_hdr_v1 plain;
	struct virtio_net_hdr_v1 tso = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					 .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .hdr_len = 54,
					 .gso_size = 500, .csum_start = 34, .csum_offset = 16 };
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: make_net_seeds DIR\n");
		return 2;
	}
	reset(0, 1);
	rx_buffer(RXBUF, 2048);
	rx_buffer(RXBUF + 0x1000, 2048);
	frame(&plain, 60);
	frame(&plain, 1500);
	bad |= save(argv[1], "rx-two-frames");

	reset(MRG, 1);
	for (unsigned i = 0; i < 6; i++)
		rx_buffer(RXBUF + 0x400 * i, 1024);
	frame(&plain, 1400);
	frame(&plain, 100);
	bad |= save(argv[1], "rx-mrg");

	reset(MRG | GUEST_CSUM | GUEST_TSO4, 1);
	for (unsigned i = 0; i < 8; i++)
		rx_buffer(RXBUF + 0x800 * i, 2048);
	frame(&tso, 1400);
	bad |= save(argv[1], "rx-mrg-gso-full-ring");

	reset(0, 1);
	tx_frame(TXDATA, &plain, 200, 1);
	tx_frame(TXDATA + 0x200, &plain, 300, 3);
	bad |= save(argv[1], "tx-two-frames");

	reset(CSUM | HOST_TSO4, 2);
	tx_frame(TXDATA, &tso, 1200, 2);
	bad |= save(argv[1], "tx-tso");

	reset(INDIRECT | EVIDX | 1u << 10, 1);
	put(TABLE, 0, RXBUF, 12, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	put(TABLE, 1, RXBUF + 0x100, 1600, VRING_DESC_F_WRITE, 0);
	chain(0, (uint64_t[]){ TABLE }, (uint32_t[]){ 32 }, (uint16_t[]){ VRING_DESC_F_INDIRECT }, 1);
	memcpy(image + TXDATA, &plain, sizeof(plain));
	put(TABLE + 0x100, 0, TXDATA, 12, VRING_DESC_F_NEXT, 1);
	put(TABLE + 0x100, 1, TXDATA + 0x40, 400, 0, 0);
	chain(1, (uint64_t[]){ TABLE + 0x100 }, (uint32_t[]){ 32 },
	      (uint16_t[]){ VRING_DESC_F_INDIRECT }, 1);
	frame(&plain, 500);
	bad |= save(argv[1], "rx-tx-indirect-event-idx");
	return bad;
}
