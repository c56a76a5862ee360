/*
 * Writes vCPU records for fuzz_vcpu_state into the directory given: one
 * well-formed record per combination of the capabilities the first byte
 * selects (every section, zero-filled, at the size the loader expects),
 * so the fuzzer starts past the section checks.
 */
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>

#include "state.h"

static void section(struct state_out *o, uint32_t tag, size_t len)
{
	static const uint8_t zero[8192];

	state_put_u32(o, tag);
	state_put_u32(o, (uint32_t)len);
	state_put_bytes(o, zero, len);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	for (unsigned caps = 0; caps < 32; caps++) {
		struct state_out o = { 0 };
		uint8_t first = (uint8_t)caps;
		bool xcrs = caps & 8, dr = caps & 16;
		char path[4096];
		FILE *f;

		if ((caps & 4) && !(caps & 2))
			continue; /* XSAVE2 without XSAVE: not a host */
		state_put_u32(&o, 7u + xcrs + dr);
		section(&o, 1, sizeof(struct kvm_regs));
		if (caps & 1)
			section(&o, 3, sizeof(struct kvm_sregs2));
		else
			section(&o, 2, sizeof(struct kvm_sregs));
		if (caps & 2)
			section(&o, 4, caps & 4 ? 8192 : 4096);
		else
			section(&o, 5, sizeof(struct kvm_fpu));
		if (xcrs)
			section(&o, 6, sizeof(struct kvm_xcrs));
		state_put_u32(&o, 7); /* MSRs: the TSC and TSC_DEADLINE */
		state_put_u32(&o, 4 + 24);
		state_put_u32(&o, 2);
		state_put_u32(&o, 0x10);
		state_put_u64(&o, 1000);
		state_put_u32(&o, 0x6e0);
		state_put_u64(&o, 0);
		section(&o, 8, sizeof(struct kvm_lapic_state));
		section(&o, 9, sizeof(struct kvm_mp_state));
		section(&o, 10, sizeof(struct kvm_vcpu_events));
		if (dr)
			section(&o, 11, sizeof(struct kvm_debugregs));
		snprintf(path, sizeof(path), "%s/caps-%02x", argv[1], caps);
		f = fopen(path, "wb");
		if (!f || fwrite(&first, 1, 1, f) != 1 || fwrite(o.buf, 1, o.len, f) != o.len || fclose(f))
			return 1;
		state_out_free(&o);
	}
	return 0;
}
