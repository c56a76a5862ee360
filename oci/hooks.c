/* OCI hooks (hooks.h). */
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char **strv(json_t *arr, const char *first)
{
	size_t n = json_array_size(arr), i;
	char **v = calloc(n + 2, sizeof(*v));
	json_t *x;

	if (!v)
		return NULL;
	if (n == 0 && first)
		v[0] = (char *)first;
	json_array_foreach(arr, i, x)
		v[i] = (char *)json_string_value(x);
	return v;
}

static int run_one(json_t *h, const char *state, char *err, size_t errlen)
{
	const char *path = json_string_value(json_object_get(h, "path"));
	json_int_t timeout = json_integer_value(json_object_get(h, "timeout"));
	char **argv = strv(json_object_get(h, "args"), path);
	char **envp = strv(json_object_get(h, "env"), NULL);
	int in[2], status, pidfd, rc = -1;
	struct pollfd p;
	pid_t pid;

	if (!argv || !envp || pipe2(in, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "hook %s: %s", path, strerror(errno ? errno : ENOMEM));
		goto out;
	}
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		execve(path, argv, envp);
		dprintf(2, "flint-oci: hook %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(in[0]);
	/* A hook that does not read its stdin must not stop us: SIGPIPE is ignored. */
	signal(SIGPIPE, SIG_IGN);
	if (pid > 0)
		(void)!write(in[1], state, strlen(state));
	close(in[1]);
	if (pid < 0) {
		snprintf(err, errlen, "hook %s: fork: %s", path, strerror(errno));
		goto out;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	p = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	if (pidfd >= 0 && poll(&p, 1, timeout > 0 ? (int)timeout * 1000 : -1) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		close(pidfd);
		snprintf(err, errlen, "hook %s: timed out after %lld s", path, (long long)timeout);
		goto out;
	}
	if (pidfd >= 0)
		close(pidfd);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rc = 0;
	else if (WIFEXITED(status))
		snprintf(err, errlen, "hook %s: exited with status %d", path, WEXITSTATUS(status));
	else
		snprintf(err, errlen, "hook %s: killed by signal %d", path, WTERMSIG(status));
out:
	free(argv);
	free(envp);
	return rc;
}

int hooks_run(json_t *hooks, const char *kind, json_t *state, char *err, size_t errlen)
{
	json_t *arr = json_object_get(hooks, kind), *h;
	char *s;
	size_t i;
	int rc = 0;

	if (!json_array_size(arr))
		return 0;
	s = json_dumps(state, JSON_COMPACT);
	if (!s) {
		snprintf(err, errlen, "hooks: out of memory");
		return -1;
	}
	json_array_foreach(arr, i, h)
		if ((rc = run_one(h, s, err, errlen)) < 0)
			break;
	free(s);
	return rc;
}
