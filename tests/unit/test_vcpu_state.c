/*
 * vCPU state save/load (vmm/vcpu_state.c).  On a KVM host: a tiny 32-bit
 * guest is stopped in the middle of a port read, its VM saved through a
 * real snapshot file (vCPU record, VM record, memory), and a second VM
 * restored from it must complete that read and run on with every
 * register, MSR, XCR, debug register, LAPIC register and FPU register it
 * had, its TSC continuing from the saved value.  Without /dev/kvm those
 * tests print SKIP.  The hostile-record tests need no KVM: load refuses
 * them before its first ioctl.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus.h"
#include "check.h"
#include "sandbox.h"
#include "snapshot_file.h"
#include "state.h"
#include "vcpu.h"
#include "vcpu_state.h"
#include "vm.h"

#define MEM (2u << 20)
#define CODE_GPA 0x1000u
#define PORT_IN 0x11
#define PORT_OUT 0x10
#define MAGIC_ESI 0x5eed1234u
#define TSC0 (1ull << 40)          /* above a new VM's TSC, which starts near 0 (PVM ignores it: see vcpu_state.c) */
#define MSR_TSC 0x10u
#define MSR_LSTAR 0xc0000082u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_SYSENTER_EIP 0x176u

/*
 * 32-bit flat code at CODE_GPA:
 *   loop: rdtsc; mov edi, eax; mov ebp, edx; inc ebx;
 *         in al, PORT_IN; out PORT_OUT, al; jmp loop
 */
static const uint8_t guest_code[] = {
	0x0f, 0x31, 0x89, 0xc7, 0x89, 0xd5, 0x43, 0xe4, PORT_IN, 0xe6, PORT_OUT, 0xeb, 0xf3,
};

static bool have_kvm(const char *test)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("SKIP %s (no /dev/kvm)\n", test);
		return false;
	}
	close(fd);
	return true;
}

struct box {
	struct vm vm;
	struct vcpu v;
	struct vcpu_state_caps caps;
};

static int box_create(struct box *b)
{
	char err[256];

	memset(b, 0, sizeof(*b));
	if (vm_create(&b->vm, MEM, 1, err, sizeof(err)) < 0 || vm_wait_cpuid(&b->vm, err, sizeof(err)) < 0 ||
	    vcpu_create(&b->vm, &b->v, 0, err, sizeof(err)) < 0 || vcpu_set_cpuid(&b->v, err, sizeof(err)) < 0 ||
	    vcpu_state_caps_probe(b->vm.kvm_fd, b->vm.vm_fd, &b->caps, err, sizeof(err)) < 0) {
		fprintf(stderr, "  setting up a VM: %s\n", err);
		return -1;
	}
	return 0;
}

static void box_destroy(struct box *b)
{
	vcpu_destroy(&b->v);
	vm_destroy(&b->vm);
}

static int set_msr(int fd, uint32_t index, uint64_t data)
{
	union {
		struct kvm_msrs hdr;
		uint8_t room[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} m = { .hdr.nmsrs = 1 };

	m.hdr.entries[0].index = index;
	m.hdr.entries[0].data = data;
	return ioctl(fd, KVM_SET_MSRS, &m) == 1 ? 0 : -1;
}

static uint64_t get_msr(int fd, uint32_t index)
{
	union {
		struct kvm_msrs hdr;
		uint8_t room[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} m = { .hdr.nmsrs = 1 };

	m.hdr.entries[0].index = index;
	if (ioctl(fd, KVM_GET_MSRS, &m) != 1)
		return ~0ull;
	return m.hdr.entries[0].data;
}

/* Runs until an I/O exit on port; false on anything else. */
static bool run_to_io(struct vcpu *v, uint16_t port, uint8_t dir)
{
	for (int i = 0; i < 100; i++) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fprintf(stderr, "  KVM_RUN: %s\n", strerror(errno));
			return false;
		}
		if (v->run->exit_reason != KVM_EXIT_IO) {
			fprintf(stderr, "  exit reason %u\n", v->run->exit_reason);

			return false;
		}
		return v->run->io.port == port && v->run->io.direction == dir;
	}
	return false;
}

static uint8_t *io_data(struct vcpu *v)
{
	return (uint8_t *)v->run + v->run->io.data_offset;
}

/* What the test set in VM A before it ran, to find again in VM B. */
static int seed_state(struct box *a)
{
	struct kvm_regs r;
	struct kvm_fpu fpu;
	struct kvm_debugregs dr;
	struct kvm_lapic_state lapic;
	char err[256];

	memcpy(a->vm.mem.host + CODE_GPA, guest_code, sizeof(guest_code));
	if (vcpu_set_pvh_entry(&a->v, CODE_GPA, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "  %s\n", err);
		return -1;
	}
	if (ioctl(a->v.fd, KVM_GET_REGS, &r) < 0)
		return -1;
	r.rbx = 100;
	r.rsi = MAGIC_ESI;
	if (ioctl(a->v.fd, KVM_SET_REGS, &r) < 0)
		return -1;
	if (set_msr(a->v.fd, MSR_TSC, TSC0) < 0 || set_msr(a->v.fd, MSR_LSTAR, 0xffffffff81000000ull) < 0 ||
	    set_msr(a->v.fd, MSR_KERNEL_GS_BASE, 0x12345000ull) < 0 ||
	    set_msr(a->v.fd, MSR_SYSENTER_EIP, 0xc0ffee) < 0)
		return -1;
	if (a->caps.xsave) {
		/* Through XSAVE, with SSE marked in use (XSTATE_BV bit 1): KVM_SET_FPU
		 * leaves XSTATE_BV alone, so KVM_GET_XSAVE would not see it. */
		static struct kvm_xsave x;
		uint8_t *p = (uint8_t *)x.region;

		if (ioctl(a->v.fd, KVM_GET_XSAVE, &x) < 0)
			return -1;
		memset(p + 160 + 3 * 16, 0xa5, 16);
		p[512] |= 2;
		if (ioctl(a->v.fd, KVM_SET_XSAVE, &x) < 0)
			return -1;
	} else {
		if (ioctl(a->v.fd, KVM_GET_FPU, &fpu) < 0)
			return -1;
		memset(fpu.xmm[3], 0xa5, 16);
		if (ioctl(a->v.fd, KVM_SET_FPU, &fpu) < 0)
			return -1;
	}
	if (a->caps.xcrs) {
		struct kvm_xcrs x = { .nr_xcrs = 1, .xcrs = { { .xcr = 0, .value = 3 } } };

		if (ioctl(a->v.fd, KVM_SET_XCRS, &x) < 0)
			return -1;
	}
	if (a->caps.debugregs) {
		if (ioctl(a->v.fd, KVM_GET_DEBUGREGS, &dr) < 0)
			return -1;
		dr.db[0] = 0x4000;
		dr.flags = 0;
		if (ioctl(a->v.fd, KVM_SET_DEBUGREGS, &dr) < 0)
			return -1;
	}
	if (ioctl(a->v.fd, KVM_GET_LAPIC, &lapic) < 0)
		return -1;
	lapic.regs[0x80] = 0x20; /* task priority */
	return ioctl(a->v.fd, KVM_SET_LAPIC, &lapic);
}

/*
 * The whole path a restore takes: VM A runs into `in al, 0x11` and stops
 * there with the answer (0x5a) given but not yet consumed; A is saved into
 * a snapshot file; VM B maps its memory from the file and loads the
 * records.  B must then output 0x5a (the read completed before the save)
 * and carry on with A's state.
 */
TEST(restored_vcpu_continues)
{
	static struct box a, b;
	struct state_out vrec = { 0 }, mrec = { 0 };
	struct snapshot s = { 0 }, got;
	struct snap_record vr, mr;
	struct kvm_regs ra, rb;
	struct kvm_fpu fpu;
	struct kvm_lapic_state lapic;
	struct state_in in;
	char err[256];
	uint64_t tsc_loaded = 0, khz;
	struct kvm_clock_data clock_a = { 0 }, clock_b = { 0 };
	int fd;

	if (!have_kvm("restored_vcpu_continues"))
		return;
	CHECK(box_create(&a) == 0);
	CHECK(seed_state(&a) == 0);
	CHECK(run_to_io(&a.v, PORT_IN, KVM_EXIT_IO_IN));
	io_data(&a.v)[0] = 0x5a;
	/* Saved while the read is in flight: the save must complete it. */
	if (vcpu_state_save(&a.v, &a.caps, &vrec, err, sizeof(err)) < 0)
		fprintf(stderr, "  %s\n", err);
	CHECK(vm_state_save(&a.vm, &mrec, err, sizeof(err)) == 0);
	CHECK(ioctl(a.v.fd, KVM_GET_REGS, &ra) == 0);
	CHECK((ra.rax & 0xff) == 0x5a);
	CHECK(ioctl(a.vm.vm_fd, KVM_GET_CLOCK, &clock_a) == 0);

	vr = (struct snap_record){ .version = VCPU_STATE_VERSION, .data = vrec.buf, .len = (uint32_t)vrec.len };
	mr = (struct snap_record){ .version = VM_STATE_VERSION, .data = mrec.buf, .len = (uint32_t)mrec.len };
	CHECK(snap_host_probe(a.vm.kvm_fd, a.v.fd, a.vm.cpuid, &s.host, err, sizeof(err)) == 0);
	s.mem_size = MEM;
	s.nvcpus = 1;
	s.vcpus = &vr;
	s.vm = mr;
	fd = memfd_create("snap", MFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(snap_write(fd, &s, a.vm.mem.host, true, NULL, err, sizeof(err)) == 0);
	if (snap_read(fd, "snap", &got, err, sizeof(err)) < 0) {
		fprintf(stderr, "  %s\n", err);
		CHECK(0);
		goto out;
	}

	CHECK(box_create(&b) == 0);
	CHECK(snap_map_memory(fd, &got, b.vm.mem.host, err, sizeof(err)) == b.vm.mem.host);
	close(fd);
	in = state_in_make(got.vm.data, got.vm.len);
	CHECK(vm_state_load(&b.vm, &in, err, sizeof(err)) == 0);
	in = state_in_make(got.vcpus[0].data, got.vcpus[0].len);
	if (vcpu_state_load(&b.v, &b.caps, &in, &tsc_loaded, err, sizeof(err)) < 0) {
		fprintf(stderr, "  %s\n", err);
		CHECK(0);
	}
	CHECK(tsc_loaded >= (ra.rbp << 32 | (ra.rdi & 0xffffffffu)));
	/* kvmclock continues too, from about where A's was. */
	CHECK(ioctl(b.vm.vm_fd, KVM_GET_CLOCK, &clock_b) == 0);
	CHECK(clock_b.clock + 1000000000ull > clock_a.clock && clock_b.clock < clock_a.clock + 60000000000ull);

	CHECK(run_to_io(&b.v, PORT_OUT, KVM_EXIT_IO_OUT));
	CHECK(io_data(&b.v)[0] == 0x5a);
	CHECK(ioctl(b.v.fd, KVM_GET_REGS, &rb) == 0);
	CHECK(rb.rbx == 101 && rb.rsi == MAGIC_ESI);
	CHECK(rb.rdi == ra.rdi && rb.rbp == ra.rbp); /* the TSC A read */
	CHECK(get_msr(b.v.fd, MSR_LSTAR) == 0xffffffff81000000ull);
	CHECK(get_msr(b.v.fd, MSR_KERNEL_GS_BASE) == 0x12345000ull);
	CHECK(get_msr(b.v.fd, MSR_SYSENTER_EIP) == 0xc0ffee);
	CHECK(ioctl(b.v.fd, KVM_GET_FPU, &fpu) == 0);
	CHECK(fpu.xmm[3][0] == 0xa5 && fpu.xmm[3][15] == 0xa5);
	CHECK(ioctl(b.v.fd, KVM_GET_LAPIC, &lapic) == 0);
	CHECK(lapic.regs[0x80] == 0x20);
	if (b.caps.xcrs) {
		struct kvm_xcrs x;

		CHECK(ioctl(b.v.fd, KVM_GET_XCRS, &x) == 0);
		CHECK(x.nr_xcrs >= 1 && x.xcrs[0].value == 3);
	}
	if (b.caps.debugregs) {
		struct kvm_debugregs dr;

		CHECK(ioctl(b.v.fd, KVM_GET_DEBUGREGS, &dr) == 0);
		CHECK(dr.db[0] == 0x4000);
	}

	/* Another round: a new rdtsc, after the saved one and not by much. */
	CHECK(run_to_io(&b.v, PORT_IN, KVM_EXIT_IO_IN));
	CHECK(ioctl(b.v.fd, KVM_GET_REGS, &rb) == 0);
	CHECK(rb.rbx == 102);
	{
		uint64_t then = ra.rbp << 32 | (ra.rdi & 0xffffffffu);
		uint64_t now = rb.rbp << 32 | (rb.rdi & 0xffffffffu);

		khz = (uint64_t)ioctl(b.v.fd, KVM_GET_TSC_KHZ, 0);
		CHECK(now > then);
		/* Less than 60 s of guest time: it did not jump either way. */
		CHECK(now - then < khz * 1000 * 60);
	}
	snap_free(&got);
out:
	state_out_free(&vrec);
	state_out_free(&mrec);
	box_destroy(&a);
	box_destroy(&b);
}

/* What the guest wrote to PORT_OUT, through VM A's port bus. */
static char out_bytes[16];
static unsigned nout;

static void out_write(void *dev, uint64_t off, const uint8_t *data, uint32_t len)
{
	(void)dev, (void)off;
	for (uint32_t i = 0; i < len && nout < sizeof(out_bytes); i++)
		out_bytes[nout++] = (char)data[i];
}

static void out_read(void *dev, uint64_t off, uint8_t *data, uint32_t len)
{
	(void)dev, (void)off;
	memset(data, 0xff, len);
}

static const struct bus_ops out_ops = { .read = out_read, .write = out_write };

/*
 * 32-bit code at CODE_GPA: mov esi, 0x2000; mov ecx, 3; mov dx, PORT_OUT;
 * rep outsb; in al, PORT_IN; hlt.  KVM may split the string into one exit
 * per byte (the PVM hosts do).  Saved after the first byte, the guest
 * must emit each byte exactly once across the two VMs: the save
 * completes the byte in flight, and the restored guest resumes the
 * string (rep is interruptible: RCX and RSI say how far it got).
 */
static const uint8_t string_code[] = {
	0xbe, 0x00, 0x20, 0x00, 0x00, 0xb9, 0x03, 0x00, 0x00, 0x00, 0x66, 0xba, PORT_OUT, 0x00,
	0xf3, 0x6e, 0xe4, PORT_IN, 0xf4,
};

/* Runs v to its IN, collecting what it outputs on PORT_OUT first. */
static bool run_collecting(struct vcpu *v)
{
	for (int i = 0; i < 16; i++) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return false;
		}
		if (v->run->exit_reason != KVM_EXIT_IO)
			return false;
		if (v->run->io.port == PORT_IN)
			return true;
		if (v->run->io.port != PORT_OUT || v->run->io.direction != KVM_EXIT_IO_OUT)
			return false;
		out_write(NULL, 0, io_data(v), v->run->io.size * v->run->io.count);
	}
	return false;
}

TEST(string_io_is_neither_lost_nor_repeated)
{
	static struct box a, b;
	struct state_out rec = { 0 };
	struct state_in in;
	char err[256];

	if (!have_kvm("string_io_is_neither_lost_nor_repeated"))
		return;
	CHECK(box_create(&a) == 0);
	CHECK(box_create(&b) == 0);
	memcpy(a.vm.mem.host + CODE_GPA, string_code, sizeof(string_code));
	memcpy(a.vm.mem.host + 0x2000, "abc", 3);
	memcpy(b.vm.mem.host, a.vm.mem.host, MEM);
	CHECK(bus_register(&a.vm.pio, PORT_OUT, 1, "out", &out_ops, NULL) == 0);
	CHECK(vcpu_set_pvh_entry(&a.v, CODE_GPA, 0, err, sizeof(err)) == 0);
	CHECK(run_to_io(&a.v, PORT_OUT, KVM_EXIT_IO_OUT));
	/* The first exit, served as the run loop would, then the pause. */
	nout = 0;
	out_write(NULL, 0, io_data(&a.v), a.v.run->io.size * a.v.run->io.count);
	if (vcpu_state_save(&a.v, &a.caps, &rec, err, sizeof(err)) < 0) {
		fprintf(stderr, "  %s\n", err);
		CHECK(0);
	}
	in = state_in_make(rec.buf, rec.len);
	CHECK(vcpu_state_load(&b.v, &b.caps, &in, NULL, err, sizeof(err)) == 0);
	CHECK(run_collecting(&b.v));
	CHECK(nout == 3 && !memcmp(out_bytes, "abc", 3));
	state_out_free(&rec);
	box_destroy(&a);
	box_destroy(&b);
}

/* MMIO reads at MMIO_GPA see 0x22 bytes, through VM A's MMIO bus. */
#define MMIO_GPA 0xd0000000u

static void mmio_read(void *dev, uint64_t off, uint8_t *data, uint32_t len)
{
	(void)dev, (void)off;
	memset(data, 0x22, len);
}

static const struct bus_ops mmio_ops = { .read = mmio_read, .write = out_write };

/*
 * 32-bit code at CODE_GPA: movdqu xmm0, [MMIO_GPA]; in al, PORT_IN; hlt.
 * KVM splits the 16-byte read into two 8-byte MMIO exits.  Saved after
 * the first, finishing the instruction takes the second exit, which the
 * save must serve (the first half reads 0x11, the second 0x22).
 */
static const uint8_t mmio_code[] = {
	0xf3, 0x0f, 0x6f, 0x05, 0x00, 0x00, 0x00, 0xd0, 0xe4, PORT_IN, 0xf4,
};

TEST(split_mmio_read_completes_before_the_save)
{
	static struct box a, b;
	struct state_out rec = { 0 };
	struct kvm_sregs sr;
	struct kvm_fpu fpu;
	struct state_in in;
	char err[256];

	if (!have_kvm("split_mmio_read_completes_before_the_save"))
		return;
	CHECK(box_create(&a) == 0);
	CHECK(box_create(&b) == 0);
	memcpy(a.vm.mem.host + CODE_GPA, mmio_code, sizeof(mmio_code));
	memcpy(b.vm.mem.host + CODE_GPA, mmio_code, sizeof(mmio_code));
	CHECK(bus_register(&a.vm.mmio, MMIO_GPA, 0x1000, "test", &mmio_ops, NULL) == 0);
	CHECK(vcpu_set_pvh_entry(&a.v, CODE_GPA, 0, err, sizeof(err)) == 0);
	CHECK(ioctl(a.v.fd, KVM_GET_SREGS, &sr) == 0);
	sr.cr4 |= 1u << 9; /* OSFXSR: SSE instructions allowed */
	sr.cr0 |= 1u << 1; /* MP */
	CHECK(ioctl(a.v.fd, KVM_SET_SREGS, &sr) == 0);
	CHECK(ioctl(a.v.fd, KVM_RUN, 0) == 0);
	CHECK(a.v.run->exit_reason == KVM_EXIT_MMIO && !a.v.run->mmio.is_write);
	memset(a.v.run->mmio.data, 0x11, sizeof(a.v.run->mmio.data));
	if (vcpu_state_save(&a.v, &a.caps, &rec, err, sizeof(err)) < 0) {
		fprintf(stderr, "  %s\n", err);
		CHECK(0);
	}
	in = state_in_make(rec.buf, rec.len);
	CHECK(vcpu_state_load(&b.v, &b.caps, &in, NULL, err, sizeof(err)) == 0);
	CHECK(run_to_io(&b.v, PORT_IN, KVM_EXIT_IO_IN));
	CHECK(ioctl(b.v.fd, KVM_GET_FPU, &fpu) == 0);
	CHECK(fpu.xmm[0][0] == 0x11 && fpu.xmm[0][7] == 0x11 && fpu.xmm[0][8] == 0x22 && fpu.xmm[0][15] == 0x22);
	state_out_free(&rec);
	box_destroy(&a);
	box_destroy(&b);
}

/* Zeroes the TSC's value in a record: the one thing that moves between saves. */
static void blank_tsc(struct state_out *r)
{
	struct state_in in = state_in_make(r->buf, r->len);
	uint32_t n = 0, tag, len;

	state_get_u32(&in, &n);
	for (uint32_t i = 0; i < n && state_get_u32(&in, &tag) && state_get_u32(&in, &len); i++) {
		if (tag == 7) { /* MSRs: a count, then index/value pairs */
			for (size_t off = in.off + 4; off + 12 <= in.off + len; off += 12)
				if (!memcmp(r->buf + off, "\x10\0\0\0", 4))
					memset(r->buf + off + 4, 0, 8);
		}
		in.off += len;
	}
}

/* A record loaded into a fresh vCPU saves back to the same bytes. */
TEST(record_round_trips)
{
	static struct box a, b;
	struct state_out r1 = { 0 }, r2 = { 0 };
	struct state_in in;
	char err[256];

	if (!have_kvm("record_round_trips"))
		return;
	CHECK(box_create(&a) == 0);
	CHECK(box_create(&b) == 0);
	CHECK(seed_state(&a) == 0);
	CHECK(vcpu_state_save(&a.v, &a.caps, &r1, err, sizeof(err)) == 0);
	in = state_in_make(r1.buf, r1.len);
	CHECK(vcpu_state_load(&b.v, &b.caps, &in, NULL, err, sizeof(err)) == 0);
	CHECK(vcpu_state_save(&b.v, &b.caps, &r2, err, sizeof(err)) == 0);
	blank_tsc(&r1);
	blank_tsc(&r2);
	CHECK(r1.len == r2.len && r1.len > 1000);
	CHECK(r1.len == r2.len && !memcmp(r1.buf, r2.buf, r1.len));
	state_out_free(&r1);
	state_out_free(&r2);
	box_destroy(&a);
	box_destroy(&b);
}

/* An AP that never ran (waiting for INIT/SIPI) saves and loads as one. */
TEST(waiting_ap_stays_waiting)
{
	static struct vm va, vb;
	static struct vcpu a[2], b[2];
	struct vcpu_state_caps caps;
	struct state_out r1 = { 0 }, r2 = { 0 };
	struct kvm_mp_state mp;
	struct state_in in;
	char err[256];

	if (!have_kvm("waiting_ap_stays_waiting"))
		return;
	CHECK(vm_create(&va, MEM, 2, err, sizeof(err)) == 0 && vm_wait_cpuid(&va, err, sizeof(err)) == 0);
	CHECK(vm_create(&vb, MEM, 2, err, sizeof(err)) == 0 && vm_wait_cpuid(&vb, err, sizeof(err)) == 0);
	for (unsigned i = 0; i < 2; i++) {
		CHECK(vcpu_create(&va, &a[i], i, err, sizeof(err)) == 0 && vcpu_set_cpuid(&a[i], err, sizeof(err)) == 0);
		CHECK(vcpu_create(&vb, &b[i], i, err, sizeof(err)) == 0 && vcpu_set_cpuid(&b[i], err, sizeof(err)) == 0);
	}
	CHECK(vcpu_state_caps_probe(va.kvm_fd, va.vm_fd, &caps, err, sizeof(err)) == 0);
	CHECK(ioctl(a[1].fd, KVM_GET_MP_STATE, &mp) == 0);
	CHECK(mp.mp_state == KVM_MP_STATE_UNINITIALIZED);
	if (vcpu_state_save(&a[1], &caps, &r1, err, sizeof(err)) < 0)
		fprintf(stderr, "  %s\n", err);
	in = state_in_make(r1.buf, r1.len);
	if (vcpu_state_load(&b[1], &caps, &in, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "  %s\n", err);
		CHECK(0);
	}
	CHECK(ioctl(b[1].fd, KVM_GET_MP_STATE, &mp) == 0);
	CHECK(mp.mp_state == KVM_MP_STATE_UNINITIALIZED);
	CHECK(vcpu_state_save(&b[1], &caps, &r2, err, sizeof(err)) == 0);
	blank_tsc(&r1);
	blank_tsc(&r2);
	CHECK(r1.len == r2.len && !memcmp(r1.buf, r2.buf, r1.len));
	state_out_free(&r1);
	state_out_free(&r2);
	for (unsigned i = 0; i < 2; i++) {
		vcpu_destroy(&a[i]);
		vcpu_destroy(&b[i]);
	}
	vm_destroy(&va);
	vm_destroy(&vb);
}

/* In a child: a vCPU thread under the vcpu role's filter (kill mode) saves
 * its state mid port read, as flint's would. */
static struct box sandboxed;

static void *save_under_filter(void *arg)
{
	struct state_out rec = { 0 };
	char err[256];

	(void)arg;
	if (seccomp_install(SANDBOX_ROLE_VCPU, 0, SECCOMP_MODE_KILL, err, sizeof(err)) < 0)
		syscall(SYS_exit_group, 2);
	if (vcpu_state_save(&sandboxed.v, &sandboxed.caps, &rec, err, sizeof(err)) < 0)
		syscall(SYS_exit_group, 3);
	/* exit_group, not exit: ASan's leak check at exit would clone. */
	syscall(SYS_exit_group, rec.len > 1000 ? 0 : 4);
	return NULL;
}

TEST(save_runs_under_the_vcpu_filter)
{
	pid_t pid;
	int status = -1;

	if (!have_kvm("save_runs_under_the_vcpu_filter"))
		return;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		pthread_t t;

		if (box_create(&sandboxed) < 0 || seed_state(&sandboxed) < 0 ||
		    !run_to_io(&sandboxed.v, PORT_IN, KVM_EXIT_IO_IN))
			syscall(SYS_exit_group, 1);
		if (pthread_create(&t, NULL, save_under_filter, NULL) == 0)
			pthread_join(t, NULL);
		syscall(SYS_exit_group, 5);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "  child: %s %d\n", WIFSIGNALED(status) ? "signal" : "status",
			WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- hostile records: refused before KVM is asked anything ---- */

static const struct vcpu_state_caps plain_caps = { .xsave = true, .xsave_size = 4096, .xcrs = true,
						   .debugregs = true };

static void section(struct state_out *o, uint32_t tag, size_t len)
{
	void *z = calloc(1, len ? len : 1);

	state_put_u32(o, tag);
	state_put_u32(o, (uint32_t)len);
	state_put_bytes(o, z, len);
	free(z);
}

enum { S_REGS = 1, S_SREGS, S_SREGS2, S_XSAVE, S_FPU, S_XCRS, S_MSRS, S_LAPIC, S_MP, S_EVENTS, S_DR };

/* A well-formed record for plain_caps, with one thing changed by `how`. */
static void make_record(struct state_out *o, const char *how)
{
	uint32_t n = 9 + !strcmp(how, "extra section") - !strcmp(how, "missing");

	state_put_u32(o, n);
	section(o, S_REGS, sizeof(struct kvm_regs) + !strcmp(how, "regs size"));
	section(o, !strcmp(how, "sregs2") ? S_SREGS2 : S_SREGS,
		!strcmp(how, "sregs2") ? sizeof(struct kvm_sregs2) : sizeof(struct kvm_sregs));
	section(o, S_XSAVE, !strcmp(how, "xsave size") ? 8192 : 4096);
	section(o, S_XCRS, sizeof(struct kvm_xcrs));
	state_put_u32(o, S_MSRS);
	if (!strcmp(how, "unknown msr")) {
		state_put_u32(o, 4 + 24);
		state_put_u32(o, 2);
		state_put_u32(o, MSR_TSC);
		state_put_u64(o, 1);
		state_put_u32(o, 0xc0010015); /* HWCR: not one we save */
		state_put_u64(o, 0);
	} else if (!strcmp(how, "duplicate msr")) {
		state_put_u32(o, 4 + 24);
		state_put_u32(o, 2);
		state_put_u32(o, MSR_TSC);
		state_put_u64(o, 1);
		state_put_u32(o, MSR_TSC);
		state_put_u64(o, 2);
	} else if (!strcmp(how, "no tsc")) {
		state_put_u32(o, 4 + 12);
		state_put_u32(o, 1);
		state_put_u32(o, MSR_LSTAR);
		state_put_u64(o, 1);
	} else if (!strcmp(how, "short msrs")) {
		state_put_u32(o, 4 + 12);
		state_put_u32(o, 2); /* says two, holds one */
		state_put_u32(o, MSR_TSC);
		state_put_u64(o, 1);
	} else if (!strcmp(how, "msr count")) {
		state_put_u32(o, 4 + 12);
		state_put_u32(o, 0x10000000);
		state_put_u32(o, MSR_TSC);
		state_put_u64(o, 1);
	} else {
		state_put_u32(o, 4 + 12);
		state_put_u32(o, 1);
		state_put_u32(o, MSR_TSC);
		state_put_u64(o, 1);
	}
	section(o, S_LAPIC, sizeof(struct kvm_lapic_state));
	section(o, !strcmp(how, "duplicate") ? S_LAPIC : S_MP, sizeof(struct kvm_mp_state));
	section(o, !strcmp(how, "unknown tag") ? 99 : S_EVENTS, sizeof(struct kvm_vcpu_events));
	if (strcmp(how, "missing"))
		section(o, S_DR, sizeof(struct kvm_debugregs));
	if (!strcmp(how, "extra section"))
		section(o, S_FPU, sizeof(struct kvm_fpu));
	if (!strcmp(how, "trailing"))
		state_put_u8(o, 0);
}

/* Loads a record into a vCPU with no descriptor: a record that passes
 * every check fails at the first ioctl, KVM_SET_REGS. */
static void load_fake(const char *how, size_t cut, char *err, size_t errlen)
{
	struct vcpu v = { .fd = -1, .id = 0 };
	struct state_out o = { 0 };
	struct state_in in;

	make_record(&o, how);
	in = state_in_make(o.buf, cut && cut < o.len ? cut : o.len);
	err[0] = 0;
	CHECK(vcpu_state_load(&v, &plain_caps, &in, NULL, err, errlen) == -1);
	state_out_free(&o);
}

TEST(well_formed_record_passes_the_checks)
{
	char err[256];

	load_fake("", 0, err, sizeof(err));
	CHECK_CONTAINS(err, "KVM_SET_REGS");
}

TEST(hostile_records_are_refused)
{
	static const struct {
		const char *how, *why;
	} cases[] = {
		{ "regs size", "wrong size" },
		{ "sregs2", "KVM features this host lacks" },
		{ "xsave size", "wrong size" },
		{ "unknown msr", "does not save" },
		{ "duplicate msr", "twice" },
		{ "no tsc", "TSC is missing" },
		{ "msr count", "too many MSRs" },
		{ "short msrs", "vCPU 0's record: truncated" },
		{ "duplicate", "twice" },
		{ "unknown tag", "unknown section" },
		{ "missing", "is missing" },
		{ "extra section", "KVM features this host lacks" },
		{ "trailing", "trailing" },
	};
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		load_fake(cases[i].how, 0, err, sizeof(err));
		CHECK_CONTAINS(err, cases[i].why);
	}
}

/* Every truncation of a good record is refused, none reaches KVM. */
TEST(truncated_records_are_refused)
{
	struct state_out o = { 0 };
	char err[256];

	make_record(&o, "");
	for (size_t cut = 1; cut < o.len; cut += (cut < 64 ? 1 : 97)) {
		load_fake("", cut, err, sizeof(err));
		CHECK(strstr(err, "KVM_SET") == NULL);
	}
	state_out_free(&o);
}

TEST(vm_record_is_checked)
{
	struct vm vm = { .vm_fd = -1 };
	uint8_t short_rec[4] = { 0 }, long_rec[9] = { 0 };
	struct state_in in = state_in_make(short_rec, sizeof(short_rec));
	char err[256];

	CHECK(vm_state_load(&vm, &in, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "truncated");
	in = state_in_make(long_rec, sizeof(long_rec));
	CHECK(vm_state_load(&vm, &in, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "trailing");
}

CHECK_MAIN()
