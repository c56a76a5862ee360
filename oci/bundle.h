#ifndef FLINT_OCI_BUNDLE_H
#define FLINT_OCI_BUNDLE_H

/*
 * A bundle's config.json, reduced to what a Flint VM can honour.  The
 * file is hostile input: every field is type-checked, every size bounded,
 * and a field that would change what the guest sees but cannot be
 * honoured is an error naming config.json and the field.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPEC_ARGS_MAX (1u << 20)      /* process.args + env, bytes: the guest's ARGS_FILE_MAX */
#define SPEC_HOOKS_MAX 64             /* per kind */

enum hook_kind { HOOK_PRESTART, HOOK_CREATE_RUNTIME, HOOK_POSTSTART, HOOK_POSTSTOP, HOOK_KINDS };

struct spec {
	json_t *root;               /* owns every string below */
	const char *root_path;      /* root.path, relative to the bundle or absolute */
	bool root_readonly;
	const char **args;          /* process.args, NULL-terminated, at least one */
	size_t nargs;
	const char **env;           /* process.env, NULL-terminated */
	size_t nenv;
	bool terminal;
	uint64_t memory_limit;      /* bytes; 0: none given */
	unsigned vcpus;             /* from linux.resources.cpu; 0: none given */
	const char *ann_memory;     /* org.flint.memory: an INI size ("128M") */
	const char *ann_vcpus;      /* org.flint.vcpus */
	const char *ann_kernel;     /* org.flint.kernel: the guest ELF inside the root, instead of args[0] */
	bool ann_runc;              /* org.flint.runc = "true": a non-Flint container goes to runc */
	const char *netns_path;     /* linux.namespaces network path; NULL: none */
	json_t *annotations;        /* borrowed from root; NULL if absent */
	json_t *hooks;              /* borrowed from root, checked: run by hooks.c; NULL if absent */
};

/*
 * Parses config.json's text (len bytes).  Returns 0, or -1 with a message
 * "config.json: FIELD: what is wrong" in err.  spec_free() in both cases.
 */
int spec_parse(const char *text, size_t len, struct spec *s, char *err, size_t errlen);
void spec_free(struct spec *s);

extern const char *const hook_kind_name[HOOK_KINDS];

#endif
