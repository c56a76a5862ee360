/*
 * The restore door (builder.h): a machine built from the spec's host
 * resources (images, taps, console) and a snapshot's guest state.  Guest
 * memory is the snapshot file mapped MAP_PRIVATE (vm.c's file backing),
 * so the kernel and initrd are not read and nothing is announced: the
 * guest already holds what it was told at boot.  Every device is set up
 * as for a boot, then loads its record; each vCPU loads its own state on
 * its own thread (restore_door.h).  Whatever in the file is wrong (shape,
 * version, host, a corrupt record) stops here with status 2 and a
 * message naming the file, before any guest instruction runs.
 */
#include "restore_door.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "builder.h"
#include "exit_codes.h"
#include "pv.h"
#include "vcpu.h"

struct restore_plan {
	const char *path;
	struct snapshot snap;
	pthread_mutex_t lock;    /* the vCPU threads report failures here */
	char why[512];           /* the first failure */
};

/* The device list a snapshot of this flint has: modules with a record. */
static unsigned saved_modules(const char **names)
{
	unsigned n = 0;

	for (int i = 0; device_modules[i]; i++)
		if (device_modules[i]->save && n < SNAP_MAX_DEVICES)
			names[n++] = device_modules[i]->name;
	return n;
}

static int load_devices(struct machine *m, struct restore_plan *p, char *err, size_t errlen)
{
	for (int i = 0; i < m->ndev; i++) {
		const struct device_module *mod = m->dev[i].mod;
		const struct snap_record *r;
		struct state_in in;
		char why[400] = "";

		if (!mod->load)
			continue;
		r = snap_find_dev(&p->snap, mod->name);
		if (!r) {
			snprintf(err, errlen, "%s: no record for device %s", p->path, mod->name);
			return -1;
		}
		if (r->version != mod->state_version) {
			snprintf(err, errlen, "%s: device %s's record is version %u, this flint reads version %u",
				 p->path, mod->name, r->version, mod->state_version);
			return -1;
		}
		in = state_in_make(r->data, r->len);
		if (mod->load(m->dev[i].state, &in, why, sizeof(why)) < 0 || !state_in_done(&in)) {
			snprintf(err, errlen, "%s: device %s: %s", p->path, mod->name,
				 why[0] ? why : in.why ? in.why : "refused");
			return -1;
		}
	}
	return 0;
}

/* The routes follow from the device list, which matched: a difference
 * means the file lies. */
static int check_routes(const struct vm *vm, const struct restore_plan *p, char *err, size_t errlen)
{
	bool same = p->snap.nroutes == vm->nroutes;

	for (unsigned i = 0; same && i < vm->nroutes; i++)
		same = p->snap.routes[i].gsi == vm->routes[i].gsi &&
		       p->snap.routes[i].data == vm->routes[i].u.msi.data;
	if (!same)
		snprintf(err, errlen, "%s: %u interrupt routes saved, which are not the %u this machine's "
			 "devices use", p->path, p->snap.nroutes, vm->nroutes);
	return same ? 0 : -1;
}

static int load_vm(struct machine *m, struct restore_plan *p, char *err, size_t errlen)
{
	struct state_in in = state_in_make(p->snap.vm.data, p->snap.vm.len);
	char why[400];

	if (p->snap.vm.version != VM_STATE_VERSION) {
		snprintf(err, errlen, "%s: the VM record is version %u, this flint reads version %u", p->path,
			 p->snap.vm.version, VM_STATE_VERSION);
		return -1;
	}
	for (unsigned i = 0; i < p->snap.nvcpus; i++)
		if (p->snap.vcpus[i].version != VCPU_STATE_VERSION) {
			snprintf(err, errlen, "%s: vCPU %u's record is version %u, this flint reads version %u",
				 p->path, i, p->snap.vcpus[i].version, VCPU_STATE_VERSION);
			return -1;
		}
	if (vm_state_load(&m->vm, &in, why, sizeof(why)) < 0 || !state_in_done(&in)) {
		snprintf(err, errlen, "%s: the VM record: %s", p->path, in.why ? in.why : why);
		return -1;
	}
	return 0;
}

int machine_restore(struct machine *m, const char *path, int *status, char *err, size_t errlen)
{
	static struct restore_plan plan;
	const char *names[SNAP_MAX_DEVICES];
	unsigned nnames = saved_modules(names);
	int fd, rc = -1;
	bool huge;

	plan = (struct restore_plan){ .path = path };
	pthread_mutex_init(&plan.lock, NULL);
	*status = FLINT_EXIT_USAGE;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open the snapshot: %s", path, strerror(errno));
		return -1;
	}
	if (snap_read(fd, path, &plan.snap, err, errlen) < 0)
		goto out;
	/* The shape first, before guest memory is mapped at the size the
	 * configuration asks for; the host once KVM can be asked. */
	if (snap_check(&plan.snap, path, &plan.snap.host, m->cfg->memory, m->cfg->vcpus, names, nnames,
		       err, errlen) < 0)
		goto out;
	huge = m->cfg->hugepages == HUGEPAGES_ON;
	if (machine_build_vm(m, huge ? VM_BACKING_ANONYMOUS :
			     (struct vm_backing){ .fd = fd, .offset = plan.snap.mem_offset }, status, err, errlen) < 0)
		goto out;
	/* Huge pages are anonymous memory: the snapshot's data is copied in (vm.h). */
	if (huge && snap_read_memory(fd, &plan.snap, m->vm.mem.host, err, errlen) < 0)
		goto out;
	m->restored = true;
	if (machine_build_devices(m, status, err, errlen) < 0)
		goto out;
	*status = FLINT_EXIT_USAGE;
	if (load_devices(m, &plan, err, errlen) < 0)
		goto out;
	*status = FLINT_EXIT_VMM;
	if (machine_build_vcpus(m, err, errlen) < 0)
		goto out;
	*status = FLINT_EXIT_USAGE;
	if (snap_check(&plan.snap, path, &m->host, m->cfg->memory, m->cfg->vcpus, names, nnames, err,
		       errlen) < 0 ||
	    check_routes(&m->vm, &plan, err, errlen) < 0 || load_vm(m, &plan, err, errlen) < 0)
		goto out;
	m->restore = &plan;
	rc = 0;
out:
	/* Guest memory's mapping holds the file. */
	close(fd);
	if (rc < 0)
		snap_free(&plan.snap);
	return rc;
}

int restore_vcpu(struct machine *m, struct vcpu *v)
{
	struct restore_plan *p = m->restore;
	const struct snap_record *r = &p->snap.vcpus[v->id];
	struct state_in in = state_in_make(r->data, r->len);
	char why[400] = "";

	if (vcpu_state_load(v, &m->vcpu_caps, &in, NULL, why, sizeof(why)) == 0 && state_in_done(&in))
		return 0;
	pthread_mutex_lock(&p->lock);
	if (!p->why[0])
		snprintf(p->why, sizeof(p->why), "%s: vCPU %u: %s", p->path, v->id,
			 why[0] ? why : in.why ? in.why : "refused");
	pthread_mutex_unlock(&p->lock);
	return -1;
}

int restore_finish(struct machine *m, char *err, size_t errlen)
{
	struct restore_plan *p = m->restore;
	int rc = 0;

	pthread_mutex_lock(&p->lock);
	if (p->why[0]) {
		snprintf(err, errlen, "%s", p->why);
		rc = -1;
	}
	pthread_mutex_unlock(&p->lock);
	/* A clone must differ: new generation and random bytes, the wall
	 * clock paired with the restored TSC (pv.h). */
	if (rc == 0)
		rc = pv_restore(m, err, errlen);
	snap_free(&p->snap);
	m->restore = NULL;
	return rc;
}
