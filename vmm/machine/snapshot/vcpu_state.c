/* vCPU and VM state records (vcpu_state.h). */
#include "vcpu_state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vcpu.h"
#include "vm.h"

/* Section tags of a vCPU record; a number is never reused for another layout. */
enum {
	SEC_REGS = 1,
	SEC_SREGS,
	SEC_SREGS2,
	SEC_XSAVE,
	SEC_FPU,
	SEC_XCRS,
	SEC_MSRS,
	SEC_LAPIC,
	SEC_MP_STATE,
	SEC_EVENTS,
	SEC_DEBUGREGS,
	SEC_COUNT
};

#define MSR_IA32_TSC_DEADLINE 0x6e0u

/* KVM's structures a record holds (XSAVE and the MSRs apart: their size varies). */
struct vcpu_structs {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_sregs2 sregs2;
	struct kvm_fpu fpu;
	struct kvm_xcrs xcrs;
	struct kvm_lapic_state lapic;
	struct kvm_mp_state mp;
	struct kvm_vcpu_events events;
	struct kvm_debugregs dregs;
};

/*
 * The MSRs a guest of ours can change and KVM keeps, beyond those in
 * sregs (EFER, the APIC base, FS/GS base).  A fixed list, cut down to
 * what this host's KVM_GET_MSR_INDEX_LIST says it saves (MTRRs are never
 * listed there but always kept), rather than that whole list: it also
 * names performance counters and machine-check banks that KVM refuses
 * without the matching CPUID, and a restore could not tell a refused
 * MSR from a lost one.  Entries KVM still refuses to read are left out
 * of the record, so it holds exactly what KVM gave.
 */
static const uint32_t msr_list[] = {
	0x10,                                   /* TSC */
	0x3b,                                   /* TSC_ADJUST */
	0x48,                                   /* SPEC_CTRL */
	0x174, 0x175, 0x176,                    /* SYSENTER_CS, _ESP, _EIP */
	0x1a0,                                  /* MISC_ENABLE */
	0x277,                                  /* PAT */
	0x2ff,                                  /* MTRR default type */
	0x250, 0x258, 0x259,                    /* fixed MTRRs */
	0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f,
	0x200, 0x201, 0x202, 0x203, 0x204, 0x205, 0x206, 0x207, /* variable MTRRs */
	0x208, 0x209, 0x20a, 0x20b, 0x20c, 0x20d, 0x20e, 0x20f,
	0xda0,                                  /* XSS */
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, /* STAR, LSTAR, CSTAR, SYSCALL_MASK */
	0xc0000102,                             /* KERNEL_GS_BASE */
	0xc0000103,                             /* TSC_AUX */
	0x11, 0x12,                             /* kvmclock: wall clock, system time (old) */
	0x4b564d00, 0x4b564d01,                 /* kvmclock: wall clock, system time */
	0x4b564d02, 0x4b564d03, 0x4b564d04,     /* async PF, steal time, PV EOI */
	0x4b564d06,                             /* async PF interrupt */
	MSR_IA32_TSC_DEADLINE,                  /* last: set after the LAPIC */
};
#define NMSRS (sizeof(msr_list) / sizeof(msr_list[0]))
_Static_assert(NMSRS <= 64, "vcpu_state_caps.msrs has a bit per MSR");

static bool is_mtrr(uint32_t index)
{
	return (index >= 0x200 && index <= 0x20f) || index == 0x250 || index == 0x258 ||
	       index == 0x259 || (index >= 0x268 && index <= 0x26f) || index == 0x2ff;
}

static bool msr_known(uint32_t index)
{
	for (size_t i = 0; i < NMSRS; i++)
		if (msr_list[i] == index)
			return true;
	return false;
}

/* The MSRs of msr_list this host saves, as a bit mask. */
static int probe_msrs(int kvm_fd, uint64_t *mask, char *err, size_t errlen)
{
	uint32_t cap = 256;

	for (;;) {
		struct kvm_msr_list *l = calloc(1, sizeof(*l) + cap * sizeof(l->indices[0]));

		if (!l) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		l->nmsrs = cap;
		if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, l) < 0) {
			int e = errno;

			/* E2BIG: KVM wrote how many it has into nmsrs. */
			if (e == E2BIG && l->nmsrs > cap && l->nmsrs < 65536) {
				cap = l->nmsrs;
				free(l);
				continue;
			}
			free(l);
			snprintf(err, errlen, "KVM_GET_MSR_INDEX_LIST: %s", strerror(e));
			return -1;
		}
		*mask = 0;
		for (size_t i = 0; i < NMSRS; i++) {
			bool listed = is_mtrr(msr_list[i]);

			for (uint32_t j = 0; j < l->nmsrs && j < cap && !listed; j++)
				listed = l->indices[j] == msr_list[i];
			if (listed)
				*mask |= 1ull << i;
		}
		free(l);
		return 0;
	}
}

int vcpu_state_caps_probe(int kvm_fd, int vm_fd, struct vcpu_state_caps *c, char *err, size_t errlen)
{
	int xsave2;

	*c = (struct vcpu_state_caps){ 0 };
	if (probe_msrs(kvm_fd, &c->msrs, err, errlen) < 0)
		return -1;
	/* KVM_CHECK_EXTENSION on the VM fd (KVM_CAP_CHECK_EXTENSION_VM, Linux 4.0). */
	xsave2 = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	if (xsave2 < 0) {
		snprintf(err, errlen, "KVM_CHECK_EXTENSION: %s", strerror(errno));
		return -1;
	}
	c->sregs2 = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SREGS2) > 0;
	c->xsave = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) > 0;
	c->xcrs = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0;
	c->debugregs = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_DEBUGREGS) > 0;
	if (c->xsave) {
		/* XSAVE2's answer is the state's size; never below the 4 KiB
		 * struct kvm_xsave, which KVM_GET_XSAVE fills. */
		c->xsave2 = xsave2 > 0;
		c->xsave_size = xsave2 > (int)sizeof(struct kvm_xsave) ? (uint32_t)xsave2
								       : (uint32_t)sizeof(struct kvm_xsave);
	}
	return 0;
}

static void put_section(struct state_out *o, uint32_t tag, const void *p, size_t len)
{
	state_put_u32(o, tag);
	state_put_u32(o, (uint32_t)len);
	state_put_bytes(o, p, len);
}

/*
 * Reads every MSR of msr_list KVM will give into got[]: KVM_GET_MSRS
 * stops at the first index it refuses and returns how many it read, so a
 * refused one is dropped and the rest asked again.  req has room for
 * NMSRS entries.  Returns how many are in got, or -1.
 */
static int get_msrs(int fd, uint64_t mask, struct kvm_msrs *req, struct kvm_msr_entry *got)
{
	uint32_t want[NMSRS];
	size_t nwant = 0, have = 0;

	for (size_t i = 0; i < NMSRS; i++)
		if (mask & (1ull << i))
			want[nwant++] = msr_list[i];
	for (size_t next = 0; next < nwant;) {
		int n;

		req->nmsrs = (uint32_t)(nwant - next);
		req->pad = 0;
		for (size_t i = 0; i < req->nmsrs; i++)
			req->entries[i] = (struct kvm_msr_entry){ .index = want[next + i] };
		n = ioctl(fd, KVM_GET_MSRS, req);
		if (n < 0 || (uint32_t)n > req->nmsrs)
			return -1;
		memcpy(got + have, req->entries, (size_t)n * sizeof(*got));
		have += (size_t)n;
		next += (size_t)n + 1; /* past the one KVM refused (or the end) */
	}
	return (int)have;
}

/*
 * The KVM API: a port or MMIO exit's emulation completes only on the next
 * KVM_RUN; immediate_exit makes that run return before entering the guest,
 * with the registers final.  Finishing may take more exits first (KVM
 * splits a 16-byte MMIO access in two): each is served as the run loop
 * would.  Port strings do not: rep is interruptible, so KVM stops between
 * iterations with RCX and RSI saying how far it got.
 */
static int complete_io(struct vcpu *v, char *err, size_t errlen)
{
	for (int i = 0; i < 64; i++) {
		int rc;

		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELAXED);
		rc = ioctl(v->fd, KVM_RUN, 0);
		__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_RELAXED);
		if (rc < 0 && (errno == EINTR || errno == EAGAIN))
			return 0;
		if (rc < 0) {
			snprintf(err, errlen, "saving vCPU %u: KVM_RUN (immediate exit): %s", v->id,
				 strerror(errno));
			return -1;
		}
		if (!vcpu_serve_io(v)) {
			snprintf(err, errlen, "saving vCPU %u: finishing its last access, KVM_RUN "
				 "exited for another reason (%u)", v->id, v->run->exit_reason);
			return -1;
		}
	}
	snprintf(err, errlen, "saving vCPU %u: its last access still needs more exits after 64", v->id);
	return -1;
}

int vcpu_state_save(struct vcpu *v, const struct vcpu_state_caps *c, struct state_out *out,
		    char *err, size_t errlen)
{
	struct vcpu_structs k;
	struct kvm_msrs *msrs = NULL;
	struct kvm_msr_entry got[NMSRS];
	int nmsrs;
	void *xsave = NULL;
	const char *what;

	if (complete_io(v, err, errlen) < 0)
		return -1;

	msrs = calloc(1, sizeof(*msrs) + NMSRS * sizeof(msrs->entries[0]));
	if (c->xsave)
		xsave = calloc(1, c->xsave_size);
	what = "out of memory";
	errno = ENOMEM;
	if (!msrs || (c->xsave && !xsave))
		goto fail;

	what = "KVM_GET_REGS";
	if (ioctl(v->fd, KVM_GET_REGS, &k.regs) < 0)
		goto fail;
	what = c->sregs2 ? "KVM_GET_SREGS2" : "KVM_GET_SREGS";
	if (ioctl(v->fd, c->sregs2 ? KVM_GET_SREGS2 : KVM_GET_SREGS,
		  c->sregs2 ? (void *)&k.sregs2 : (void *)&k.sregs) < 0)
		goto fail;
	what = c->xsave2 ? "KVM_GET_XSAVE2" : c->xsave ? "KVM_GET_XSAVE" : "KVM_GET_FPU";
	if (ioctl(v->fd, c->xsave2 ? KVM_GET_XSAVE2 : c->xsave ? KVM_GET_XSAVE : KVM_GET_FPU,
		  c->xsave ? xsave : (void *)&k.fpu) < 0)
		goto fail;
	what = "KVM_GET_XCRS";
	if (c->xcrs && ioctl(v->fd, KVM_GET_XCRS, &k.xcrs) < 0)
		goto fail;
	what = "KVM_GET_MSRS";
	if ((nmsrs = get_msrs(v->fd, c->msrs, msrs, got)) < 0)
		goto fail;
	what = "KVM_GET_LAPIC";
	if (ioctl(v->fd, KVM_GET_LAPIC, &k.lapic) < 0)
		goto fail;
	what = "KVM_GET_MP_STATE";
	if (ioctl(v->fd, KVM_GET_MP_STATE, &k.mp) < 0)
		goto fail;
	what = "KVM_GET_VCPU_EVENTS";
	if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &k.events) < 0)
		goto fail;
	what = "KVM_GET_DEBUGREGS";
	if (c->debugregs && ioctl(v->fd, KVM_GET_DEBUGREGS, &k.dregs) < 0)
		goto fail;

	state_put_u32(out, 7u + c->xcrs + c->debugregs);
	put_section(out, SEC_REGS, &k.regs, sizeof(k.regs));
	if (c->sregs2)
		put_section(out, SEC_SREGS2, &k.sregs2, sizeof(k.sregs2));
	else
		put_section(out, SEC_SREGS, &k.sregs, sizeof(k.sregs));
	if (c->xsave)
		put_section(out, SEC_XSAVE, xsave, c->xsave_size);
	else
		put_section(out, SEC_FPU, &k.fpu, sizeof(k.fpu));
	if (c->xcrs)
		put_section(out, SEC_XCRS, &k.xcrs, sizeof(k.xcrs));
	state_put_u32(out, SEC_MSRS);
	state_put_u32(out, 4 + 12 * (uint32_t)nmsrs);
	state_put_u32(out, (uint32_t)nmsrs);
	for (int i = 0; i < nmsrs; i++) {
		state_put_u32(out, got[i].index);
		state_put_u64(out, got[i].data);
	}
	put_section(out, SEC_LAPIC, &k.lapic, sizeof(k.lapic));
	put_section(out, SEC_MP_STATE, &k.mp, sizeof(k.mp));
	put_section(out, SEC_EVENTS, &k.events, sizeof(k.events));
	if (c->debugregs)
		put_section(out, SEC_DEBUGREGS, &k.dregs, sizeof(k.dregs));
	free(msrs);
	free(xsave);
	if (out->failed) {
		snprintf(err, errlen, "saving vCPU %u: out of memory", v->id);
		return -1;
	}
	return 0;
fail:
	snprintf(err, errlen, "saving vCPU %u: %s: %s", v->id, what, strerror(errno));
	free(msrs);
	free(xsave);
	return -1;
}

/* Where each section of a record being loaded lies. */
struct sections {
	const uint8_t *p[SEC_COUNT];
	uint32_t len[SEC_COUNT];
};

static const char *split_sections(struct state_in *in, struct sections *s)
{
	uint32_t n = 0;

	*s = (struct sections){ 0 };
	if (!state_get_u32(in, &n) || n == 0 || n >= SEC_COUNT)
		return in->why ? in->why : "section count out of range";
	for (uint32_t i = 0; i < n; i++) {
		uint32_t tag = 0, len = 0;

		state_get_u32(in, &tag);
		state_get_u32(in, &len);
		if (in->why)
			return in->why;
		if (tag == 0 || tag >= SEC_COUNT)
			return "unknown section: a record from another layout";
		if (s->p[tag])
			return "a section appears twice";
		if (len == 0 || len > in->len - in->off)
			return "truncated";
		s->p[tag] = in->p + in->off;
		s->len[tag] = len;
		in->off += len;
	}
	if (!state_in_done(in))
		return in->why;
	return NULL;
}

/* Copies section tag into dst, which must be exactly its size. */
static const char *take(const struct sections *s, unsigned tag, void *dst, size_t size)
{
	if (!s->p[tag])
		return "a section is missing: a record from another layout";
	if (s->len[tag] != size)
		return "a section has the wrong size: a record from another layout";
	memcpy(dst, s->p[tag], size);
	return NULL;
}

/* Moves the vCPU's TSC forward by delta through its offset attribute;
 * -1 where the host has none (before Linux 5.16) or refuses (PVM). */
static int tsc_offset_nudge(int fd, uint64_t delta)
{
#ifdef KVM_VCPU_TSC_CTRL
	uint64_t off;
	struct kvm_device_attr a = { .group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET,
				     .addr = (uint64_t)(uintptr_t)&off };

	if (ioctl(fd, KVM_GET_DEVICE_ATTR, &a) < 0)
		return -1;
	off += delta;
	return ioctl(fd, KVM_SET_DEVICE_ATTR, &a) < 0 ? -1 : 0;
#else
	(void)fd, (void)delta;
	return -1;
#endif
}

static int set_msrs(int fd, struct kvm_msrs *m, const struct kvm_msr_entry *e, uint32_t n,
		    char *err, size_t errlen, unsigned id)
{
	int rc;

	if (n == 0)
		return 0;
	m->nmsrs = n;
	m->pad = 0;
	memcpy(m->entries, e, n * sizeof(*e));
	rc = ioctl(fd, KVM_SET_MSRS, m);
	if (rc < 0 || (uint32_t)rc != n) {
		/* KVM stops at the first it refuses and says how many it took. */
		if (rc < 0)
			snprintf(err, errlen, "loading vCPU %u: KVM_SET_MSRS: %s", id, strerror(errno));
		else
			snprintf(err, errlen, "loading vCPU %u: KVM refused MSR 0x%" PRIx32 " = 0x%" PRIx64,
				 id, e[rc].index, (uint64_t)e[rc].data);
		return -1;
	}
	return 0;
}

int vcpu_state_load(struct vcpu *v, const struct vcpu_state_caps *c, struct state_in *in,
		    uint64_t *tsc, char *err, size_t errlen)
{
	struct sections sec;
	struct vcpu_structs k;
	struct kvm_msr_entry early[NMSRS], late[NMSRS];
	uint32_t nearly = 0, nlate = 0, nmsrs = 0;
	struct kvm_msrs *m = NULL;
	void *xsave = NULL;
	const char *why = NULL, *what;
	struct state_in ms;
	uint64_t tsc_val = 0;
	bool have_tsc = false;

	if ((why = split_sections(in, &sec)) != NULL)
		goto bad;
	/* Exactly the sections this host's save would have written. */
	if ((c->sregs2 ? sec.p[SEC_SREGS] : sec.p[SEC_SREGS2]) ||
	    (c->xsave ? sec.p[SEC_FPU] : sec.p[SEC_XSAVE]) ||
	    (!c->xcrs && sec.p[SEC_XCRS]) || (!c->debugregs && sec.p[SEC_DEBUGREGS])) {
		why = "saved with KVM features this host lacks: a record from another layout";
		goto bad;
	}
	if (c->xsave && !(xsave = malloc(c->xsave_size))) {
		why = "out of memory";
		goto bad;
	}
	if ((why = take(&sec, SEC_REGS, &k.regs, sizeof(k.regs))) ||
	    (why = c->sregs2 ? take(&sec, SEC_SREGS2, &k.sregs2, sizeof(k.sregs2))
			     : take(&sec, SEC_SREGS, &k.sregs, sizeof(k.sregs))) ||
	    (why = c->xsave ? take(&sec, SEC_XSAVE, xsave, c->xsave_size)
			    : take(&sec, SEC_FPU, &k.fpu, sizeof(k.fpu))) ||
	    (c->xcrs && (why = take(&sec, SEC_XCRS, &k.xcrs, sizeof(k.xcrs)))) ||
	    (why = take(&sec, SEC_LAPIC, &k.lapic, sizeof(k.lapic))) ||
	    (why = take(&sec, SEC_MP_STATE, &k.mp, sizeof(k.mp))) ||
	    (why = take(&sec, SEC_EVENTS, &k.events, sizeof(k.events))) ||
	    (c->debugregs && (why = take(&sec, SEC_DEBUGREGS, &k.dregs, sizeof(k.dregs)))))
		goto bad;
	if (!sec.p[SEC_MSRS]) {
		why = "a section is missing: a record from another layout";
		goto bad;
	}
	ms = state_in_make(sec.p[SEC_MSRS], sec.len[SEC_MSRS]);
	state_get_u32(&ms, &nmsrs);
	if (nmsrs > NMSRS) {
		why = "too many MSRs";
		goto bad;
	}
	for (uint32_t i = 0; i < nmsrs && !ms.why; i++) {
		struct kvm_msr_entry e = { 0 };
		uint64_t data = 0;

		state_get_u32(&ms, &e.index);
		state_get_u64(&ms, &data);
		e.data = data;
		if (ms.why)
			break; /* truncated: state_in_done says so below */
		if (!msr_known(e.index)) {
			why = "an MSR this monitor does not save";
			goto bad;
		}
		for (uint32_t j = 0; j < nearly; j++)
			if (early[j].index == e.index)
				why = "an MSR appears twice";
		for (uint32_t j = 0; j < nlate; j++)
			if (late[j].index == e.index)
				why = "an MSR appears twice";
		if (why)
			goto bad;
		if (e.index == MSR_IA32_TSC_DEADLINE) {
			late[nlate++] = e;
		} else {
			if (e.index == 0x10) {
				tsc_val = data;
				have_tsc = true;
			}
			early[nearly++] = e;
		}
	}
	if (!state_in_done(&ms)) {
		why = ms.why;
		goto bad;
	}
	if (!have_tsc) {
		why = "the TSC is missing";
		goto bad;
	}
	m = malloc(sizeof(*m) + NMSRS * sizeof(m->entries[0]));
	if (!m) {
		why = "out of memory";
		goto bad;
	}
	/* Events: also restore the pending NMI and the SIPI vector, which KVM
	 * applies only when asked (its GET leaves these flags clear). */
	k.events.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR;

	/* The order of vcpu_state.h. */
	what = "KVM_SET_REGS";
	if (ioctl(v->fd, KVM_SET_REGS, &k.regs) < 0)
		goto kvm_fail;
	what = c->xsave ? "KVM_SET_XSAVE" : "KVM_SET_FPU";
	if (ioctl(v->fd, c->xsave ? KVM_SET_XSAVE : KVM_SET_FPU, c->xsave ? xsave : (void *)&k.fpu) < 0)
		goto kvm_fail;
	what = "KVM_SET_XCRS";
	if (c->xcrs && ioctl(v->fd, KVM_SET_XCRS, &k.xcrs) < 0)
		goto kvm_fail;
	what = c->sregs2 ? "KVM_SET_SREGS2" : "KVM_SET_SREGS";
	if (ioctl(v->fd, c->sregs2 ? KVM_SET_SREGS2 : KVM_SET_SREGS,
		  c->sregs2 ? (void *)&k.sregs2 : (void *)&k.sregs) < 0)
		goto kvm_fail;
	if (set_msrs(v->fd, m, early, nearly, err, errlen, v->id) < 0)
		goto out;
	/* Some hosts cannot offset the guest TSC (PVM: the guest reads the
	 * host's TSC natively) and ignore the write.  Read it back: later than
	 * saved is a TSC that continues (with the time spent saved in it);
	 * earlier (the host rebooted since) would run the guest's time
	 * backwards, which no guest survives. */
	m->nmsrs = 1;
	m->entries[0] = (struct kvm_msr_entry){ .index = 0x10 };
	what = "KVM_GET_MSRS";
	if (ioctl(v->fd, KVM_GET_MSRS, m) != 1)
		goto kvm_fail;
	/* KVM takes a host-initiated TSC write that lands within a second of
	 * the TSC it expects as an attempt to synchronise vCPUs and keeps its
	 * own offset: a VM saved in its first second comes back with a TSC
	 * behind the saved one.  The vCPU's TSC offset attribute (Linux 5.16)
	 * sets the offset itself, with no such guess. */
	if (m->entries[0].data < tsc_val && tsc_offset_nudge(v->fd, tsc_val - m->entries[0].data) == 0 &&
	    ioctl(v->fd, KVM_GET_MSRS, m) != 1)
		goto kvm_fail;
	if (m->entries[0].data < tsc_val) {
		snprintf(err, errlen, "loading vCPU %u: this host ignored the saved TSC (0x%" PRIx64
			 ") and its own is behind it (0x%" PRIx64 "): the guest's time would run backwards",
			 v->id, tsc_val, (uint64_t)m->entries[0].data);
		goto out;
	}
	tsc_val = m->entries[0].data;
	what = "KVM_SET_MP_STATE";
	if (ioctl(v->fd, KVM_SET_MP_STATE, &k.mp) < 0)
		goto kvm_fail;
	what = "KVM_SET_LAPIC";
	if (ioctl(v->fd, KVM_SET_LAPIC, &k.lapic) < 0)
		goto kvm_fail;
	if (set_msrs(v->fd, m, late, nlate, err, errlen, v->id) < 0)
		goto out;
	what = "KVM_SET_VCPU_EVENTS";
	if (ioctl(v->fd, KVM_SET_VCPU_EVENTS, &k.events) < 0)
		goto kvm_fail;
	what = "KVM_SET_DEBUGREGS";
	if (c->debugregs && ioctl(v->fd, KVM_SET_DEBUGREGS, &k.dregs) < 0)
		goto kvm_fail;
	free(m);
	free(xsave);
	if (tsc)
		*tsc = tsc_val;
	return 0;
kvm_fail:
	snprintf(err, errlen, "loading vCPU %u: %s: %s", v->id, what, strerror(errno));
	goto out;
bad:
	snprintf(err, errlen, "vCPU %u's record: %s", v->id, why);
out:
	free(m);
	free(xsave);
	return -1;
}

int vm_state_save(struct vm *vm, struct state_out *out, char *err, size_t errlen)
{
	struct kvm_clock_data clock = { 0 };

	if (ioctl(vm->vm_fd, KVM_GET_CLOCK, &clock) < 0) {
		snprintf(err, errlen, "saving the VM: KVM_GET_CLOCK: %s", strerror(errno));
		return -1;
	}
	state_put_u64(out, clock.clock);
	if (out->failed) {
		snprintf(err, errlen, "saving the VM: out of memory");
		return -1;
	}
	return 0;
}

int vm_state_load(struct vm *vm, struct state_in *in, char *err, size_t errlen)
{
	/* flags 0: the clock continues from the saved value; the time the VM
	 * spent saved does not show in it (nor in the TSC). */
	struct kvm_clock_data clock = { 0 };
	uint64_t ns = 0;

	state_get_u64(in, &ns);
	if (!state_in_done(in)) {
		snprintf(err, errlen, "the VM record: %s", in->why);
		return -1;
	}
	clock.clock = ns;
	if (ioctl(vm->vm_fd, KVM_SET_CLOCK, &clock) < 0) {
		snprintf(err, errlen, "loading the VM: KVM_SET_CLOCK: %s", strerror(errno));
		return -1;
	}
	return 0;
}
