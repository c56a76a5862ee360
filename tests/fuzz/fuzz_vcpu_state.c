/*
 * libFuzzer harness for the vCPU and VM record loaders (vmm/vcpu_state.c),
 * the part of a snapshot the file's reader leaves opaque.  The first input
 * byte picks the host capabilities (SREGS2, XSAVE and its size, XCRS,
 * debug registers), the rest is the record.  The vCPU has no descriptor,
 * so a record that passes every check fails at the first ioctl: what is
 * fuzzed is the parsing, which must refuse with a reason and never read
 * outside the record.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vcpu.h"
#include "vcpu_state.h"
#include "vm.h"

/* vcpu_state.c serves extra exits through the run loop's handlers; the
 * save path is not fuzzed here. */
bool vcpu_serve_io(struct vcpu *v)
{
	(void)v;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vcpu v = { .fd = -1 };
	struct vm vm = { .vm_fd = -1 };
	struct vcpu_state_caps c = { 0 };
	struct state_in in;
	char err[512] = "";
	uint64_t tsc = 0;

	if (size < 1)
		return 0;
	c.sregs2 = data[0] & 1;
	c.xsave = data[0] & 2;
	c.xsave2 = data[0] & 4;
	c.xsave_size = c.xsave ? (data[0] & 4 ? 8192 : 4096) : 0;
	c.xcrs = data[0] & 8;
	c.debugregs = data[0] & 16;
	c.msrs = ~0ull;
	in = state_in_make(data + 1, size - 1);
	if (vcpu_state_load(&v, &c, &in, &tsc, err, sizeof(err)) == 0 || !err[0])
		abort(); /* no descriptor: it can only fail, and must say why */
	in = state_in_make(data + 1, size - 1);
	err[0] = 0;
	if (vm_state_load(&vm, &in, err, sizeof(err)) == 0 || !err[0])
		abort();
	return 0;
}
