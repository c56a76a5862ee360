/*
 * The save helper: a small process that creates snapshot files for a
 * sandboxed flint (whose filters allow no open once the guest runs, and
 * must not start to).  Forked before the sandbox and the jail, in the
 * host's mount namespace and root, it drops to the jail's uid and gid
 * (flint's user when none is set), sets no_new_privs and its own seccomp
 * filter (role saver), and then does one thing per request: create
 * the absolute path it is given as a new file (O_CREAT | O_EXCL |
 * O_NOFOLLOW, mode 0600, write-only) and pass the descriptor back over
 * its socketpair (SCM_RIGHTS), or the errno.  It never opens an existing
 * file.  It exits when flint closes its end (however flint ends).
 * docs/SECURITY.md says what a compromised monitor could make it do.
 */
#ifndef FLINT_SAVE_HELPER_H
#define FLINT_SAVE_HELPER_H

#include <stddef.h>

#include "sandbox.h"

struct save_helper;

/* Forks the helper; jail gives the uid and gid it runs as.  NULL with err. */
struct save_helper *save_helper_start(const struct sandbox_jail *jail, enum seccomp_mode mode,
				      char *err, size_t errlen);
/* The monitor's end of the socketpair, for the sandbox to keep. */
int save_helper_fd(const struct save_helper *h);
/*
 * Asks the helper to create path (absolute, at most PATH_MAX - 1 bytes).
 * Returns the new file's descriptor (write-only, close-on-exec), or -1
 * with a message in err ("File exists" for an existing file or symlink).
 * Runs inside the sandbox: send and recvmsg on the socket only.
 */
int save_helper_create(struct save_helper *h, const char *path, char *err, size_t errlen);
/* Closes the socket (the helper exits) and reaps nothing: flint does not
 * wait for it, and init inherits it if flint exits first. */
void save_helper_stop(struct save_helper *h);

#endif
