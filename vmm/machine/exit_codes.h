/*
 * Flint's own exit statuses.  A guest that powers off chooses any status
 * 0-255 and flint passes it through, so these can collide with a guest's
 * choice; README.md ("Exit status") says how to tell them apart.
 */
#ifndef FLINT_EXIT_CODES_H
#define FLINT_EXIT_CODES_H

#define FLINT_EXIT_USAGE 2          /* bad option, config, kernel file: nothing ran */
#define FLINT_EXIT_VMM 125          /* KVM unusable, or the VM died (triple fault, KVM error) */
#define FLINT_EXIT_OUTPUT_LOST 74   /* the guest exited 0 but console output was lost (sysexits EX_IOERR) */
#define FLINT_EXIT_INTERRUPTED 130  /* SIGINT/SIGTERM/SIGHUP stopped the VM (128 + SIGINT) */
/* 159 = 128 + SIGSYS: a forbidden system call (seccomp/sandbox.h) */

#endif
