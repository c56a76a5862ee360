/* start, state, kill, delete, ps, pause/resume, features: everything after create. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "commands.h"
#include "delegate.h"
#include "hooks.h"
#include "log.h"
#include "net.h"
#include "qmp_client.h"
#include "bundle.h"
#include "state.h"

#define STOP_TIMEOUT_MS 10000

static const char *one_id(int argc, char **argv)
{
	if (optind != argc - 1) {
		oci_error("%s: \"%s\" requires exactly 1 argument (the container id)", argv[0], argv[0]);
		return NULL;
	}
	return argv[optind];
}

static int no_options(int argc, char **argv)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };

	optind = 1;
	while (getopt_long_only(argc, argv, "+", none, NULL) != -1)
		return -1;
	return 0;
}

/* The command's one flag (-LETTER or --NAME, with a value if has_arg); -1 for any other. */
static int one_flag(int argc, char **argv, char letter, const char *name, int has_arg, const char **value)
{
	const struct option opts[] = { { name, has_arg, NULL, letter }, { NULL, 0, NULL, 0 } };
	const char spec[] = { '+', letter, has_arg ? ':' : '\0', '\0' };
	int ch;

	optind = 1;
	while ((ch = getopt_long_only(argc, argv, spec, opts, NULL)) != -1) {
		if (ch != letter)
			return -1;
		*value = has_arg ? optarg : name;
	}
	return 0;
}

/* The container, or for one runc holds, runc running this very command. */
static int load_or_delegate(const struct globals *g, const char *id, struct container *c, int argc, char **argv,
			    char *err, size_t errlen)
{
	if (state_load(g->root, id, c, err, errlen) == 0)
		return 0;
	if (!strcmp(err, "container does not exist") && delegate_has(g, id))
		delegate_exec(g, argc, argv);
	return -1;
}

static int load(const struct globals *g, const char *id, struct container *c, int argc, char **argv)
{
	char err[512];

	if (load_or_delegate(g, id, c, argc, argv, err, sizeof(err)) < 0) {
		oci_error("%s", err);
		return -1;
	}
	return 0;
}

static int qmp(struct container *c, const char *cmd)
{
	char sock[PATH_MAX + 16], err[512];

	snprintf(sock, sizeof(sock), "%s/control.sock", c->dir);
	if (qmp_command(sock, cmd, NULL, 0, err, sizeof(err)) < 0) {
		oci_error("%s", err);
		return -1;
	}
	return 0;
}

/* QMP cmd to the VM, then the recorded status becomes `to`; 0, or 1 with a message. */
static int transition(struct container *c, const char *cmd, const char *to)
{
	char err[512];

	if (qmp(c, cmd) < 0)
		return 1;
	snprintf(c->status, sizeof(c->status), "%s", to);
	if (state_save(c, err, sizeof(err)) < 0) {
		oci_error("%s", err);
		return 1;
	}
	return 0;
}

/* A command that takes no flags and one id: the container loaded, or an exit status. */
static int load_only_id(const struct globals *g, int argc, char **argv, struct container *c)
{
	const char *id;

	if (no_options(argc, argv) < 0 || !(id = one_id(argc, argv)))
		return 2;
	return load(g, id, c, argc, argv) < 0 ? 1 : 0;
}

int cmd_start(const struct globals *g, int argc, char **argv)
{
	struct container c;
	const char *status;
	char err[512];
	json_t *st;
	int rc;

	if ((rc = load_only_id(g, argc, argv, &c)) != 0)
		return rc;
	rc = 1;
	status = state_status(&c);
	if (!strcmp(status, "created")) {
		rc = transition(&c, "cont", "running");
		if (rc == 0) {
			st = state_json(&c);
			/* what the hook is told, even if a short guest has already exited */
			json_object_set_new(st, "status", json_string("running"));
			json_object_set_new(st, "pid", json_integer(c.pid));
			if (hooks_run(c.spec_hooks, "poststart", st, err, sizeof(err)) < 0)
				oci_warn("%s", err);
			json_decref(st);
		}
	} else if (!strcmp(status, "stopped")) {
		oci_error("cannot start a container that has stopped");
	} else {
		oci_error("cannot start an already running container");
	}
	state_close(&c);
	return rc;
}

int cmd_state(const struct globals *g, int argc, char **argv)
{
	struct container c;
	json_t *j;
	char *s;
	int rc;

	if ((rc = load_only_id(g, argc, argv, &c)) != 0)
		return rc;
	j = state_json(&c);
	s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(j);
	state_close(&c);
	return s ? 0 : 1;
}

static int parse_signal(const char *s)
{
	static const struct { const char *name; int sig; } names[] = {
		{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
		{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "CONT", SIGCONT },
		{ "STOP", SIGSTOP }, { "ALRM", SIGALRM }, { "PIPE", SIGPIPE }, { "WINCH", SIGWINCH },
		{ "ABRT", SIGABRT }, { "TSTP", SIGTSTP },
	};
	char *end;
	long n = strtol(s, &end, 10);

	if (*s && !*end)
		return n > 0 && n < NSIG ? (int)n : -1;
	if (!strncmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (!strcmp(s, names[i].name))
			return names[i].sig;
	return -1;
}

int cmd_kill(const struct globals *g, int argc, char **argv)
{
	const char *status, *all = NULL; /* one process: --all changes nothing */
	struct container c;
	int sig, rc = 1;

	if (one_flag(argc, argv, 'a', "all", no_argument, &all) < 0)
		return 2;
	if (argc - optind < 1 || argc - optind > 2) {
		oci_error("kill: \"kill\" requires 1 or 2 arguments (the container id, a signal)");
		return 2;
	}
	sig = parse_signal(argc - optind == 2 ? argv[optind + 1] : "SIGTERM");
	if (sig < 0) {
		oci_error("unknown signal \"%s\"", argv[optind + 1]);
		return 2;
	}
	if (load(g, argv[optind], &c, argc, argv) < 0)
		return 1;
	status = state_status(&c);
	if (!strcmp(status, "stopped"))
		oci_error("container not running");
	else if (kill(c.pid, sig) < 0)
		oci_error("kill %d: %s", (int)c.pid, strerror(errno));
	else
		rc = 0;
	state_close(&c);
	return rc;
}

/* Kills the VM and waits (bounded) for it to be gone. */
static void stop_vm(struct container *c)
{
	int pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	if (state_proc_start(c->pid) != c->start_time)
		return;
	kill(c->pid, SIGKILL);
	/* readable once it has exited; whoever reaps it (conmon) is not us */
	if (pidfd >= 0) {
		if (poll(&p, 1, STOP_TIMEOUT_MS) == 0)
			oci_warn("the VM process %d has not exited %d s after SIGKILL", (int)c->pid,
				 STOP_TIMEOUT_MS / 1000);
		close(pidfd);
	}
}

int cmd_delete(const struct globals *g, int argc, char **argv)
{
	const char *id, *status, *force_flag = NULL;
	struct container c;
	bool force;
	char err[512];
	json_t *st;

	if (one_flag(argc, argv, 'f', "force", no_argument, &force_flag) < 0)
		return 2;
	force = force_flag != NULL;
	if (!(id = one_id(argc, argv)))
		return 2;
	if (load_or_delegate(g, id, &c, argc, argv, err, sizeof(err)) < 0) {
		/* runc: deleting a container that does not exist is fine with --force */
		if (force && !strcmp(err, "container does not exist"))
			return 0;
		oci_error("%s", err);
		return 1;
	}
	status = state_status(&c);
	/* The runtime spec: deleting a container that is not stopped is an
	 * error (runc deletes a created one; the validation suite says no). */
	if (strcmp(status, "stopped")) {
		if (!force) {
			oci_error("cannot delete container %s that is not stopped: %s", id, status);
			state_close(&c);
			return 1;
		}
	}
	if (strcmp(status, "stopped"))
		stop_vm(&c);
	/* The namespace may be gone already (the engine removed it): then so is the tap. */
	if (c.netns[0]) {
		int back;

		if (netns_enter(c.netns, &back, err, sizeof(err)) == 0) {
			net_teardown();
			netns_leave(back);
		}
	}
	st = state_json(&c);
	json_object_set_new(st, "status", json_string("stopped"));
	if (hooks_run(c.spec_hooks, "poststop", st, err, sizeof(err)) < 0)
		oci_warn("%s", err);
	json_decref(st);
	if (state_remove(&c, err, sizeof(err)) < 0) {
		oci_error("%s", err);
		state_close(&c);
		return 1;
	}
	state_close(&c);
	return 0;
}

int cmd_ps(const struct globals *g, int argc, char **argv)
{
	const char *format = "table", *id;
	struct container c;
	bool alive;

	if (one_flag(argc, argv, 'f', "format", required_argument, &format) < 0)
		return 2;
	if (strcmp(format, "table") && strcmp(format, "json")) {
		oci_error("invalid format option");
		return 2;
	}
	if (!(id = one_id(argc, argv)) || load(g, id, &c, argc, argv) < 0)
		return 1;
	alive = strcmp(state_status(&c), "stopped") != 0;
	if (!strcmp(format, "json"))
		alive ? printf("[%d]\n", (int)c.pid) : printf("[]\n");
	else
		alive ? printf("PID\n%d\n", (int)c.pid) : printf("PID\n");
	state_close(&c);
	return 0;
}

/* pause and resume: QMP stop and cont on the running VM. */
int cmd_pause(const struct globals *g, int argc, char **argv)
{
	bool pause = !strcmp(argv[0], "pause");
	struct container c;
	int rc;

	if ((rc = load_only_id(g, argc, argv, &c)) != 0)
		return rc;
	if (strcmp(state_status(&c), pause ? "running" : "paused")) {
		oci_error(pause ? "container not running" : "container not paused");
		rc = 1;
	} else {
		rc = transition(&c, pause ? "stop" : "cont", pause ? "paused" : "running");
	}
	state_close(&c);
	return rc;
}

int cmd_features(const struct globals *g, int argc, char **argv)
{
	(void)g;
	if (no_options(argc, argv) < 0 || optind != argc)
		return 2;
	printf("{\n"
	       "  \"ociVersionMin\": \"1.0.0\",\n"
	       "  \"ociVersionMax\": \"1.1.0\",\n"
	       "  \"hooks\": [\"prestart\", \"createRuntime\", \"poststart\", \"poststop\"],\n"
	       "  \"mountOptions\": [],\n"
	       "  \"linux\": {\n"
	       "    \"namespaces\": [\"network\"],\n"
	       "    \"capabilities\": [],\n"
	       "    \"cgroup\": {\"v1\": false, \"v2\": false, \"systemd\": false, \"systemdUser\": false},\n"
	       "    \"seccomp\": {\"enabled\": false},\n"
	       "    \"apparmor\": {\"enabled\": false},\n"
	       "    \"selinux\": {\"enabled\": false}\n"
	       "  },\n"
	       "  \"annotations\": {\n"
	       "    \"org.flint.memory\": \"guest memory, as [machine] memory (overrides linux.resources.memory.limit)\",\n"
	       "    \"org.flint.vcpus\": \"vCPUs, as [machine] vcpus (overrides linux.resources.cpu)\",\n"
	       "    \"org.flint.kernel\": \"the guest ELF inside root.path (default: process.args[0])\",\n"
	       "    \"org.flint.runc\": \"true: a container that is not a Flint guest is handed to runc\"\n"
	       "  }\n"
	       "}\n");
	return 0;
}
