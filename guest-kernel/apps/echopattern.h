/*
 * The bytes httpd's /echo?n=N sends: 16-byte lines, line k being k in 15
 * lower-case hex digits and '\n' ("000000000000000\n000000000000001\n...").
 * Offset i holds byte i % 16 of line i / 16, so a body cut anywhere is a
 * prefix of the same stream, and lost, repeated or reordered segments
 * all show (tests/integration/net_qemu.sh rebuilds it in Python).
 */
#ifndef GUEST_APPS_ECHOPATTERN_H
#define GUEST_APPS_ECHOPATTERN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline void echo_pattern_fill(char *buf, uint64_t off, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	while (n) {
		uint64_t line = off / 16;
		size_t pos = (size_t)(off % 16), take = 16 - pos < n ? 16 - pos : n;
		char l[16];

		for (int i = 14; i >= 0; i--, line >>= 4)
			l[i] = hex[line & 15];
		l[15] = '\n';
		memcpy(buf, l + pos, take);
		buf += take;
		off += take;
		n -= take;
	}
}

#endif
