/* The control socket wired to a running machine: QMP's VM operations. */
#ifndef FLINT_CONTROL_VM_H
#define FLINT_CONTROL_VM_H

#include <stddef.h>

#include "machine.h"

/* Opens m->cfg->control_path for m (see control_open); -1 with err. */
int control_vm_open(struct machine *m, char *err, size_t errlen);
/* SHUTDOWN to the clients, with the cause the run ended with. */
void control_vm_stopped(struct machine *m);

#endif
