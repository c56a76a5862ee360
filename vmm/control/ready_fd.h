/*
 * flint run --ready-fd N: a supervisor (flint serve) learns from a
 * descriptor, never from a guessed time, that this VM is ready, and
 * releases it through the same descriptor.
 *
 * flint writes 'R' and the VM's generation id (8 bytes, little-endian, as
 * the guest's flint_generation(); 0 without a paravirtual info page) to N
 * when the VM is parked and ready: with
 * --paused (and --restore) once it is built and every vCPU is parked
 * before its next instruction; without --paused when the guest calls
 * flint_ready(), the vCPUs then parked just past that call.  One byte read
 * from N resumes the VM (as QMP cont).  End of file on N, or an error,
 * means the supervisor is gone: the VM stops with status 130.  When the
 * run is over flint writes 'E' and its exit status as one byte, once:
 * when the guest powers off, from that vCPU, before the VM's teardown and
 * flint's exit (every byte the guest waited for at its exit is on flint's
 * stdout by then; output a guest powers off without waiting for may
 * follow, and a loss of console output found only at teardown is not in
 * that status); for any other end (a fault, a signal, an error), after
 * the teardown.  N is typically one end of a socketpair (a stream: a
 * message's bytes can arrive apart); it is kept through the sandbox.
 */
#ifndef FLINT_READY_FD_H
#define FLINT_READY_FD_H

#include "machine.h"

/* Hooks that wrap inner (may be NULL) and add the ready descriptor fd.
 * One per process: flint runs one VM. */
const struct machine_hooks *ready_fd_hooks(int fd, const struct machine_hooks *inner);

#endif
