/* The control socket wired to a running machine: QMP's VM operations. */
#ifndef FLINT_CONTROL_VM_H
#define FLINT_CONTROL_VM_H

#include <stddef.h>

#include "machine.h"

/*
 * The front end's hooks (struct machine_hooks): attach opens
 * m->cfg->control_path, if set, before the sandbox (see control_open);
 * stopped sends SHUTDOWN with the cause the run ended with; detach closes
 * the socket and its clients.
 */
extern const struct machine_hooks control_vm_hooks;

#endif
