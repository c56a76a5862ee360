/* flint: command line.  Everything else is in run.c and what it calls. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "control_vm.h"
#include "ctl.h"
#include "exit_codes.h"
#include "preflight.h"
#include "ready_fd.h"
#include "run.h"
#include "sandbox.h"
#include "stats.h"
#include "teardown.h"
#include "version.h"

/* The one list of commands: --help, `flint help`, `flint` alone and the
 * unknown-command error all print it, so they cannot disagree. */
static const struct command {
	const char *name, *synopsis, *help;
} commands[] = {
	{ "run", "run CONFIG [--set SECTION.KEY=VALUE]... [--stats[=text|json]] [--control PATH]\n"
	  "                 [--paused] [--restore FILE] [--save-at-ready FILE] [--ready-fd N]",
	  "run CONFIG     boot the VM; its console goes to stdout unless [console] says otherwise" },
	{ "serve", "serve CONFIG [--set SECTION.KEY=VALUE]...",
	  "serve CONFIG   answer every HTTP request with a brand-new VM of CONFIG's function\n"
	  "                 (its [serve] section; docs/SERVE.md)" },
	{ "check", "check CONFIG [--set SECTION.KEY=VALUE]...",
	  "check CONFIG   validate CONFIG, its kernel file, drive images and taps without booting" },
	{ "seccomp-dump", "seccomp-dump [--role main|vcpu|teardown|saver|serve]",
	  "seccomp-dump   print each thread role's system-call allow-list with its argument\n"
	  "                 conditions (--role R: only that role)" },
	{ "ctl", "ctl SOCKET COMMAND [ARGS-JSON]",
	  "ctl SOCKET CMD send one QMP command (e.g. query-status, stop, cont, quit) to a\n"
	  "                 running flint's control socket and print its answer as JSON;\n"
	  "                 exit status 0 on success, 1 on an error answer" },
	{ "help", "help | --help | --version", "help           this text (also -h, --help)" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char usage_rest[] =
	"\n"
	"Options:\n"
	"  --set S.K=V    override key K of section S (repeatable; e.g. --set machine.memory=128M)\n"
	"  --stats[=FMT]  with run: print a boot timeline and the exits by reason to stderr after\n"
	"                 the run; FMT is text (default) or json\n"
	"  --control PATH with run: serve QMP on a Unix socket at PATH (as [control] socket)\n"
	"  --paused       with run: park every vCPU before its first instruction; QMP cont starts it\n"
	"  --restore FILE with run: resume the snapshot FILE (QMP x-flint-snapshot-save) instead\n"
	"                 of booting; CONFIG gives the host side (images, taps, console)\n"
	"  --save-at-ready FILE\n"
	"                 with run: when the guest calls flint_ready(), save a snapshot to FILE\n"
	"                 (a new file) and exit 0\n"
	"  --ready-fd N   with run: write one byte to descriptor N when the VM is parked and\n"
	"                 ready (--paused: built or restored; else at flint_ready()); one byte\n"
	"                 read from N resumes it, end of file stops it (flint serve uses it)\n"
	"  --role R       with seccomp-dump: main, vcpu, teardown, saver or serve\n"
	"  -h, --help     this text\n"
	"  -V, --version  print the version\n"
	"\n"
	"Exit status: the guest's (0-255) when it powers off; 2 for a usage, configuration or\n"
	"kernel-file error; 74 when the guest's status was 0 but console output was lost;\n"
	"125 when KVM fails or the VM crashes; 130 when interrupted;\n"
	"159 when the sandbox stopped a forbidden system call.\n"
	"See flint(1), flint.ini(5) and README.md for the configuration keys.\n";

static void print_commands(FILE *f)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %s\n", commands[i].help);
}

static int usage(FILE *f)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "%s flint %s\n", i ? "      " : "Usage:", commands[i].synopsis);
	fputs("\nBoots the single-application guest that the INI file CONFIG describes on KVM\n"
	      "and exits with the guest's exit status.\n\nCommands:\n", f);
	print_commands(f);
	fputs(usage_rest, f);
	return 0;
}

static int bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "flint: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'flint --help'.\n");
	return FLINT_EXIT_USAGE;
}

/* --control PATH is --set control.socket=PATH: like every path typed on
 * the command line, relative to the current folder. */
static char *control_override(const char *path)
{
	char *r;

	return asprintf(&r, "control.socket=%s", path) < 0 ? NULL : r;
}

/* flint serve: the supervisor is build/flint-serve beside this binary
 * (it links libevent, which no VM process should load). */
static int serve_exec(int argc, char **argv)
{
	char self[4096], *slash, *serve, **args = calloc((size_t)argc + 3, sizeof(char *));
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0 || !args) {
		fprintf(stderr, "flint serve: cannot find flint's own path in /proc/self/exe\n");
		return FLINT_EXIT_VMM;
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (asprintf(&serve, "%.*s/flint-serve", (int)(slash - self), self) < 0)
		return FLINT_EXIT_VMM;
	args[0] = serve;
	args[1] = "--flint";
	args[2] = self;
	for (int i = 2; i < argc; i++)
		args[i + 1] = argv[i];
	execv(serve, args);
	fprintf(stderr, "flint serve: cannot run %s: %s (build it with make)\n", serve, strerror(errno));
	return FLINT_EXIT_VMM;
}

static int seccomp_dump_cmd(const char *role, const char *extra)
{
	enum sandbox_role r;

	if (extra)
		return bad_usage("unexpected argument '%s'", extra);
	if (!role) {
		seccomp_dump(stdout, -1);
		return 0;
	}
	if (sandbox_role_parse(role, &r) < 0)
		return bad_usage("--role %s: unknown role (use main, vcpu, teardown, saver or serve)", role);
	seccomp_dump(stdout, r);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "set", required_argument, NULL, 's' },
		{ "stats", optional_argument, NULL, 'S' },
		{ "role", required_argument, NULL, 'r' },
		{ "control", required_argument, NULL, 'c' },
		{ "paused", no_argument, NULL, 'p' },
		{ "restore", required_argument, NULL, 'R' },
		{ "save-at-ready", required_argument, NULL, 'A' },
		{ "ready-fd", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct stats stats = { 0 };
	struct machine_options run = { .hooks = &control_vm_hooks };
	bool run_only = false;
	struct flint_spec cfg;
	char **sets = calloc(argc, sizeof(char *));
	char err[1024];
	const char *cmd, *file, *stats_fmt = NULL, *role = NULL;
	char *control = NULL;
	int nsets = 0, c, status, ready_fd = -1;

	stats_mark(&stats, MARK_MAIN);
	/* getopt names argv[0] in its messages ("build/flint: option ...");
	 * a user typed "flint", whatever the path. */
	argv[0] = (char *)"flint";
	/* A reader that goes away (stdout, stderr) is an EPIPE to report, not
	 * a silent death; the console says so once (vmm/machine/devices/console_out.c). */
	signal(SIGPIPE, SIG_IGN);
	/* ctl takes no options of flint's: its arguments are passed on as
	 * they are (ARGS-JSON may look like anything). */
	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return ctl_main(argc - 2, argv + 2);
	if (argc > 1 && !strcmp(argv[1], "serve"))
		return serve_exec(argc, argv);
	if (!sets)
		return FLINT_EXIT_VMM;
	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sets[nsets++] = optarg;
			break;
		case 'S':
			stats_fmt = optarg ? optarg : "text";
			if (strcmp(stats_fmt, "text") && strcmp(stats_fmt, "json"))
				return bad_usage("--stats=%s: use --stats, --stats=text or --stats=json", stats_fmt);
			break;
		case 'r':
			role = optarg;
			break;
		case 'c':
			if (control || !(control = control_override(optarg)))
				return bad_usage("%s", control ? "--control given twice" : "out of memory");
			sets[nsets++] = control;
			break;
		case 'p':
			run.paused = run_only = true;
			break;
		case 'R':
			if (run.restore)
				return bad_usage("%s", "--restore given twice");
			run.restore = optarg;
			run_only = true;
			break;
		case 'F': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (ready_fd >= 0 || *end || end == optarg || v < 3 || v > 65535)
				return bad_usage("--ready-fd %s: give one descriptor number, 3 or more", optarg);
			ready_fd = (int)v;
			run_only = true;
			break;
		}
		case 'A':
			if (run.save_at_ready)
				return bad_usage("%s", "--save-at-ready given twice");
			run.save_at_ready = optarg;
			run_only = true;
			break;
		case 'h':
			return usage(stdout);
		case 'V':
			printf("flint %s%s%s%s\n", FLINT_VERSION, *FLINT_GIT_DESCRIBE ? " (git " : "",
			       FLINT_GIT_DESCRIBE, *FLINT_GIT_DESCRIBE ? ")" : "");
			return 0;
		default:
			fprintf(stderr, "Try 'flint --help'.\n");
			return FLINT_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs("flint: missing command; one of:\n", stderr);
		print_commands(stderr);
		fputs("Try 'flint --help'.\n", stderr);
		return FLINT_EXIT_USAGE;
	}
	cmd = argv[optind++];
	if (!strcmp(cmd, "help"))
		return usage(stdout);
	if (stats_fmt && strcmp(cmd, "run"))
		return bad_usage("--stats only goes with run (%s boots nothing to measure)", cmd);
	if (!strcmp(cmd, "seccomp-dump"))
		return seccomp_dump_cmd(role, optind < argc ? argv[optind] : NULL);
	if (role)
		return bad_usage("%s", "--role only goes with seccomp-dump");
	if (strcmp(cmd, "run") && strcmp(cmd, "check"))
		return bad_usage("unknown command '%s' (use run, serve, check, seccomp-dump, ctl or help)", cmd);
	if (run_only && strcmp(cmd, "run"))
		return bad_usage("%s", "--paused, --restore and --save-at-ready only go with run");
	if (optind >= argc)
		return bad_usage("%s: missing CONFIG file", cmd);
	file = argv[optind++];
	if (optind < argc)
		return bad_usage("unexpected argument '%s'", argv[optind]);

	if (config_load(&cfg, file, sets, nsets, err, sizeof(err)) < 0) {
		fprintf(stderr, "flint: %s\n", err);
		free(sets);
		free(control);
		return FLINT_EXIT_USAGE;
	}
	free(sets);
	free(control);
	/* Nothing but QMP cont could ever start the guest. */
	if (ready_fd >= 0 && run.save_at_ready) {
		config_free(&cfg);
		return bad_usage("%s", "--ready-fd and --save-at-ready both wait for flint_ready(): give one");
	}
	if (ready_fd >= 0)
		run.hooks = ready_fd_hooks(ready_fd, run.hooks);
	if (run.paused && !cfg.control_path && ready_fd < 0) {
		fprintf(stderr, "flint: --paused needs a control socket to be continued from: add "
			"--control PATH (or [control] socket in %s)\n", file);
		config_free(&cfg);
		return FLINT_EXIT_USAGE;
	}
	stats_mark(&stats, MARK_CONFIG);
	if (!strcmp(cmd, "check"))
		status = flint_check(&cfg);
	else
		/* Counted always, printed only with --stats: two clock reads per
		 * exit cost nothing measurable next to the exit itself (README
		 * "Control"), and x-flint-query-stats needs no flag at launch. */
		status = flint_run(&cfg, &run, &stats);
	config_free(&cfg);
	if (stats_fmt && !strcmp(cmd, "run")) {
		stats_mark(&stats, MARK_EXIT);
		fflush(stdout);
		if (!strcmp(stats_fmt, "json"))
			stats_print_json(&stats, stderr);
		else
			stats_print_text(&stats, stderr);
	}
	if (teardown_helper_running())
		teardown_exit(status);
	return status;
}
