/*
 * getenv: the environment is the kernel parameters of the form
 * NAME=VALUE (the words before `--`), as Linux hands the parameters it
 * does not know to init's environment.  NAME is a C identifier, so
 * `virtio_mmio.device=` and `fs.mount=` stay out; the monitor's own
 * (console=, earlycon=) are visible like any other.  A name given twice
 * reads as its last value, as a shell's `A=1 A=2` would.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <flint.h>

static bool env_name(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_'))
			return false;
	return true;
}

char *getenv(const char *name)
{
	const char *v, *last = NULL;

	if (!name || !env_name(name))
		return NULL;
	for (unsigned n = 0; (v = cmdline_param_nth(name, n)); n++)
		/* A bare word NAME is a flag, not a variable: cmdline_param
		 * gives "" for it, pointing at the word's end, not after '='. */
		if (v[-1] == '=')
			last = v;
	return (char *)last;
}
