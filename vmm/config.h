/*
 * The INI front end of the machine spec (vmm/spec.h): an INI file (inih)
 * plus --set overrides.  It knows file names and lines, and where each key
 * was given (for messages of errors found later, through spec->origin).
 */
#ifndef FLINT_CONFIG_H
#define FLINT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "spec.h"

/*
 * Parses `path`, then applies each override "section.key=value" in order
 * (a later --set replaces the file's value; the same key twice in the file
 * is an error).  On failure returns -1 and writes one line, without
 * "flint: " and without newline, into err:
 *     config.ini:7: [machine] memory = "64X": unknown unit (use K, M or G)
 *     --set machine.vcpus=0: [machine] vcpus = "0": must be 1 to 64
 * Also checks what only the whole file can say (e.g. [kernel] path missing).
 * A --set may name a drive the file does not have: that adds it.
 * Relative paths in the file are relative to the file's folder; those of a
 * --set, typed on a command line, to the current folder (as any shell tool).
 * Does not touch the kernel or disk files beyond resolving their paths.
 * On failure *c holds nothing to free; on success release it with config_free().
 */
int config_load(struct config *c, const char *path, char *const *overrides, int n_overrides,
		char *err, size_t errlen);
void config_free(struct config *c);   /* spec_free() */

/*
 * "64M" -> 67108864.  K, M, G (powers of 1024, either case), optional
 * 'iB'/'B'; plain number = bytes.  No bounds: the caller checks its own.
 * On failure returns -1, leaves *out alone and points *why (if non-NULL) at a
 * static reason such as "unknown unit (use K, M or G)".
 */
int config_parse_size(const char *s, uint64_t *out, const char **why);

#endif
