/*
 * config.json to struct spec (bundle.h).  OCI says unknown properties are
 * ignored; the Linux container's own isolation (other namespaces, mounts
 * of pseudo file systems, capabilities, seccomp, rlimits, cgroups, masked
 * paths, sysctls, devices) does not apply inside a VM, where the VM is the
 * isolation, and is ignored too (README "Running under Podman...").
 */
#include "bundle.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const hook_kind_name[HOOK_KINDS] = {
	[HOOK_PRESTART] = "prestart",
	[HOOK_CREATE_RUNTIME] = "createRuntime",
	[HOOK_POSTSTART] = "poststart",
	[HOOK_POSTSTOP] = "poststop",
};

/* Bind mounts runtimes add to every container for files a VM guest never reads. */
static const char *const ignored_binds[] = {
	"/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/run/.containerenv", "/dev/shm",
	"/run/secrets", "/etc/mtab",
};

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "config.json: ");

	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* A NULL-terminated array of the strings of an array (NULL: a message in err). */
static const char **strings(json_t *arr, const char *field, size_t *count, size_t *bytes, char *err,
			    size_t errlen)
{
	size_t i, n = json_array_size(arr);
	const char **v;
	json_t *x;

	if (!json_is_array(arr)) {
		fail(err, errlen, "%s: not an array of strings", field);
		return NULL;
	}
	v = calloc(n + 1, sizeof(*v));
	if (!v) {
		fail(err, errlen, "%s: out of memory", field);
		return NULL;
	}
	json_array_foreach(arr, i, x) {
		if (!json_is_string(x)) {
			fail(err, errlen, "%s[%zu]: not a string", field, i);
			free(v);
			return NULL;
		}
		v[i] = json_string_value(x);
		*bytes += json_string_length(x) + 2;
	}
	*count = n;
	return v;
}

static int check_strings(json_t *arr, const char *field, size_t i, const char *key, char *err,
			 size_t errlen)
{
	size_t k;
	json_t *x;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return fail(err, errlen, "%s[%zu].%s: not an array of strings", field, i, key);
	json_array_foreach(arr, k, x)
		if (!json_is_string(x))
			return fail(err, errlen, "%s[%zu].%s[%zu]: not a string", field, i, key, k);
	return 0;
}

static int parse_hooks(json_t *hooks, struct spec *s, char *err, size_t errlen)
{
	if (!hooks)
		return 0;
	if (!json_is_object(hooks))
		return fail(err, errlen, "hooks: not an object");
	s->hooks = hooks;
	for (int k = 0; k < HOOK_KINDS; k++) {
		json_t *arr = json_object_get(hooks, hook_kind_name[k]), *h;
		char field[32];
		size_t i;

		if (!arr)
			continue;
		snprintf(field, sizeof(field), "hooks.%s", hook_kind_name[k]);
		if (!json_is_array(arr) || json_array_size(arr) > SPEC_HOOKS_MAX)
			return fail(err, errlen, "%s: not an array of at most %d hooks", field, SPEC_HOOKS_MAX);
		json_array_foreach(arr, i, h) {
			json_t *path = json_object_get(h, "path"), *t = json_object_get(h, "timeout");

			if (!json_is_string(path) || json_string_value(path)[0] != '/')
				return fail(err, errlen, "%s[%zu].path: must be an absolute path", field, i);
			if (t && (!json_is_integer(t) || json_integer_value(t) <= 0 ||
				  json_integer_value(t) > 86400))
				return fail(err, errlen, "%s[%zu].timeout: must be 1 to 86400 seconds", field, i);
			if (check_strings(json_object_get(h, "args"), field, i, "args", err, errlen) < 0 ||
			    check_strings(json_object_get(h, "env"), field, i, "env", err, errlen) < 0)
				return -1;
		}
	}
	return 0;
}

/* org.flint.* annotations: a small known set whose values the INI checks again. */
static int parse_annotations(json_t *ann, struct spec *s, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	if (!ann)
		return 0;
	if (!json_is_object(ann))
		return fail(err, errlen, "annotations: not an object");
	s->annotations = ann;
	json_object_foreach(ann, key, v) {
		const char **dst;

		if (!json_is_string(v))
			return fail(err, errlen, "annotations[\"%.64s\"]: not a string", key);
		if (strncmp(key, "org.flint.", 10))
			continue;
		if (!strcmp(key, "org.flint.runc")) {
			if (strcmp(json_string_value(v), "true") && strcmp(json_string_value(v), "false"))
				return fail(err, errlen, "annotations[\"org.flint.runc\"]: \"true\" or \"false\"");
			s->ann_runc = !strcmp(json_string_value(v), "true");
			continue;
		}
		if (!strcmp(key, "org.flint.memory"))
			dst = &s->ann_memory;
		else if (!strcmp(key, "org.flint.vcpus"))
			dst = &s->ann_vcpus;
		else if (!strcmp(key, "org.flint.kernel"))
			dst = &s->ann_kernel;
		else
			return fail(err, errlen,
				    "annotations[\"%.64s\"]: unknown Flint annotation (org.flint.memory, "
				    "org.flint.vcpus and org.flint.kernel are)", key);
		*dst = json_string_value(v);
		/* Values go into an INI file: one token, no room for a second key. */
		if (!**dst || strlen(*dst) > 255 ||
		    strspn(*dst, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/") !=
			    strlen(*dst))
			return fail(err, errlen, "annotations[\"%s\"] = \"%.64s\": use 1 to 255 letters, digits, "
				    "'.', '_', '-' or '/'", key, *dst);
	}
	return 0;
}

static int parse_mounts(json_t *mounts, char *err, size_t errlen)
{
	size_t i;
	json_t *m;

	if (!mounts)
		return 0;
	if (!json_is_array(mounts))
		return fail(err, errlen, "mounts: not an array");
	json_array_foreach(mounts, i, m) {
		json_t *dst = json_object_get(m, "destination"), *type = json_object_get(m, "type");
		const char *d, *t = json_is_string(type) ? json_string_value(type) : "bind";
		bool ignored = false;

		if (!json_is_string(dst))
			return fail(err, errlen, "mounts[%zu].destination: not a string", i);
		d = json_string_value(dst);
		if (strcmp(t, "bind") && strcmp(t, "none"))
			continue; /* proc, sysfs, tmpfs, devpts, mqueue, cgroup: the Linux container's own */
		for (size_t k = 0; k < sizeof(ignored_binds) / sizeof(*ignored_binds); k++)
			ignored = ignored || !strcmp(d, ignored_binds[k]) ||
				  (!strncmp(d, ignored_binds[k], strlen(ignored_binds[k])) &&
				   d[strlen(ignored_binds[k])] == '/');
		if (!ignored && strncmp(d, "/dev/", 5) && strncmp(d, "/sys/", 5) && strncmp(d, "/proc/", 6))
			return fail(err, errlen,
				    "mounts[%zu]: bind mount of \"%.200s\": a Flint guest sees only its root "
				    "file system (volumes are not supported; copy the files into the root)", i, d);
	}
	return 0;
}

static int parse_linux(json_t *lx, struct spec *s, char *err, size_t errlen)
{
	json_t *ns = json_object_get(lx, "namespaces"), *res = json_object_get(lx, "resources"), *x;
	size_t i;

	if (!lx)
		return 0;
	if (!json_is_object(lx))
		return fail(err, errlen, "linux: not an object");
	if (ns && !json_is_array(ns))
		return fail(err, errlen, "linux.namespaces: not an array");
	json_array_foreach(ns, i, x) {
		json_t *type = json_object_get(x, "type"), *path = json_object_get(x, "path");

		if (!json_is_string(type))
			return fail(err, errlen, "linux.namespaces[%zu].type: not a string", i);
		if (path && !json_is_string(path))
			return fail(err, errlen, "linux.namespaces[%zu].path: not a string", i);
		if (!strcmp(json_string_value(type), "network") && path)
			s->netns_path = json_string_value(path);
	}
	if (res && !json_is_object(res))
		return fail(err, errlen, "linux.resources: not an object");
	x = json_object_get(json_object_get(res, "memory"), "limit");
	if (x && !json_is_null(x)) {
		if (!json_is_integer(x))
			return fail(err, errlen, "linux.resources.memory.limit: not an integer");
		/* -1 (and any negative) means unlimited, as for runc */
		if (json_integer_value(x) > 0)
			s->memory_limit = (uint64_t)json_integer_value(x);
	}
	x = json_object_get(res, "cpu");
	if (x) {
		json_t *quota = json_object_get(x, "quota"), *period = json_object_get(x, "period");

		if (json_is_integer(quota) && json_integer_value(quota) > 0) {
			json_int_t p = json_is_integer(period) && json_integer_value(period) > 0 ?
					       json_integer_value(period) : 100000;
			json_int_t q = json_integer_value(quota);

			if (q / p > 64)
				s->vcpus = 64;
			else
				s->vcpus = (unsigned)((q + p - 1) / p);
		}
	}
	return 0;
}

static int parse_process(json_t *p, struct spec *s, char *err, size_t errlen)
{
	json_t *cwd = json_object_get(p, "cwd"), *term = json_object_get(p, "terminal");
	size_t bytes = 0;

	if (!json_is_object(p))
		return fail(err, errlen, "process: missing or not an object");
	s->args = strings(json_object_get(p, "args"), "process.args", &s->nargs, &bytes, err, errlen);
	if (!s->args)
		return -1;
	if (s->nargs == 0 || !s->args[0][0])
		return fail(err, errlen, "process.args: empty (args[0] names the guest ELF in the root)");
	if (json_object_get(p, "env")) {
		s->env = strings(json_object_get(p, "env"), "process.env", &s->nenv, &bytes, err, errlen);
		if (!s->env)
			return -1;
		for (size_t i = 0; i < s->nenv; i++)
			if (!strchr(s->env[i], '=') || s->env[i][0] == '=')
				return fail(err, errlen, "process.env[%zu] = \"%.64s\": not NAME=VALUE", i,
					    s->env[i]);
	}
	if (bytes > SPEC_ARGS_MAX)
		return fail(err, errlen, "process.args and process.env: %zu bytes, more than the %u a "
			    "Flint guest reads", bytes, SPEC_ARGS_MAX);
	/* Flint guests have no working directory: relative paths start at /. */
	if (cwd && (!json_is_string(cwd) || strcmp(json_string_value(cwd), "/")))
		return fail(err, errlen, "process.cwd: Flint guests run in \"/\" (their paths are "
			    "relative to the root); set it to \"/\" or leave it out");
	if (term && !json_is_boolean(term))
		return fail(err, errlen, "process.terminal: not a boolean");
	s->terminal = json_is_true(term);
	return 0;
}

int spec_parse(const char *text, size_t len, struct spec *s, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root, *r, *v;

	memset(s, 0, sizeof(*s));
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return fail(err, errlen, "line %d: not valid JSON: %s", je.line, je.text);
	s->root = root;
	if (!json_is_object(root))
		return fail(err, errlen, "not a JSON object");
	v = json_object_get(root, "ociVersion");
	if (!json_is_string(v) || strncmp(json_string_value(v), "1.", 2))
		return fail(err, errlen, "ociVersion: missing or not 1.x");
	r = json_object_get(root, "root");
	if (!json_is_object(r) || !json_is_string(json_object_get(r, "path")) ||
	    !json_string_value(json_object_get(r, "path"))[0])
		return fail(err, errlen, "root.path: missing (the folder holding the guest ELF)");
	s->root_path = json_string_value(json_object_get(r, "path"));
	v = json_object_get(r, "readonly");
	if (v && !json_is_boolean(v))
		return fail(err, errlen, "root.readonly: not a boolean");
	s->root_readonly = json_is_true(v);
	for (const char *const *k = (const char *const[]){ "windows", "solaris", "vm", "zos", NULL }; *k; k++)
		if (json_object_get(root, *k))
			return fail(err, errlen, "%s: not supported by Flint (a Linux-platform bundle is)", *k);
	if (parse_process(json_object_get(root, "process"), s, err, errlen) < 0 ||
	    parse_mounts(json_object_get(root, "mounts"), err, errlen) < 0 ||
	    parse_linux(json_object_get(root, "linux"), s, err, errlen) < 0 ||
	    parse_annotations(json_object_get(root, "annotations"), s, err, errlen) < 0 ||
	    parse_hooks(json_object_get(root, "hooks"), s, err, errlen) < 0)
		return -1;
	return 0;
}

void spec_free(struct spec *s)
{
	free(s->args);
	free(s->env);
	json_decref(s->root);
	memset(s, 0, sizeof(*s));
}
