/* The restore door (builder.h): not yet. */
#include <stdio.h>

#include "builder.h"
#include "exit_codes.h"

int machine_restore(struct machine *m, const char *path, int *status, char *err, size_t errlen)
{
	(void)m;
	*status = FLINT_EXIT_USAGE;
	snprintf(err, errlen, "%s: restoring is not implemented yet", path);
	return -1;
}
