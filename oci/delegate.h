#ifndef FLINT_OCI_DELEGATE_H
#define FLINT_OCI_DELEGATE_H

#include <stdbool.h>

#include "commands.h"

/*
 * The opt-in hand-off of a container that is not a Flint guest (the
 * Kubernetes pause container, say) to runc, as urunc does: only with the
 * annotation org.flint.runc = "true".  runc keeps its own state under
 * ROOT.runc (beside --root, so no id can collide), and every later
 * command for that id goes there.  $FLINT_OCI_RUNC names runc (default:
 * runc on PATH).
 */

/* Replaces this process with runc running the same command; returns only on failure. */
void delegate_exec(const struct globals *g, int argc, char **argv);

/* True if runc holds the container id. */
bool delegate_has(const struct globals *g, const char *id);

#endif
