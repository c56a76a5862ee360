/*
 * `create`: bundle -> generated flint.ini + initrd in the state folder ->
 * `flint run flint.ini --paused` as the container's process, returned from
 * once its control socket says "prelaunch".  Every value reaches the VM
 * through the INI file, so it gets the same checks as a user's.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "console.h"
#include "cpio_write.h"
#include "delegate.h"
#include "ini_gen.h"
#include "guest_elf.h"
#include "hooks.h"
#include "log.h"
#include "net.h"
#include "qmp_client.h"
#include "bundle.h"
#include "state.h"

#define CONFIG_MAX (4u << 20)
#define INITRD_MAX (1ull << 30)
#define READY_TIMEOUT_MS 30000

struct create_opts {
	const char *bundle, *pid_file, *console_socket, *id;
};

static int read_config(const char *bundle, char **text, size_t *len, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (snprintf(path, sizeof(path), "%s/config.json", bundle) >= (int)sizeof(path)) {
		snprintf(err, errlen, "--bundle: path too long");
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX) {
		snprintf(err, errlen, "%.900s: %s", path, fd < 0 ? strerror(errno) : "not a file of at most 4 MiB");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*text = malloc((size_t)st.st_size + 1);
	if (!*text || read(fd, *text, (size_t)st.st_size) != st.st_size) {
		snprintf(err, errlen, "%.900s: cannot read", path);
		close(fd);
		return -1;
	}
	close(fd);
	*len = (size_t)st.st_size;
	return 0;
}

/* The guest ELF inside the root, resolved as the guest would: never outside it. */
static int open_guest(int root_fd, const char *name, const char *field, bool *not_flint, char *err, size_t errlen)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	struct stat st;
	int fd = (int)syscall(SYS_openat2, root_fd, name, &how, sizeof(how));

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "config.json: %s \"%.200s\": %s in root.path", field, name,
			 fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!guest_elf_is_flint(fd)) {
		*not_flint = true;
		snprintf(err, errlen, "config.json: %s \"%.200s\": not a Flint guest (an x86-64 ELF with a PVH "
			 "entry note); flint-oci runs only Flint guests, since a Linux program would run "
			 "without the VM's isolation: run this container with runc, or annotate it "
			 "org.flint.runc=true to have flint-oci hand it to runc", field, name);
		close(fd);
		return -1;
	}
	return fd;
}

static char *args_blob(const struct spec *s, size_t *len)
{
	size_t n = 0;
	char *b, *p;

	for (size_t i = 0; i < s->nargs; i++)
		n += strlen(s->args[i]) + 2;
	for (size_t i = 0; i < s->nenv; i++)
		n += strlen(s->env[i]) + 2;
	p = b = malloc(n ? n : 1);
	if (!b)
		return NULL;
	for (size_t i = 0; i < s->nargs; i++)
		p += sprintf(p, "a%s", s->args[i]) + 1;
	for (size_t i = 0; i < s->nenv; i++)
		p += sprintf(p, "e%s", s->env[i]) + 1;
	*len = n;
	return b;
}

static int write_initrd(struct container *c, int root_fd, const struct spec *s, uint64_t *size, char *err,
			size_t errlen)
{
	size_t blen;
	char *blob = args_blob(s, &blen);
	int fd = openat(c->dir_fd, "rootfs.cpio", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
	int rc;

	if (!blob || !f) {
		snprintf(err, errlen, "%.900s/rootfs.cpio: %s", c->dir, strerror(errno ? errno : ENOMEM));
		free(blob);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rc = cpio_write_tree(root_fd, f, INITRD_MAX, ".flint/args", blob, blen, err, errlen);
	*size = (uint64_t)ftell(f);
	fclose(f);
	free(blob);
	return rc;
}

static const char *flint_binary(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("FLINT_OCI_FLINT");
	ssize_t n;
	char *slash;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", path, sizeof(path) - 7);
	if (n <= 0)
		return "flint";
	path[n] = '\0';
	slash = strrchr(path, '/');
	strcpy(slash + 1, "flint");
	return path;
}

static pid_t spawn_vm(struct container *c, int kernel_fd, int tty)
{
	char ini[PATH_MAX + 16];
	pid_t pid;

	snprintf(ini, sizeof(ini), "%s/flint.ini", c->dir);
	pid = fork();
	if (pid != 0)
		return pid;
	/* The VM process: its own session (a signal to create's group does
	 * not reach it), the pty as its terminal, the kernel fd inherited. */
	setsid();
	if (tty >= 0) {
		ioctl(tty, TIOCSCTTY, 0);
		dup2(tty, 0);
		dup2(tty, 1);
		dup2(tty, 2);
	}
	fcntl(kernel_fd, F_SETFD, 0);
	signal(SIGPIPE, SIG_DFL);
	execl(flint_binary(), "flint", "run", ini, "--paused", (char *)NULL);
	dprintf(2, "flint-oci: cannot run %s: %s\n", flint_binary(), strerror(errno));
	_exit(127);
}

/* Ready: the control socket answers and the VM is in prelaunch. */
static int wait_ready(struct container *c, pid_t pid, char *err, size_t errlen)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	char sock[PATH_MAX + 16], status[32], why[512];
	struct timespec t0, t;

	snprintf(sock, sizeof(sock), "%s/control.sock", c->dir);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		int st;

		if (access(sock, F_OK) == 0 && qmp_command(sock, "query-status", status, sizeof(status), why,
							    sizeof(why)) == 0) {
			close(pidfd);
			if (!strcmp(status, "prelaunch"))
				return 0;
			snprintf(err, errlen, "the VM is \"%s\", not waiting to start", status);
			return -1;
		}
		/* Poll the process for up to 5 ms between attempts: a VM that
		 * failed its checks is reported at once. */
		if (poll(&p, 1, 5) > 0 || waitpid(pid, &st, WNOHANG) == pid) {
			waitpid(pid, &st, 0);
			close(pidfd);
			snprintf(err, errlen, "the VM process exited with status %d before it was ready "
				 "(flint's message is on the container's stderr)",
				 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			return -1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > READY_TIMEOUT_MS) {
			close(pidfd);
			snprintf(err, errlen, "the VM was not ready within %d s", READY_TIMEOUT_MS / 1000);
			return -1;
		}
	}
}

static int write_pid_file(const char *path, pid_t pid, char *err, size_t errlen)
{
	char tmp[PATH_MAX + 8], text[32];
	int n = snprintf(text, sizeof(text), "%d", (int)pid), fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, (size_t)n) != n || close(fd) < 0 || rename(tmp, path) < 0) {
		snprintf(err, errlen, "--pid-file %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct create_opts *o)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "preserve-fds", required_argument, NULL, 'f' },
		{ "no-pivot", no_argument, NULL, 'n' },
		{ "no-new-keyring", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	o->bundle = ".";
	optind = 1;
	while ((ch = getopt_long_only(argc, argv, "+b:", opts, NULL)) != -1) {
		if (ch == 'b')
			o->bundle = optarg;
		else if (ch == 'p')
			o->pid_file = optarg;
		else if (ch == 'c')
			o->console_socket = optarg;
		else if (ch == '?')
			return -1;
	}
	if (optind != argc - 1) {
		oci_error("create: \"create\" requires exactly 1 argument (the container id)");
		return -1;
	}
	o->id = argv[optind];
	return 0;
}

int cmd_create(const struct globals *g, int argc, char **argv)
{
	struct create_opts o = { 0 };
	struct container c = { .dir_fd = -1 };
	struct spec s = { 0 };
	char err[1024], root[PATH_MAX], bundle[PATH_MAX], *text = NULL;
	int root_fd = -1, kernel_fd = -1, tty = -1, netns_back = -1, rc = 1;
	struct net_info net = { 0 };
	bool claimed = false, not_flint = false;
	pid_t pid = -1;
	uint64_t initrd = 0;
	size_t len;
	json_t *st;

	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	if (!realpath(o.bundle, bundle)) {
		oci_error("--bundle %s: %s", o.bundle, strerror(errno));
		return 1;
	}
	if (read_config(bundle, &text, &len, err, sizeof(err)) < 0 ||
	    spec_parse(text, len, &s, err, sizeof(err)) < 0)
		goto fail;
	if (s.terminal != (o.console_socket != NULL)) {
		snprintf(err, sizeof(err), s.terminal ?
			 "cannot allocate tty if runc will detach without setting console socket" :
			 "cannot use console socket if runc will not detach or allocate tty");
		goto fail;
	}
	if (snprintf(root, sizeof(root), "%s%s%s", s.root_path[0] == '/' ? "" : bundle,
		     s.root_path[0] == '/' ? "" : "/", s.root_path) >= (int)sizeof(root)) {
		snprintf(err, sizeof(err), "config.json: root.path: too long");
		goto fail;
	}
	root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		snprintf(err, sizeof(err), "config.json: root.path \"%.200s\": %s", s.root_path, strerror(errno));
		goto fail;
	}
	kernel_fd = open_guest(root_fd, s.ann_kernel ? s.ann_kernel : s.args[0],
			       s.ann_kernel ? "annotations[\"org.flint.kernel\"]" : "process.args[0]", &not_flint,
			       err, sizeof(err));
	if (kernel_fd < 0 && not_flint && s.ann_runc) {
		/* an id Flint holds is not given to runc too */
		struct stat st;
		char mine[PATH_MAX + 256];

		snprintf(mine, sizeof(mine), "%s/%s", g->root, o.id);
		if (stat(mine, &st) == 0) {
			snprintf(err, sizeof(err), "container with given ID already exists");
			goto fail;
		}
		close(root_fd);
		spec_free(&s);
		free(text);
		delegate_exec(g, argc, argv);
		return 1;
	}
	if (kernel_fd < 0)
		goto fail;
	/* Moved above 2: the INI names it, and fd 0-2 belong to the console. */
	if (kernel_fd < 3) {
		int moved = fcntl(kernel_fd, F_DUPFD_CLOEXEC, 3);

		close(kernel_fd);
		kernel_fd = moved;
	}
	if (delegate_has(g, o.id)) {
		snprintf(err, sizeof(err), "container with given ID already exists");
		goto fail;
	}
	if (state_claim(g->root, o.id, &c, err, sizeof(err)) < 0)
		goto fail;
	claimed = true;
	memcpy(c.bundle, bundle, sizeof(c.bundle));
	/* The VM process is started inside the container's network
	 * namespace (flint opens the tap by name there); create itself
	 * returns to its own at once. */
	if (s.netns_path) {
		if (netns_enter(s.netns_path, &netns_back, err, sizeof(err)) < 0)
			goto fail;
		snprintf(c.netns, sizeof(c.netns), "%s", s.netns_path);
		if (net_setup(&net, err, sizeof(err)) < 0)
			goto fail;
	}
	if (write_initrd(&c, root_fd, &s, &initrd, err, sizeof(err)) < 0 ||
	    write_ini(&c, &s, kernel_fd, initrd, &net, err, sizeof(err)) < 0)
		goto fail;
	if (o.console_socket && (tty = console_pty(o.console_socket, err, sizeof(err))) < 0)
		goto fail;
	pid = spawn_vm(&c, kernel_fd, tty);
	netns_leave(netns_back);
	netns_back = -1;
	if (pid < 0) {
		snprintf(err, sizeof(err), "fork: %s", strerror(errno));
		goto fail;
	}
	if (wait_ready(&c, pid, err, sizeof(err)) < 0) {
		pid = -1; /* reaped, or killed below */
		goto fail;
	}
	c.pid = pid;
	c.start_time = state_proc_start(pid);
	strcpy(c.status, "created");
	{
		time_t now = time(NULL);

		strftime(c.created, sizeof(c.created), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	}
	c.annotations = s.annotations ? json_incref(s.annotations) : NULL;
	c.spec_hooks = s.hooks ? json_incref(s.hooks) : NULL;
	if (state_save(&c, err, sizeof(err)) < 0)
		goto fail;
	st = state_json(&c);
	if (hooks_run(c.spec_hooks, "prestart", st, err, sizeof(err)) < 0 ||
	    hooks_run(c.spec_hooks, "createRuntime", st, err, sizeof(err)) < 0) {
		json_decref(st);
		goto fail;
	}
	json_decref(st);
	if (o.pid_file && write_pid_file(o.pid_file, pid, err, sizeof(err)) < 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	oci_error("%s", err);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (net.present) {
		int back = -1;

		if (netns_back >= 0 || netns_enter(c.netns, &back, err, sizeof(err)) == 0)
			net_teardown();
		netns_leave(back);
	}
	netns_leave(netns_back);
	netns_back = -1;
	if (claimed && state_remove(&c, err, sizeof(err)) < 0)
		oci_warn("%s", err);
out:
	if (tty >= 0)
		close(tty);
	if (kernel_fd >= 0)
		close(kernel_fd);
	if (root_fd >= 0)
		close(root_fd);
	state_close(&c);
	spec_free(&s);
	free(text);
	return rc;
}
