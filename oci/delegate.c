/* Handing a non-Flint container to runc (delegate.h). */
#include "delegate.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static void runc_root(const struct globals *g, char *out, size_t len)
{
	snprintf(out, len, "%s.runc", g->root);
}

bool delegate_has(const struct globals *g, const char *id)
{
	char root[PATH_MAX], path[PATH_MAX + 256];
	struct stat st;

	runc_root(g, root, sizeof(root));
	snprintf(path, sizeof(path), "%s/%s", root, id);
	return strchr(id, '/') == NULL && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

void delegate_exec(const struct globals *g, int argc, char **argv)
{
	const char *runc = getenv("FLINT_OCI_RUNC");
	char root[PATH_MAX];
	char **v = calloc((size_t)argc + 8, sizeof(*v));
	int n = 0;

	if (!runc || !*runc)
		runc = "runc";
	runc_root(g, root, sizeof(root));
	if (!v)
		return;
	v[n++] = (char *)runc;
	v[n++] = "--root";
	v[n++] = root;
	if (g->log) {
		v[n++] = "--log";
		v[n++] = (char *)g->log;
		v[n++] = g->log_json ? "--log-format=json" : "--log-format=text";
	}
	for (int i = 0; i < argc; i++)
		v[n++] = argv[i];
	execvp(runc, v);
	oci_error("cannot run %s for a container handed to runc: %s", runc, strerror(errno));
	free(v);
}
