/*
 * flint run --save-at-ready FILE: when the guest says its initialisation
 * is done (flint_ready(), the pv ready register), pause it, save it to
 * FILE and end the run with status 0.  FILE is created before the
 * sandbox (a new file only: O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600).
 */
#ifndef FLINT_SAVE_AT_READY_H
#define FLINT_SAVE_AT_READY_H

#include <stddef.h>

#include "machine.h"

/* Creates the file and arms the ready hook.  -1 with err (status 2). */
int save_at_ready_arm(struct machine *m, const char *path, char *err, size_t errlen);

#endif
