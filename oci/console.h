#ifndef FLINT_OCI_CONSOLE_H
#define FLINT_OCI_CONSOLE_H

#include <stddef.h>

/*
 * A pty whose master goes to the Unix socket sock with SCM_RIGHTS (what
 * conmon and the containerd shim expect of runc); returns the slave's fd,
 * the VM process's terminal, or -1 with a message in err.
 */
int console_pty(const char *sock, char *err, size_t errlen);

#endif
