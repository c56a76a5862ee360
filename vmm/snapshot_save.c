/* Saving a paused machine (snapshot_save.h). */
#include "snapshot_save.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vcpu.h"

/* One vCPU's record, written on its own thread. */
struct vcpu_record {
	struct state_out out;
	int rc;
	char err[200];
};

struct vcpu_save {
	const struct vcpu_state_caps *caps;
	struct vcpu_record *r;
	struct vcpu_record vm;   /* kvmclock, read by vCPU 0 */
};

static void save_vcpu(struct vcpu *v, void *ctx)
{
	struct vcpu_save *s = ctx;
	struct vcpu_record *r = &s->r[v->id];

	r->rc = vcpu_state_save(v, s->caps, &r->out, r->err, sizeof(r->err));
	/* A VM ioctl, on a vCPU thread: main's filter has no KVM ioctl. */
	if (v->id == 0)
		s->vm.rc = vm_state_save(v->vm, &s->vm.out, s->vm.err, sizeof(s->vm.err));
}

/*
 * A record's first bytes are allocated here, on the main thread: malloc
 * on a vCPU thread would make glibc create an arena for it, and the
 * vCPU's filter allows no brk.  A vCPU record is a few KiB (XSAVE, the
 * LAPIC page, MSRs); 64 KiB leaves room for any XSAVE size.
 */
#define VCPU_RECORD_ROOM (64u << 10)

int snapshot_save(struct machine *m, int fd, struct snap_write_stats *st, char *err, size_t errlen)
{
	struct vm *vm = &m->vm;
	struct vcpu_record *vr = calloc(vm->nvcpus, sizeof(*vr));
	struct snap_record *vcpus = calloc(vm->nvcpus, sizeof(*vcpus));
	struct state_out dev_out[MACHINE_MAX_DEVICES] = { 0 };
	struct snap_record devs[MACHINE_MAX_DEVICES];
	struct snap_route routes[FLINT_VIRTIO_MAX];
	struct vcpu_save vs = { .caps = &m->vcpu_caps, .r = vr };
	struct snapshot s = { 0 };
	unsigned ndevs = 0;
	int rc = -1;

	if (!vr || !vcpus) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* Guest writes batched in the coalesced ring reach the devices first. */
	vm_drain_coalesced(vm);
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		vr[i].out.buf = malloc(VCPU_RECORD_ROOM);
		vr[i].out.cap = vr[i].out.buf ? VCPU_RECORD_ROOM : 0;
		vr[i].rc = -1;
		snprintf(vr[i].err, sizeof(vr[i].err), "not saved");
	}
	vs.vm.out.buf = malloc(VCPU_RECORD_ROOM);
	vs.vm.out.cap = vs.vm.out.buf ? VCPU_RECORD_ROOM : 0;
	vs.vm.rc = -1;
	snprintf(vs.vm.err, sizeof(vs.vm.err), "not saved");
	if (vcpu_run_on_all(vm, save_vcpu, &vs, err, errlen) < 0)
		goto out;
	if (vs.vm.rc < 0 || vs.vm.out.failed) {
		snprintf(err, errlen, "the VM's clock: %s", vs.vm.out.failed ? "out of memory" : vs.vm.err);
		goto out;
	}
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		if (vr[i].rc < 0 || vr[i].out.failed) {
			snprintf(err, errlen, "vCPU %u: %s", i, vr[i].out.failed ? "out of memory" : vr[i].err);
			goto out;
		}
		vcpus[i] = (struct snap_record){ .version = VCPU_STATE_VERSION, .data = vr[i].out.buf,
						 .len = (uint32_t)vr[i].out.len };
	}
	for (int i = 0; i < m->ndev; i++) {
		const struct device_module *mod = m->dev[i].mod;

		if (!mod->save)
			continue;
		if (mod->save(m->dev[i].state, &dev_out[ndevs]) < 0 || dev_out[ndevs].failed) {
			snprintf(err, errlen, "device %s: cannot save its state", mod->name);
			ndevs++;
			goto out;
		}
		devs[ndevs] = (struct snap_record){ .version = mod->state_version, .data = dev_out[ndevs].buf,
						    .len = (uint32_t)dev_out[ndevs].len };
		snprintf(devs[ndevs].name, sizeof(devs[ndevs].name), "%s", mod->name);
		ndevs++;
	}
	for (unsigned i = 0; i < vm->nroutes; i++)
		routes[i] = (struct snap_route){
			.gsi = vm->routes[i].gsi, .data = vm->routes[i].u.msi.data,
			.address = (uint64_t)vm->routes[i].u.msi.address_hi << 32 | vm->routes[i].u.msi.address_lo,
		};
	s = (struct snapshot){
		.host = m->host, .mem_size = vm->mem.size, .nvcpus = vm->nvcpus, .ndevs = ndevs,
		.nroutes = vm->nroutes, .routes = routes, .vcpus = vcpus, .devs = devs,
		.vm = { .version = VM_STATE_VERSION, .data = vs.vm.out.buf, .len = (uint32_t)vs.vm.out.len },
	};
	/* Memory a restore mapped from a file reads as "absent" in mincore
	 * while it is still the file's: only boot memory may skip by it. */
	rc = snap_write(fd, &s, vm->mem.host, !m->restored, st, err, errlen);
out:
	for (unsigned i = 0; vr && i < vm->nvcpus; i++)
		state_out_free(&vr[i].out);
	for (unsigned i = 0; i < ndevs; i++)
		state_out_free(&dev_out[i]);
	state_out_free(&vs.vm.out);
	free(vr);
	free(vcpus);
	return rc;
}
