/* `flint check CONFIG`: validate without booting (preflight.c). */
#ifndef FLINT_PREFLIGHT_H
#define FLINT_PREFLIGHT_H

#include "config.h"

/*
 * Loads the kernel into scratch memory and opens every drive image as
 * `flint run` would (read-only when readonly = true; the lock is taken and
 * released at once), and [machine] vcpus against KVM's vCPU limit when
 * /dev/kvm can be opened.  Prints one "flint: ..." line per problem on stderr,
 * or one OK line on stdout.  Returns 0, FLINT_EXIT_USAGE (2) for a bad
 * kernel or image, FLINT_EXIT_VMM when the host fails.
 */
int flint_check(const struct config *cfg);

#endif
