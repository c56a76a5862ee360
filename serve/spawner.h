/*
 * The spawner: a small process that flint-serve forks at start-up, before
 * its own seccomp filter goes on (a filter would be inherited by every
 * `flint run` it started), and that starts the VMs for it.  flint-serve
 * asks over a socketpair (spawn_msg.h) with the new VM's descriptors; the
 * spawner starts the flint binary and argv fixed when it was forked, with
 * the snapshot it holds as descriptor SERVE_SNAP_FD, and sends back the
 * pid and a pidfd.  The VM is flint-serve's child (CLONE_PARENT): it reaps
 * it as before.  The request is asynchronous, so a start (~1 ms of vfork
 * and exec) no longer blocks the server's event loop.  Each VM is the
 * leader of a process group of its own (a terminal's ^C is the server's
 * alone), at the server's own priority (docs/SERVE.md says why).  The
 * spawner exits
 * when its socket closes, removing the unix listening socket's path that
 * the filtered server can no longer unlink.
 */
#ifndef FLINT_SERVE_SPAWNER_H
#define FLINT_SERVE_SPAWNER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "spawn_msg.h"

struct spawner_setup {
	const char *flint;          /* the binary: checked executable here */
	const char *const *argv;    /* NULL-terminated; copied by the fork */
	int snap_fd;                /* becomes the VM's SERVE_SNAP_FD; -1: none */
	const char *unlink_at_exit; /* NULL, or a path to remove when the socket closes */
};

/* Forks the spawner.  Returns the server's end of its socket (close-on-exec,
 * non-blocking) and its pid in *pid, or -1 with a message in err. */
int spawner_start(const struct spawner_setup *su, pid_t *pid, char *err, size_t errlen);
/* Asks for a VM; fds[] are its stdin, stdout, stderr and ready socket,
 * which the caller may close once this returns.  0, or an errno. */
int spawner_request(int sock, uint64_t tag, const int fds[SPAWN_NFDS]);
/* The next reply: 0 with *rep (and *pidfd when rep->err is 0, else -1),
 * EAGAIN when none is waiting, ECONNRESET when the spawner is gone, or
 * another errno for a malformed reply (already closed descriptors). */
int spawner_reply(int sock, struct spawn_rep *rep, int *pidfd);

#endif
