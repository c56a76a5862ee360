/*
 * build/bench/launch SECONDS LAUNCHERS CMD [ARGS...]: LAUNCHERS threads
 * each start CMD (stdout and stderr to /dev/null) and wait for it, back
 * to back, for SECONDS; prints one line:
 *
 *   launch: N runs in T s by L launchers: R per s, F failed
 *
 * A run fails if CMD does not exit 0.  posix_spawn, not fork: the
 * launcher's own cost per run stays small next to what it measures.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static char **cmd;
static double deadline;
static posix_spawn_file_actions_t fa;

struct tally {
	unsigned long runs, failed;
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *launcher(void *arg)
{
	struct tally *t = arg;

	while (now() < deadline) {
		pid_t pid;
		int st;

		if (posix_spawn(&pid, cmd[0], &fa, NULL, cmd, environ) != 0) {
			t->failed++;
			continue;
		}
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		t->runs++;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			t->failed++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct tally t[64] = { { 0 } };
	pthread_t th[64];
	unsigned long runs = 0, failed = 0;
	double secs, t0;
	int n;

	if (argc < 4 || (secs = atof(argv[1])) <= 0 || (n = atoi(argv[2])) < 1 || n > 64) {
		fprintf(stderr, "usage: launch SECONDS LAUNCHERS(1-64) CMD [ARGS...]\n");
		return 2;
	}
	cmd = argv + 3;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	t0 = now();
	deadline = t0 + secs;
	for (int i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, launcher, &t[i]) != 0) {
			perror("launch: pthread_create");
			return 1;
		}
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		runs += t[i].runs;
		failed += t[i].failed;
	}
	secs = now() - t0;
	printf("launch: %lu runs in %.2f s by %d launchers: %.0f per s, %lu failed\n", runs, secs, n,
	       (double)runs / secs, failed);
	return failed ? 1 : 0;
}
