/*
 * flint-oci: a runc-compatible OCI runtime whose containers are Flint VMs
 * (README "Running under Podman, containerd and Kubernetes").  Global
 * flags come first, as with runc; then the command and its own flags.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "log.h"

#ifndef FLINT_VERSION
#define FLINT_VERSION "unknown"
#endif

static const char usage[] =
	"usage: flint-oci [GLOBAL FLAGS] COMMAND [FLAGS] ID\n"
	"\n"
	"A runc-compatible OCI runtime: each container is a Flint microVM whose guest is\n"
	"the ELF named by process.args[0] inside the bundle's root.\n"
	"\n"
	"Commands:\n"
	"  create --bundle DIR [--pid-file FILE] [--console-socket PATH] ID\n"
	"                        prepare the VM and park it before its first instruction\n"
	"  start ID              run it\n"
	"  state ID              print the OCI state JSON\n"
	"  kill ID [SIGNAL]      send SIGNAL (name or number, default SIGTERM) to the VM process\n"
	"  delete [--force] ID   remove a stopped (or, with --force, any) container\n"
	"  pause ID, resume ID   stop and continue the vCPUs\n"
	"  ps [--format table|json] ID   the VM process's pid\n"
	"  features              what this runtime supports, as JSON\n"
	"  exec, update, checkpoint, restore, run, list, events, spec: not supported\n"
	"\n"
	"A container that is not a Flint guest is refused, unless its annotation\n"
	"org.flint.runc = \"true\" hands it to runc ($FLINT_OCI_RUNC, state beside --root).\n"
	"\n"
	"Global flags:\n"
	"  --root DIR            state folder (default /run/flint-oci)\n"
	"  --log FILE            also write errors to FILE\n"
	"  --log-format text|json\n"
	"  --systemd-cgroup, --debug, --rootless VALUE, --criu PATH: accepted and ignored\n"
	"                        (a VM has no cgroup of its own to place, nothing to checkpoint)\n"
	"  --help, --version\n";

static const struct {
	const char *name;
	int (*fn)(const struct globals *, int, char **);
} commands[] = {
	{ "create", cmd_create }, { "start", cmd_start }, { "state", cmd_state },
	{ "kill", cmd_kill },     { "delete", cmd_delete }, { "ps", cmd_ps },
	{ "pause", cmd_pause },   { "resume", cmd_pause }, { "features", cmd_features },
};

static const char *const unsupported[] = {
	"exec", "update", "checkpoint", "restore", "run", "list", "events", "spec",
};

/* --flag VALUE or --flag=VALUE (one or two dashes, as Go's flag package takes). */
static const char *flag_value(int argc, char **argv, int *i, const char *name)
{
	const char *a = argv[*i] + (argv[*i][1] == '-' ? 2 : 1);
	size_t n = strlen(name);

	if (strncmp(a, name, n))
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

int main(int argc, char **argv)
{
	struct globals g = { .root = "/run/flint-oci" };
	const char *v;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i] + (argv[i][1] == '-' ? 2 : 1);

		if (!strcmp(a, "help") || !strcmp(a, "h")) {
			fputs(usage, stdout);
			return 0;
		}
		if (!strcmp(a, "version") || !strcmp(a, "v")) {
			printf("flint-oci version %s\nspec: 1.1.0\n", FLINT_VERSION);
			return 0;
		}
		if (!strcmp(a, "systemd-cgroup") || !strcmp(a, "debug"))
			continue;
		if ((v = flag_value(argc, argv, &i, "root")))
			g.root = v;
		else if ((v = flag_value(argc, argv, &i, "log")))
			g.log = v;
		else if ((v = flag_value(argc, argv, &i, "log-format"))) {
			if (strcmp(v, "text") && strcmp(v, "json")) {
				fprintf(stderr, "flint-oci: --log-format %s: use text or json\n", v);
				return 2;
			}
			g.log_json = !strcmp(v, "json");
		} else if (flag_value(argc, argv, &i, "rootless") || flag_value(argc, argv, &i, "criu")) {
			continue;
		} else {
			fprintf(stderr, "flint-oci: unknown global flag %s\n%s", argv[i], usage);
			return 2;
		}
	}
	log_open(g.log, g.log_json);
	if (i == argc) {
		fputs(usage, stderr);
		return 2;
	}
	for (size_t k = 0; k < sizeof(commands) / sizeof(*commands); k++)
		if (!strcmp(argv[i], commands[k].name))
			return commands[k].fn(&g, argc - i, argv + i);
	for (size_t k = 0; k < sizeof(unsupported) / sizeof(*unsupported); k++)
		if (!strcmp(argv[i], unsupported[k])) {
			oci_error("%s is not supported by flint-oci: a Flint VM runs one guest program, "
				  "fixed at create (%s)", argv[i],
				  !strcmp(argv[i], "run") ? "use create then start" : "see the README");
			return 1;
		}
	oci_error("unknown command \"%s\" (flint-oci --help lists them)", argv[i]);
	return 2;
}
