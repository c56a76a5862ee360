/*
 * getenv: the environment is environ first (a container's, which
 * flint-oci hands in through the arguments file, kernel/args_file.c),
 * then the kernel parameters of the form
 * NAME=VALUE (the words before `--`), as Linux hands the parameters it
 * does not know to init's environment.  There NAME is a C identifier, so
 * `virtio_mmio.device=` and `fs.mount=` stay out; the monitor's own
 * (console=, earlycon=) are visible like any other.  A name given twice
 * reads as its last value, as a shell's `A=1 A=2` would.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <flint.h>
#include <unistd.h>

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
	size_t len;

	if (!name || !*name || strchr(name, '='))
		return NULL;
	/* A container's names are whatever its config.json says. */
	len = strlen(name);
	for (char **e = environ; e && *e; e++)
		if (!strncmp(*e, name, len) && (*e)[len] == '=')
			return *e + len + 1;
	if (!env_name(name))
		return NULL;
	for (unsigned n = 0; (v = cmdline_param_nth(name, n)); n++)
		/* A bare word NAME is a flag, not a variable: cmdline_param
		 * gives "" for it, pointing at the word's end, not after '='. */
		if (v[-1] == '=')
			last = v;
	return (char *)last;
}
