/*
 * reuse FLINT CONFIG N: the floor of `make bench`'s serve section.  Starts
 * one `flint run CONFIG` (fn-reuse: one guest answers every request) with
 * its console on pipes, sends N requests one at a time (after 20 that warm
 * the guest's pages up) as flint serve would write them, reads each
 * Content-Length-framed response, and prints one line:
 *   reuse: n N p50 X ms p99 Y ms max Z ms
 * No HTTP client or server and no new VM: what is left of a request when
 * the VM is reused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "latency.h"

#define WARMUP 20

extern char **environ;

/* One response: headers up to the blank line, then Content-Length bytes. */
static int read_response(int fd, char *buf, size_t cap)
{
	size_t used = 0, want = 0;
	char *end = NULL;

	for (;;) {
		ssize_t n;

		if (end && used >= (size_t)(end - buf) + 4 + want)
			return used == (size_t)(end - buf) + 4 + want ? 0 : -1;
		if (used == cap)
			return -1;
		n = read(fd, buf + used, cap - used);
		if (n <= 0)
			return -1;
		used += (size_t)n;
		if (!end && (end = memmem(buf, used, "\r\n\r\n", 4))) {
			char *cl = memmem(buf, (size_t)(end - buf), "Content-Length: ", 16);

			if (!cl || strncmp(buf, "Status: 200", 11))
				return -1;
			want = strtoul(cl + 16, NULL, 10);
		}
	}
}

int main(int argc, char **argv)
{
	static char buf[65536];
	int in[2], out[2], n, st = 0;
	posix_spawn_file_actions_t fa;
	uint64_t *lat;
	pid_t pid;

	if (argc != 4 || (n = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: reuse FLINT CONFIG N\n");
		return 2;
	}
	char *args[] = { argv[1], "run", argv[2], "--set", "console.input=stdin", "--set", "console.output=stdout",
			 "--set", "console.device=virtio", NULL };
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || !(lat = calloc((size_t)n, sizeof(*lat))))
		return 1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	if ((errno = posix_spawn(&pid, argv[1], &fa, NULL, args, environ))) {
		perror(argv[1]);
		return 1;
	}
	close(in[0]);
	close(out[1]);
	for (int i = 0; i < WARMUP + n; i++) {
		char req[256];
		int len = snprintf(req, sizeof(req), "GET /%d HTTP/1.1\r\nHost: bench\r\nUser-Agent: reuse\r\n"
				   "Accept: */*\r\nContent-Length: 0\r\n\r\n", i);
		uint64_t t0 = now();

		if (write(in[1], req, (size_t)len) != len || read_response(out[0], buf, sizeof(buf)) < 0) {
			fprintf(stderr, "reuse: request %d: no well-formed response\n", i);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return 1;
		}
		if (i >= WARMUP)
			lat[i - WARMUP] = now() - t0;
	}
	close(in[1]);
	waitpid(pid, &st, 0);
	qsort(lat, (size_t)n, sizeof(*lat), cmp);
	printf("reuse: n %d p50 %.3f ms p99 %.3f ms max %.3f ms\n", n, (double)lat[n / 2] / 1e6,
	       (double)lat[(size_t)n * 99 / 100] / 1e6, (double)lat[n - 1] / 1e6);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
