/*
 * The teardown helper, without KVM: a child plays the monitor.  Its
 * parent must see the exit status and end of file on its output at once,
 * the helper must be filtered with every signal blocked while it waits,
 * and gone right after the "monitor".
 */
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "teardown.h"

struct monitor {
	pid_t pid;
	int out;     /* its stdout, read end */
	int go;      /* write: let it exit */
};

/* The "monitor": starts the helper, prints, waits for the word, exits 7. */
static struct monitor start_monitor(void)
{
	int out[2], go[2];
	struct monitor m;
	char err[256];

	CHECK(pipe(out) == 0 && pipe(go) == 0);
	m.pid = fork();
	if (m.pid == 0) {
		char c;

		dup2(out[1], STDOUT_FILENO);
		close(out[0]);
		close(out[1]);
		close(go[1]);
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (teardown_helper_prepare(err, sizeof(err)) < 0 ||
		    teardown_helper_start(SECCOMP_MODE_KILL, err, sizeof(err)) < 0 || !teardown_helper_running()) {
			fprintf(stderr, "  %s\n", err);
			_exit(99);
		}
		printf("hello from the monitor\n");
		fflush(stdout);
		if (read(go[0], &c, 1) != 1)
			_exit(98);
		teardown_exit(7);
	}
	close(out[1]);
	close(go[0]);
	m.out = out[0];
	m.go = go[1];
	return m;
}

/* The one child of parent, found through /proc (the helper has no other name). */
static pid_t child_of(pid_t parent)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = -1;

	for (int tries = 0; found < 0 && tries < 2000; tries++) {
		rewinddir(d);
		while ((e = readdir(d))) {
			char path[300], buf[512], *p;
			FILE *f;
			int ppid;

			if (e->d_name[0] < '1' || e->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
			if (!(f = fopen(path, "r")))
				continue;
			if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
			    sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == parent)
				found = atoi(e->d_name);
			fclose(f);
		}
		if (found < 0)
			usleep(5000);
	}
	closedir(d);
	return found;
}

static int status_field(pid_t pid, const char *field, char *val, size_t len)
{
	char path[64], line[256];
	FILE *f;
	int rc = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)) && line[strlen(field)] == ':') {
			snprintf(val, len, "%s", line + strlen(field) + 1 + strspn(line + strlen(field) + 1, " \t"));
			val[strcspn(val, "\n")] = 0;
			rc = 0;
		}
	fclose(f);
	return rc;
}

/* Waits up to ms for pid to exit; returns its wait status or -1. */
static int reap_within(pid_t pid, int ms)
{
	int st;

	for (int i = 0; i < ms; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(1000);
	}
	return -1;
}

TEST(helper_is_filtered_and_blocks_signals)
{
	struct monitor m = start_monitor();
	pid_t h = child_of(m.pid);
	char v[64];

	CHECK(h > 0);
	CHECK(status_field(h, "Seccomp", v, sizeof(v)) == 0 && !strcmp(v, "2"));
	CHECK(status_field(h, "SigBlk", v, sizeof(v)) == 0);
	{
		unsigned long long blk = strtoull(v, NULL, 16);
		const int sigs[] = { SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGPIPE, SIGCHLD, SIGALRM };

		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			CHECK(blk & 1ull << (sigs[i] - 1));
	}
	CHECK(write(m.go, "x", 1) == 1);
	CHECK(reap_within(m.pid, 20000) >= 0);
	CHECK(reap_within(h, 20000) >= 0);
	close(m.out);
	close(m.go);
}

TEST(parent_gets_status_output_and_eof)
{
	struct monitor m = start_monitor();
	char buf[128] = "";
	size_t got = 0;
	ssize_t n;
	int st;
	pid_t h = child_of(m.pid);

	CHECK(h > 0);
	CHECK(write(m.go, "x", 1) == 1);
	st = reap_within(m.pid, 20000);
	CHECK(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 7);
	/* All the output, then end of file although the helper may live on. */
	while ((n = read(m.out, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = 0;
	CHECK(n == 0 && !strcmp(buf, "hello from the monitor\n"));
	st = reap_within(h, 20000);
	CHECK(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(m.out);
	close(m.go);
}

TEST(helper_follows_a_killed_monitor)
{
	struct monitor m = start_monitor();
	pid_t h = child_of(m.pid);
	int st;

	CHECK(h > 0);
	kill(m.pid, SIGKILL);
	st = reap_within(m.pid, 20000);
	CHECK(st >= 0 && WIFSIGNALED(st));
	st = reap_within(h, 20000);
	CHECK(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(m.out);
	close(m.go);
}

/* Orphaned helpers come to us, so each test can reap its own. */
__attribute__((constructor)) static void become_subreaper(void)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
}

CHECK_MAIN()
