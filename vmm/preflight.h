/* `flint check CONFIG`: validate without booting (preflight.c). */
#ifndef FLINT_PREFLIGHT_H
#define FLINT_PREFLIGHT_H

#include "spec.h"

/*
 * Loads the kernel into scratch memory, opens every drive image as `flint
 * run` would (read-only when readonly = true; the lock is taken and
 * released at once), attaches to every tap, and asks whether the console
 * file, the control socket and the [sandbox] jail could be made here, and
 * [machine] vcpus against KVM's vCPU limit when /dev/kvm can be opened.
 * Prints one "flint: WHERE: ..." line per problem on stderr (all of them),
 * or one OK line on stdout; a host that cannot run VMs gets a "flint: note:"
 * line and does not fail the check.  Returns 0, FLINT_EXIT_USAGE (2) for any
 * problem, FLINT_EXIT_VMM when the host fails.
 */
int flint_check(const struct config *cfg);

#endif
