/*
 * The restore door's two steps that happen once the vCPU threads exist
 * (machine_restore, builder.h, does the rest before them): each vCPU
 * loads its own state on its own thread before its filter goes on
 * (restore_vcpu), then main, before any vCPU runs, rewrites the
 * paravirtual info page (new generation, random bytes, wall clock) and
 * lets the snapshot go (restore_finish).
 */
#ifndef FLINT_RESTORE_DOOR_H
#define FLINT_RESTORE_DOOR_H

#include <stddef.h>

#include "machine.h"

struct vcpu;

/* On v's thread, before its first KVM_RUN.  -1: restore_finish says why. */
int restore_vcpu(struct machine *m, struct vcpu *v);
/* Main thread, every vCPU loaded, none run.  -1 with err (status 2). */
int restore_finish(struct machine *m, char *err, size_t errlen);

#endif
