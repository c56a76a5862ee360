/*
 * libFuzzer harness for flint-oci's config.json parser (oci/bundle.c): any
 * bytes give a spec or an error message naming config.json, never a crash;
 * a parsed spec keeps the invariants create relies on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spec s;
	char err[1024];

	if (spec_parse((const char *)data, size, &s, err, sizeof(err)) == 0) {
		size_t bytes = 0;

		if (!s.root_path || !s.root_path[0] || s.nargs == 0 || !s.args[0] || s.args[s.nargs] ||
		    (s.env && s.env[s.nenv]))
			abort();
		for (size_t i = 0; i < s.nargs; i++)
			bytes += strlen(s.args[i]) + 2;
		for (size_t i = 0; i < s.nenv; i++)
			bytes += strlen(s.env[i]) + 2;
		if (bytes > SPEC_ARGS_MAX)
			abort();
	} else if (strncmp(err, "config.json: ", 13)) {
		abort();
	}
	spec_free(&s);
	return 0;
}
