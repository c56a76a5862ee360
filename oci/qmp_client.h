#ifndef FLINT_OCI_QMP_CLIENT_H
#define FLINT_OCI_QMP_CLIENT_H

#include <stddef.h>

/*
 * One QMP command ("cont", "stop", "query-status") to the VM's control
 * socket, after the greeting and qmp_capabilities.  Returns 0 on a
 * "return" answer, copying its "status" string (query-status) into status
 * when given; -1 with a message in err.  Waits at most 10 s.
 */
int qmp_command(const char *sock, const char *cmd, char *status, size_t status_len, char *err,
		size_t errlen);

#endif
