/*
 * flint serve's shared state: the server, its VMs (one `flint run`
 * process each) and its jobs (one admitted HTTP request each).  One
 * thread, one libevent loop: every handler runs to completion.
 */
#ifndef FLINT_SERVE_SERVER_H
#define FLINT_SERVE_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include <event2/util.h>

#include "config.h"
#include "metrics.h"
#include "vm_msgs.h"

struct event_base;
struct evhttp;
struct evhttp_request;
struct evbuffer;
struct event;

#define SERVE_SETS_MAX 32
/* flint_run_argv's fixed words, what its callers add, the sets, NULL. */
#define SERVE_ARGV_MAX (24 + 2 * SERVE_SETS_MAX)
/* Where each VM finds the snapshot: --restore /proc/self/fd/4. */
#define SERVE_SNAP_FD 4
#define SERVE_SNAP_PATH "/proc/self/fd/4"

enum vm_state { VM_STARTING, VM_READY, VM_BUSY, VM_ENDING };

struct job;

struct vmproc {
	struct server *s;
	pid_t pid;
	int pidfd, ready_fd, in_fd, out_fd;
	enum vm_state state;
	struct event *ev_exit, *ev_ready, *ev_in, *ev_out, *ev_boot;
	uint64_t t_spawn, t_ready, t_release;
	struct evbuffer *in, *out;   /* the request still to write; the response so far */
	bool exited, too_much, killed;
	bool listed;                 /* on s->vms, counted in nvms */
	bool finished;               /* flint said 'E' and its status: the answer needs nothing more */
	struct ready_parser rp;      /* the ready socket's message so far */
	uint64_t generation;         /* from its 'R' (has_gen) */
	bool has_gen;
	int err_fd;                  /* its stderr: logged a line at a time, with the generation */
	struct event *ev_err;
	struct vm_log log;
	struct evbuffer *held;       /* lines before the generation was known */
	unsigned log_lines, log_dropped;
	int wstatus;
	struct job *job;
	uint64_t tag;                /* its spawner request: pid and pidfd come with the reply */
	LIST_ENTRY(vmproc) all;
	TAILQ_ENTRY(vmproc) spawn_link;  /* on s->spawning until then */
	TAILQ_ENTRY(vmproc) ready_link;
};

struct job {
	struct server *s;
	struct evhttp_request *req;  /* NULL: the client went away */
	struct vmproc *vm;
	struct event *timer;
	uint64_t t_arrive;
	bool waiting, answered;
	char method[12];
	char *target;                /* for the failure line */
	TAILQ_ENTRY(job) wait_link;
};

struct server {
	const struct flint_spec *cfg;
	const char *config_path;
	const char *flint;           /* the flint binary */
	char **sets;                 /* the command line's --set S.K=V, passed on to every VM */
	int nsets;
	char *snapshot;              /* snapshot = auto: the file made at ready */
	int snap_fd;                 /* that file, open; its name is gone (SERVE_SNAP_FD in each VM) */
	char *tmpdir;
	struct event_base *base;
	struct evhttp *http, *metrics_http;
	struct event *ev_term, *ev_int;
	unsigned max_vms, queue_max;
	unsigned nvms, nstarting, nready, nbusy, nwaiting, njobs;
	bool draining;
	struct evhttp_bound_socket *bound;   /* the listener: closed when draining starts */
	unsigned start_failures;             /* VMs in a row that died before ready */
	struct event *ev_refill;             /* pool_refill after a back-off */
	unsigned sending;                    /* replies queued, not yet sent or lost */
	uint64_t admitted, finished;         /* jobs: equal at exit, or a request was lost */
	LIST_HEAD(, vmproc) vms;
	TAILQ_HEAD(, vmproc) ready;
	TAILQ_HEAD(, job) waitq;
	struct metrics m;
	int spawner_fd;                      /* the spawner's socket (spawner.h) */
	pid_t spawner_pid;
	struct event *ev_spawner;
	uint64_t spawn_tag;                  /* the last request's */
	TAILQ_HEAD(, vmproc) spawning;       /* requests not yet answered, oldest first */
	unsigned log_tokens;                 /* VMs' stderr lines the server may still log this second */
	uint64_t log_refill_ns;
};

/* A VM's stderr in the server's log: at most this many lines a VM, and
 * this many a second over all VMs (twice that in a burst). */
#define SERVE_LOG_LINES_PER_VM 64
#define SERVE_LOG_LINES_PER_SEC 200

uint64_t now_ns(void);

/* vmproc.c */
/* `flint run CONFIG` with the console sets and the user's --set: argv
 * needs room for SERVE_ARGV_FIXED + 2 * nsets more; returns the count. */
#define SERVE_ARGV_FIXED 9
int flint_run_argv(const struct server *s, const char **argv);
/* The argv of every VM: flint_run_argv's, then --ready-fd and --restore. */
int vm_argv(const struct server *s, const char **argv);
/* Asks the spawner for a VM: it is counted as starting from here. */
int vm_spawn(struct server *s);
/* The spawner's socket is readable: its replies. */
void vm_spawner_replies(evutil_socket_t fd, short what, void *arg);
void vm_release(struct vmproc *v, struct job *j, const void *req, size_t len);
void vm_kill(struct vmproc *v);
void vm_free(struct vmproc *v);
/* Starts VMs until the pool (and the waiting jobs) are covered. */
void pool_refill(struct server *s);
void pool_refill_now(struct server *s);
/* Draining: ends every VM no job holds. */
void pool_shutdown(struct server *s);

/* server.c */
void job_vm_ready(struct server *s);            /* a VM became ready: hand it out */
void job_vm_done(struct vmproc *v);            /* the VM of a job has exited */
void server_maybe_exit(struct server *s);
int server_http_setup(struct server *s, char *err, size_t errlen);
/* SIGTERM: new connections are refused, requests on open ones get 503. */
void server_stop_listening(struct server *s);

#endif
