/*
 * libFuzzer harness for what a VM's flint says to flint serve besides its
 * response (serve/vm_msgs.c): the input is both its ready socket's bytes
 * and its stderr, fed in pieces whose sizes the input also picks.  Checks
 * that lines stay within VM_LOG_LINE_MAX and hold no control character
 * but tab, and that every message completes within its length.
 */
#include <stdint.h>
#include <stdlib.h>

#include "vm_msgs.h"

static void check_line(void *ctx, const char *line, size_t len, bool cut)
{
	(void)ctx, (void)cut;
	if (len > VM_LOG_LINE_MAX)
		abort();
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ready_parser p = { .n = 0 };
	struct vm_log log = { .len = 0 };
	unsigned since = 0;

	for (size_t i = 0; i < size; i++) {
		uint64_t gen;
		int status;

		if (ready_parse(&p, data[i], &gen, &status) != READY_MSG_NONE)
			since = 0;
		else if (p.n && ++since > 9)
			abort();  /* a message longer than 'R' + 8 */
		if (p.n > sizeof(p.buf))
			abort();
	}
	for (size_t off = 0; off < size;) {
		size_t n = 1 + data[off] % 64;

		if (n > size - off)
			n = size - off;
		vm_log_feed(&log, (const char *)data + off, n, check_line, NULL);
		off += n;
	}
	vm_log_flush(&log, check_line, NULL);
	return 0;
}
