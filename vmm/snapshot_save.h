/*
 * Saving a paused machine to a snapshot file (snapshot_file.h has the
 * format): vm_drain_coalesced, then every vCPU's state read on its own
 * thread (vcpu_run_on_all; vCPU 0 also reads the VM's kvmclock, so that
 * main makes no KVM ioctl), every device module's
 * record (each finishes what it has started first, and the console
 * writes out what the guest printed: output is never saved), the
 * interrupt routes, and guest memory.  Main thread, inside the sandbox:
 * only calls on descriptors flint holds.
 */
#ifndef FLINT_SNAPSHOT_SAVE_H
#define FLINT_SNAPSHOT_SAVE_H

#include <stddef.h>

#include "machine.h"

/* fd: an empty regular file open for writing (the caller closes it).
 * Every vCPU must be parked.  st may be NULL.  Returns 0, or -1 with err
 * (the file is then partial). */
int snapshot_save(struct machine *m, int fd, struct snap_write_stats *st, char *err, size_t errlen);

#endif
