/*
 * The builder: what both doors share (docs/ARCHITECTURE.md, "Lifecycle").
 * A machine is built from the spec's host resources in three steps; the
 * boot door (boot_door.c) and the restore door (restore_door.c) differ
 * only in where guest memory comes from, what goes into it, and where the
 * vCPUs start.
 *
 *   machine_build_vm       VM + guest memory (anonymous, or a snapshot file)
 *                          + the event loop + the front end's hooks
 *   machine_build_devices  every device module's setup, from the spec
 *   machine_build_vcpus    interrupt routes, coalesced zones, vCPUs with CPUID
 *
 * On failure each returns -1 with a message in err and, in *status, the
 * exit status (2 when the user can fix it); the caller tears down.
 */
#ifndef FLINT_BUILDER_H
#define FLINT_BUILDER_H

#include <stddef.h>

#include "machine.h"

/* Empties *m for cfg and opts (no descriptor open yet). */
void machine_init(struct machine *m, const struct config *cfg, const struct machine_options *opts,
		  struct stats *stats);
int machine_build_vm(struct machine *m, struct vm_backing backing, int *status, char *err, size_t errlen);
int machine_build_devices(struct machine *m, int *status, char *err, size_t errlen);
int machine_build_vcpus(struct machine *m, char *err, size_t errlen);

/* The boot door (boot_door.c): kernel, initrd, announce, boot info, vCPUs
 * at the PVH entry. */
int machine_boot(struct machine *m, int *status, char *err, size_t errlen);
/* The restore door (restore_door.c): memory and state from the snapshot
 * file path; reads neither kernel nor initrd and announces nothing. */
int machine_restore(struct machine *m, const char *path, int *status, char *err, size_t errlen);

#endif
