#ifndef FLINT_OCI_HOOKS_H
#define FLINT_OCI_HOOKS_H

#include <jansson.h>

/*
 * Runs config.json's hooks of one kind (hooks, as spec_parse checked it)
 * in order, each with the container's state JSON on its stdin, its own
 * args and env, and its timeout.  Returns 0, or -1 with a message at the
 * first that fails (callers decide: prestart and createRuntime fail the
 * create, poststart and poststop only warn, as the spec says).
 */
int hooks_run(json_t *hooks, const char *kind, json_t *state, char *err, size_t errlen);

#endif
