/*
 * What a VM's flint says to the supervisor besides its response, parsed
 * without a system call (the unit test and the fuzzer feed it anything: a
 * guest that escapes into its flint controls these bytes).
 *
 * The ready socket (vmm/control/ready_fd.h): 'R' and the VM's generation
 * id (8 bytes, little-endian) when it is parked and ready; 'E' and the exit
 * status (1 byte) when the run is over.  A byte that starts neither is
 * skipped.
 *
 * stderr: flint's messages and the guest's stderr (the UART), cut into
 * lines of at most VM_LOG_LINE_MAX bytes (the rest of a longer line is
 * dropped and the line marked cut), control characters replaced by '?'
 * so that nothing the guest writes can drive the server's terminal.
 */
#ifndef FLINT_SERVE_VM_MSGS_H
#define FLINT_SERVE_VM_MSGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ready_msg { READY_MSG_NONE, READY_MSG_READY, READY_MSG_EXIT };

struct ready_parser {
	unsigned char buf[9];
	unsigned n;
};

/* Feeds one byte; READY_MSG_READY with *generation, READY_MSG_EXIT with
 * *status when it completes a message, else READY_MSG_NONE. */
enum ready_msg ready_parse(struct ready_parser *p, unsigned char b, uint64_t *generation, int *status);

#define VM_LOG_LINE_MAX 200

struct vm_log {
	char line[VM_LOG_LINE_MAX];
	size_t len;
	bool cut;
};

typedef void vm_log_emit(void *ctx, const char *line, size_t len, bool cut);

/* Feeds n bytes of stderr; emit() once per complete line (without its
 * newline). */
void vm_log_feed(struct vm_log *l, const char *buf, size_t n, vm_log_emit *emit, void *ctx);
/* The last line, when it has no newline (at the VM's exit). */
void vm_log_flush(struct vm_log *l, vm_log_emit *emit, void *ctx);

#endif
