#ifndef FLINT_RUN_H
#define FLINT_RUN_H

#include "config.h"
#include "stats.h"

/* Boots cfg's kernel and serves it until it stops.  Returns flint's exit
 * status: the guest's, or one from exit_codes.h (messages already printed). */
int flint_run(const struct config *cfg, struct stats *stats);

#endif
