/*
 * libFuzzer harness for flint serve's spawner messages (serve/spawn_msg.c):
 * the input is a received datagram: one byte of msg_flags bits, two of the
 * data length, the data, and the rest as the control buffer (its
 * descriptors are just numbers here).  Checks what the spawner and the
 * server rely on: no read outside the buffers (ASan), every descriptor
 * counted within SPAWN_FDS_ROOM, and an accepted message has exactly the
 * descriptors it must.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "spawn_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fds[SPAWN_FDS_ROOM];
	unsigned nfds = 99;
	struct spawn_req req;
	struct spawn_rep rep;
	size_t dlen, clen;
	int flags;
	void *d, *c;

	if (size < 3)
		return 0;
	flags = (data[0] & 1 ? MSG_TRUNC : 0) | (data[0] & 2 ? MSG_CTRUNC : 0);
	dlen = (size_t)data[1] | (size_t)data[2] << 8;
	data += 3;
	size -= 3;
	if (dlen > size)
		dlen = size;
	clen = size - dlen;
	/* Copies of exactly their length, so that ASan sees any overread;
	 * the control buffer aligned as the kernel's is. */
	d = malloc(dlen ? dlen : 1);
	c = aligned_alloc(8, clen ? (clen + 7) / 8 * 8 : 8);
	if (!d || !c)
		abort();
	memcpy(d, data, dlen);
	memcpy(c, data + dlen, clen);
	if (spawn_req_parse(d, dlen, flags, clen ? c : NULL, clen, &req, fds, &nfds) == 0 &&
	    (nfds != SPAWN_NFDS || req.magic != SPAWN_MAGIC || dlen != sizeof(req)))
		abort();
	if (nfds > SPAWN_FDS_ROOM)
		abort();
	nfds = 99;
	if (spawn_rep_parse(d, dlen, flags, clen ? c : NULL, clen, &rep, fds, &nfds) == 0 &&
	    (rep.err == 0 ? nfds != 1 || rep.pid <= 0 : nfds != 0))
		abort();
	if (nfds > SPAWN_FDS_ROOM)
		abort();
	free(d);
	free(c);
	return 0;
}
