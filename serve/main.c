/*
 * flint serve CONFIG: the supervisor (docs/SERVE.md).  `flint serve`
 * execs this binary, build/flint-serve, with --flint naming the monitor:
 * the server links libevent, which no VM process should load.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>

#include "exit_codes.h"
#include "sandbox.h"
#include "server.h"
#include "spawner.h"

extern char **environ;

static const char usage[] =
	"Usage: flint serve CONFIG [--set SECTION.KEY=VALUE]...\n"
	"Answers every HTTP request on [serve] listen with a brand-new VM of CONFIG's function.\n"
	"See docs/SERVE.md and config.ini.example's [serve] section.\n";

/* snapshot = auto: boot the function once and save it at flint_ready(). */
static int make_snapshot(struct server *s, char *err, size_t errlen)
{
	const char *argv[SERVE_ARGV_MAX];
	posix_spawn_file_actions_t fa;
	struct pollfd pfd;
	pid_t pid;
	int n, st = 0, rc, in[2], timeout_ms = (int)(s->cfg->serve.timeout_ns / 1000000ull);
	uint64_t t0 = now_ns();

	if (asprintf(&s->snapshot, "%s/function.snap", s->tmpdir) < 0)
		return snprintf(err, errlen, "out of memory"), -1;
	n = flint_run_argv(s, argv);
	argv[n++] = "--save-at-ready";
	argv[n++] = s->snapshot;
	argv[n] = NULL;
	/* stdin open and empty until the save is done: at end of input the
	 * guest would learn (and the snapshot keep) that no request comes. */
	if (pipe2(in, O_CLOEXEC) < 0)
		return snprintf(err, errlen, "pipe: %s", strerror(errno)), -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	rc = posix_spawn(&pid, s->flint, &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	if (rc) {
		close(in[1]);
		return snprintf(err, errlen, "cannot start %s: %s", s->flint, strerror(rc)), -1;
	}
	pfd.fd = (int)syscall(SYS_pidfd_open, pid, 0);
	pfd.events = POLLIN;
	if (pfd.fd < 0 || poll(&pfd, 1, timeout_ms) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(in[1]);
		if (pfd.fd >= 0)
			close(pfd.fd);
		return snprintf(err, errlen, "%s: the function did not call flint_ready() within [serve] timeout "
				"(call it, raise timeout, or set snapshot = off)", s->config_path), -1;
	}
	close(pfd.fd);
	waitpid(pid, &st, 0);
	close(in[1]);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return snprintf(err, errlen, "%s: the snapshot run (flint run --save-at-ready) failed with status "
				"%d: see its messages above; a function must call flint_ready() before it reads "
				"its request", s->config_path, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st)), -1;
	/* Held open and unlinked: a server that is killed leaves no snapshot
	 * behind, and nothing else can open it by name.  Above 10, so that
	 * no dup2 of a VM's start-up lands on it before it is copied. */
	rc = open(s->snapshot, O_RDONLY | O_CLOEXEC);
	s->snap_fd = rc < 0 ? -1 : fcntl(rc, F_DUPFD_CLOEXEC, 10);
	if (rc >= 0)
		close(rc);
	unlink(s->snapshot);
	rmdir(s->tmpdir);
	if (s->snap_fd < 0)
		return snprintf(err, errlen, "cannot reopen the snapshot: %s", strerror(errno)), -1;
	fprintf(stderr, "flint serve: snapshot made at flint_ready() in %.1f ms\n", (double)(now_ns() - t0) / 1e6);
	return 0;
}

/* The spawner (spawner.h), forked before the filter goes on, with what
 * every VM shares: the flint binary, its argv, the snapshot. */
static int start_spawner(struct server *s, char *err, size_t errlen)
{
	static const char *argv[SERVE_ARGV_MAX];
	struct spawner_setup su = { .flint = s->flint, .argv = argv, .snap_fd = s->snap_fd };
	struct serve_addr a;
	char why[64];

	vm_argv(s, argv);
	if (serve_parse_addr(s->cfg->serve.listen, &a, why, sizeof(why)) == 0 && a.is_unix)
		su.unlink_at_exit = a.path;
	s->spawner_fd = spawner_start(&su, &s->spawner_pid, err, errlen);
	if (s->spawner_fd < 0)
		return -1;
	/* The VMs have the snapshot from the spawner now. */
	if (s->snap_fd >= 0)
		close(s->snap_fd);
	s->snap_fd = -1;
	s->ev_spawner = event_new(s->base, s->spawner_fd, EV_READ | EV_PERSIST, vm_spawner_replies, s);
	if (!s->ev_spawner || event_add(s->ev_spawner, NULL) < 0)
		return snprintf(err, errlen, "cannot watch the spawner"), -1;
	return 0;
}

static void on_term(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	(void)fd, (void)what;
	if (s->draining)
		return;
	fprintf(stderr, "flint serve: draining: %u requests in flight, %u waiting\n", s->nbusy, s->nwaiting);
	s->draining = true;
	server_stop_listening(s);
	pool_shutdown(s);
	server_maybe_exit(s);
}

static int check_serve(const struct flint_spec *c, const char *path, char *err, size_t errlen)
{
	if (!c->serve.listen)
		return snprintf(err, errlen, "%s: [serve] listen is missing: flint serve needs an address "
				"(e.g. listen = 127.0.0.1:8080, or unix:/run/fn.sock)", path), -1;
	if (c->control_path)
		return snprintf(err, errlen, "%s: [control] socket: every VM of flint serve would bind the same "
				"path: remove it (serve releases its VMs itself)", path), -1;
	if (c->serve.max_vms && c->serve.max_vms < c->serve.pool)
		return snprintf(err, errlen, "%s: [serve] max_vms = %u is below pool = %u: raise max_vms or "
				"lower pool", path, c->serve.max_vms, c->serve.pool), -1;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "set", required_argument, NULL, 's' },
		{ "flint", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct server s = { .snap_fd = -1, .spawner_fd = -1 };
	struct flint_spec cfg;
	char err[1024], tmpl[] = "/tmp/flint-serve.XXXXXX";
	char *sets[SERVE_SETS_MAX];
	int c, status = 0;
	bool filtered = false;

	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (s.nsets == SERVE_SETS_MAX) {
				fprintf(stderr, "flint serve: at most %d --set\n", SERVE_SETS_MAX);
				return FLINT_EXIT_USAGE;
			}
			sets[s.nsets++] = optarg;
			break;
		case 'f':
			s.flint = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return FLINT_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || !s.flint) {
		fputs(usage, stderr);
		return FLINT_EXIT_USAGE;
	}
	s.sets = sets;
	s.config_path = argv[optind];
	if (config_load(&cfg, s.config_path, sets, s.nsets, err, sizeof(err)) < 0 ||
	    check_serve(&cfg, s.config_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "flint serve: %s\n", err);
		return FLINT_EXIT_USAGE;
	}
	s.cfg = &cfg;
	s.max_vms = serve_max_vms(&cfg.serve);
	s.queue_max = s.max_vms * 4;
	LIST_INIT(&s.vms);
	TAILQ_INIT(&s.ready);
	TAILQ_INIT(&s.waitq);
	TAILQ_INIT(&s.spawning);
	if (!(s.base = event_base_new())) {
		fprintf(stderr, "flint serve: cannot create the event loop\n");
		return FLINT_EXIT_VMM;
	}
	if (server_http_setup(&s, err, sizeof(err)) < 0) {
		fprintf(stderr, "flint serve: %s\n", err);
		status = FLINT_EXIT_USAGE;
		goto out;
	}
	if (cfg.serve.snapshot) {
		if (!(s.tmpdir = mkdtemp(tmpl))) {
			fprintf(stderr, "flint serve: cannot create a folder in /tmp: %s\n", strerror(errno));
			status = FLINT_EXIT_VMM;
			goto out;
		}
		if (make_snapshot(&s, err, sizeof(err)) < 0) {
			fprintf(stderr, "flint serve: %s\n", err);
			status = FLINT_EXIT_USAGE;
			goto out;
		}
	}
	s.ev_term = evsignal_new(s.base, SIGTERM, on_term, &s);
	s.ev_int = evsignal_new(s.base, SIGINT, on_term, &s);
	if (!s.ev_term || !s.ev_int || event_add(s.ev_term, NULL) < 0 || event_add(s.ev_int, NULL) < 0) {
		fprintf(stderr, "flint serve: cannot watch SIGTERM\n");
		status = FLINT_EXIT_VMM;
		goto out;
	}
	/* The supervisor's confinement (docs/SECURITY.md): no exec gains
	 * privileges from here on, for it or the VMs its spawner starts; each
	 * VM then confines itself. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		fprintf(stderr, "flint serve: cannot set no_new_privs: %s\n", strerror(errno));
		status = FLINT_EXIT_VMM;
		goto out;
	}
	if (start_spawner(&s, err, sizeof(err)) < 0) {
		fprintf(stderr, "flint serve: %s\n", err);
		status = FLINT_EXIT_VMM;
		goto out;
	}
	/* Everything opened, bound and forked: from here on only the calls
	 * of the serve role (seccomp/policy.c).  evhttp's Date header calls
	 * gmtime_r, whose first call reads /etc/localtime: read it now. */
	tzset();
	if (seccomp_install(SANDBOX_ROLE_SERVE, 0, cfg.seccomp, err, sizeof(err)) < 0) {
		fprintf(stderr, "flint serve: %s\n", err);
		status = FLINT_EXIT_VMM;
		goto out;
	}
	filtered = true;
	pool_refill(&s);
	fprintf(stderr, "flint serve: listening on %s (pool %u, max_vms %u, snapshot %s)\n", cfg.serve.listen,
		cfg.serve.pool, s.max_vms, cfg.serve.snapshot ? "auto" : "off");
	event_base_dispatch(s.base);
	fprintf(stderr, "flint serve: drained, every VM has exited; %llu requests admitted, %llu finished, "
		"%llu answered 200\n", (unsigned long long)s.admitted, (unsigned long long)s.finished,
		(unsigned long long)s.m.by_status[200]);
out:
	if (s.http)
		evhttp_free(s.http);
	if (s.metrics_http)
		evhttp_free(s.metrics_http);
	if (s.ev_term)
		event_free(s.ev_term);
	if (s.ev_int)
		event_free(s.ev_int);
	if (s.ev_refill)
		event_free(s.ev_refill);
	if (s.ev_spawner)
		event_free(s.ev_spawner);
	event_base_free(s.base);
	if (s.snap_fd >= 0)
		close(s.snap_fd);
	/* The spawner removes the unix socket's path once its socket closes
	 * (the filter allows no unlink here): wait for it. */
	if (s.spawner_fd >= 0)
		close(s.spawner_fd);
	if (s.spawner_pid > 0)
		waitpid(s.spawner_pid, NULL, 0);
	if (!filtered) {
		struct serve_addr a;
		char why[64];

		if (s.snapshot)
			unlink(s.snapshot);
		if (s.tmpdir)
			rmdir(s.tmpdir);
		if (serve_parse_addr(cfg.serve.listen, &a, why, sizeof(why)) == 0 && a.is_unix && !s.spawner_pid)
			unlink(a.path);
	}
	free(s.snapshot);
	config_free(&cfg);
	return status;
}
