#ifndef FLINT_RUN_H
#define FLINT_RUN_H

#include "config.h"
#include "machine.h"
#include "stats.h"

/* Builds the machine cfg describes through the door opts chooses (boot,
 * or restore from a snapshot), runs it, and serves it until it stops.
 * Returns flint's exit status: the guest's, or one from exit_codes.h
 * (messages already printed). */
int flint_run(const struct config *cfg, const struct machine_options *opts, struct stats *stats);

#endif
