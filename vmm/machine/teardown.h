/*
 * VM destruction off the path the parent waits for.
 *
 * KVM frees a VM when the last reference to its memory and descriptors
 * goes, which at exit happens inside the monitor's do_exit, before the
 * parent learns the exit status: 0.7 ms for hello, 12-15 ms for a VM with
 * an ioeventfd (an SRCU grace period, docs/ARCHITECTURE.md).  So the
 * monitor starts a helper that shares its memory and descriptor table
 * (clone with CLONE_VM | CLONE_FILES, not a thread) and does nothing but
 * wait, signals blocked, under a filter that allows waiting and exiting,
 * for the monitor's whole thread group to end (a pidfd: pipe EOF and
 * PDEATHSIG would fire early, since KVM's own worker thread belongs to the
 * monitor's thread group).  At exit the monitor closes stdin, stdout and
 * stderr and _exits: its parent and any pipe reader are told at once, and
 * the helper's exit drops the last references and pays for the teardown.
 */
#ifndef FLINT_TEARDOWN_H
#define FLINT_TEARDOWN_H

#include <stdbool.h>
#include <stddef.h>

#include "sandbox.h"

/*
 * Opens the pidfd the helper will wait on and returns it (the sandbox
 * must keep it open), or -1 with a message in err.  Call before the
 * privilege drop caps the number of descriptors.
 */
int teardown_helper_prepare(char *err, size_t errlen);

/*
 * Starts the helper.  Call on the main thread after the jail and the
 * privilege drop (the helper inherits neither root nor the host's mounts)
 * and before sandbox_forbid_new_processes().  mode is the filter mode for
 * the helper (off: none).  Returns 0, or -1 with a message in err (the
 * monitor then tears down itself, as before).
 */
int teardown_helper_start(enum seccomp_mode mode, char *err, size_t errlen);

/*
 * fd is to be closed first, as soon as the monitor has exited and before
 * the helper's own exit frees the VM's memory (which takes a while): for
 * a tap, which the next VM on it waits for.  At most TEARDOWN_FIRST_MAX;
 * more are closed with the rest.  The caller still closes fd itself when
 * no helper runs.
 */
#define TEARDOWN_FIRST_MAX 8
void teardown_helper_close_first(int fd);

/* Whether a helper is waiting: then exit through teardown_exit(). */
bool teardown_helper_running(void);

/* Flushes and closes the standard streams, then _exits with status, so
 * the parent and pipe readers are released before KVM tears down. */
__attribute__((noreturn)) void teardown_exit(int status);

#endif
