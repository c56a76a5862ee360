/*
 * The tap's own floor for tests/bench/net.sh: no VM at all, one process on
 * the device side of a tap answering as the guests there do (ARP for its
 * address, ICMP echo, UDP echo on port 7), one read() and one write() per
 * frame.  A VMM cannot beat this path, so flint's and QEMU's round trips
 * are read against it.  Frames are answered in place: swapping addresses
 * and ports leaves the IPv4, ICMP-type aside, and UDP checksums valid.
 *
 * Usage: tapecho TAP IPV4   (as root, in the tap's namespace; runs until killed)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const uint8_t my_mac[6] = { 0x52, 0x54, 0x00, 0xbe, 0xec, 0x01 };

static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void swap(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t t[16];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

/* Turns the frame in f (len bytes) into its answer; returns 0 if there is none. */
static size_t answer(uint8_t *f, size_t len, const uint8_t ip[4])
{
	uint16_t type;

	if (len < 14)
		return 0;
	type = (uint16_t)(f[12] << 8 | f[13]);
	if (type == 0x0806) {
		uint8_t *a = f + 14;

		/* Ethernet/IPv4 request for our address */
		if (len < 14 + 28 || memcmp(a, "\0\1\x08\0\6\4\0\1", 8) || memcmp(a + 24, ip, 4))
			return 0;
		a[7] = 2;
		memcpy(a + 18, a + 8, 10);   /* target = the asker */
		memcpy(a + 8, my_mac, 6);
		memcpy(a + 14, ip, 4);
		memcpy(f, a + 18, 6);
		memcpy(f + 6, my_mac, 6);
		return 14 + 28;
	}
	if (type == 0x0800) {
		uint8_t *h = f + 14, *l4;
		size_t ihl, tot;

		if (len < 14 + 20)
			return 0;
		ihl = (size_t)(h[0] & 15) * 4;
		tot = (size_t)(h[2] << 8 | h[3]);
		if ((h[0] >> 4) != 4 || ihl < 20 || tot < ihl || tot > len - 14 || memcmp(h + 16, ip, 4) ||
		    (h[6] & 0x3f) || h[7])    /* fragments: not answered */
			return 0;
		l4 = h + ihl;
		if (h[9] == 1 && tot - ihl >= 8 && l4[0] == 8) {
			l4[0] = 0;
			l4[2] = l4[3] = 0;
			uint16_t c = csum(l4, tot - ihl);
			l4[2] = (uint8_t)(c >> 8);
			l4[3] = (uint8_t)c;
		} else if (h[9] == 17 && tot - ihl >= 8 && l4[2] == 0 && l4[3] == 7) {
			swap(l4, l4 + 2, 2);
		} else {
			return 0;
		}
		swap(h + 12, h + 16, 4);
		swap(f, f + 6, 6);
		memcpy(f + 6, my_mac, 6);
		return 14 + tot;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t f[65536];
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	uint8_t ip[4];
	int fd;

	if (argc != 3 || strlen(argv[1]) >= IFNAMSIZ || inet_pton(AF_INET, argv[2], ip) != 1) {
		fprintf(stderr, "usage: tapecho TAP IPV4\n");
		return 2;
	}
	memcpy(ifr.ifr_name, argv[1], strlen(argv[1]) + 1);
	if ((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) {
		perror("tapecho: attaching to the tap");
		return 1;
	}
	printf("tapecho: listening on %s as %s\n", argv[1], argv[2]);
	fflush(stdout);
	for (;;) {
		ssize_t n = read(fd, f, sizeof(f));
		size_t out;

		if (n < 0) {
			perror("tapecho: read");
			return 1;
		}
		if ((out = answer(f, (size_t)n, ip)) && write(fd, f, out) < 0)
			perror("tapecho: write");
	}
}
