/*
 * The control socket: a Unix stream socket that speaks QMP (vmm/qmp.c) to
 * several clients at once from the main thread's event loop.  Nothing on
 * it blocks: accept, read and write are non-blocking, each client's output
 * is bounded, and a client that floods, stalls or sends garbage is dropped
 * while the VM and the other clients go on.
 *
 * Uses only ev_add/ev_del of vmm/eventloop.h, and adds and removes client
 * descriptors while the loop runs (a handler may see a spurious wake-up
 * for a reused slot: every handler here tolerates one).
 */
#ifndef FLINT_CONTROL_H
#define FLINT_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "eventloop.h"
#include "qmp.h"

/* Clients served at once; one more is told so and closed. */
#define CONTROL_MAX_CLIENTS 8
/* Each client is one descriptor: with the one more accepted to be refused,
 * they must fit in the sandbox's SANDBOX_FD_HEADROOM (seccomp/sandbox.h). */

struct control;

/*
 * Creates the socket at path, mode 0600, before the sandbox: a path that
 * exists must be a stale socket (nobody accepts on it), which is replaced;
 * anything else is refused.  A small helper process, forked here, removes
 * the socket once flint has exited, however it exits (the filters forbid
 * flint itself any path system call).  Registers with el.  Returns NULL
 * with a message in err.
 */
struct control *control_open(const char *path, struct event_loop *el, const struct qmp_vm_ops *ops,
			     void *ctx, char *err, size_t errlen);
/*
 * What control_open(path) would refuse, found without creating anything
 * (`flint check`): too long, a file that is not a socket, a socket another
 * process serves, a folder that does not exist or takes no new entry.
 * Returns 0, or -1 with the message control_open() would give in err.
 */
int control_check(const char *path, char *err, size_t errlen);
/* Descriptors to keep through the sandbox; returns how many. */
int control_fds(const struct control *c, int *fds, int max);
struct qmp_server *control_server(struct control *c);
/* Sends every client pending output (events queued from outside). */
void control_flush(struct control *c);
/* SHUTDOWN to every client, sent as far as the sockets take it now. */
void control_shutdown(struct control *c, bool guest, const char *reason);
/* Closes every client and the socket; the helper then removes the path. */
void control_close(struct control *c);

#endif
