/*
 * QMP, the QEMU Machine Protocol, without the socket: bytes from a client
 * go in (qmp_session_feed), bytes for it come out (qmp_session_output).
 * The VM is reached only through struct qmp_vm_ops, so the layer runs
 * against a fake in the unit tests and the test server (tests/qmp/).
 *
 * Wire format, as QEMU's: a greeting on connect; JSON objects from the
 * client (newlines optional, several per read or one across many reads);
 * one line per answer or event, ended by "\r\n".  JSON is parsed by
 * jansson (strict UTF-8, a nesting limit, duplicate keys refused).
 */
#ifndef FLINT_QMP_H
#define FLINT_QMP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* A message larger than this from a client ends its session: QMP commands
 * are a few hundred bytes, and the bound is what keeps a client sending a
 * 100 MiB line from costing 100 MiB. */
#define QMP_MESSAGE_MAX (64u * 1024)
/* Answers and events waiting for a client that does not read: past this
 * the client is dropped, the VM never waits for it. */
#define QMP_OUTPUT_MAX (1024u * 1024)

/* PRELAUNCH: parked before its first instruction (flint run --paused,
 * QEMU's -S) and never continued yet; PAUSED: stopped after it ran. */
enum qmp_vm_state { QMP_VM_RUNNING, QMP_VM_PAUSED, QMP_VM_SHUTDOWN, QMP_VM_PRELAUNCH };

/*
 * What the protocol may ask of the VM.  Every call runs on the thread that
 * feeds the session (flint: the main thread's event loop).  A function
 * returning json_t * hands over a new reference, or NULL with a reason in
 * err.
 */
struct qmp_vm_ops {
	enum qmp_vm_state (*status)(void *ctx);
	/* Return once every vCPU is parked (pause) or released (resume). */
	int (*pause)(void *ctx, char *err, size_t errlen);
	int (*resume)(void *ctx, char *err, size_t errlen);
	/* Asks the VM to stop (`quit` then sends SHUTDOWN itself). */
	void (*quit)(void *ctx);
	json_t *(*cpus)(void *ctx, char *err, size_t errlen);
	json_t *(*stats)(void *ctx, char *err, size_t errlen);
	json_t *(*devices)(void *ctx, char *err, size_t errlen);
	/* x-flint-snapshot-save: only asked of a VM that is not running.
	 * NULL: snapshots are not offered. */
	int (*snapshot_save)(void *ctx, const char *path, char *err, size_t errlen);
	/* The same into a descriptor a client passed (getfd); the caller
	 * closes it.  NULL: not offered. */
	int (*snapshot_save_fd)(void *ctx, int fd, char *err, size_t errlen);
};

/* Descriptors named with getfd, server-wide (QEMU's monitor fds). */
#define QMP_FDS_MAX 8
#define QMP_FDNAME_MAX 32

struct qmp_session;

struct qmp_server {
	const struct qmp_vm_ops *ops;
	void *ctx;
	const char *name;            /* query-name; NULL: none given */
	struct qmp_session *sessions;
	bool shutdown_sent;          /* SHUTDOWN is sent once */
	struct {
		char name[QMP_FDNAME_MAX];
		int fd;              /* -1: free */
	} fds[QMP_FDS_MAX];
};

struct qmp_session {
	struct qmp_server *srv;
	struct qmp_session *next, **pprev;
	bool negotiated;             /* qmp_capabilities done: commands and events */
	int fd;                      /* received with the client's bytes (SCM_RIGHTS), for getfd; -1: none */
	/* Set when the session must end (after its output, if any, is sent):
	 * why, for the log. */
	const char *closing;
	/* The message being received, and the scanner that finds its end. */
	char *in;
	size_t in_len;
	int depth;                   /* open { and [ */
	bool in_value, in_string, escape, in_token;
	/* Bytes for the client: [out_off, out_len) not yet sent. */
	char *out;                   /* QMP_OUTPUT_MAX bytes once the first is queued */
	size_t out_off, out_len;
};

void qmp_server_init(struct qmp_server *srv, const struct qmp_vm_ops *ops, void *ctx);
/* A new client: its greeting is queued.  NULL when out of memory. */
struct qmp_session *qmp_session_new(struct qmp_server *srv);
void qmp_session_free(struct qmp_session *s);
/* Takes n bytes from the client and answers every complete message.
 * Returns -1 once the session must end (s->closing says why). */
int qmp_session_feed(struct qmp_session *s, const void *buf, size_t n);
/* A descriptor that came with the client's bytes: the next getfd takes
 * it.  Replaces (closes) one not taken yet. */
void qmp_session_give_fd(struct qmp_session *s, int fd);
/* Closes every descriptor getfd kept (at the end of the run). */
void qmp_server_close_fds(struct qmp_server *srv);
/* What is waiting to be sent, and how much of it was. */
const char *qmp_session_output(const struct qmp_session *s, size_t *len);
void qmp_session_consume(struct qmp_session *s, size_t n);
/* Queues an event for every negotiated session; takes `data` (may be
 * NULL).  A session that would exceed QMP_OUTPUT_MAX is marked closing. */
void qmp_server_event(struct qmp_server *srv, const char *name, json_t *data);
/* SHUTDOWN with QEMU's fields: guest = whether the guest asked for it,
 * reason one of QEMU's ShutdownCause names ("guest-shutdown",
 * "host-signal", "host-qmp-quit", "host-error").  Only the first call
 * sends it: one stop, one event. */
void qmp_server_shutdown(struct qmp_server *srv, bool guest, const char *reason);

/* The command table, for query-commands and the tests. */
struct qmp_command {
	const char *name;
	const char *const *args;     /* accepted argument names, NULL-ended; NULL: none */
	json_t *(*fn)(struct qmp_session *s, json_t *args, const char **cls, char *err, size_t errlen);
};
extern const struct qmp_command qmp_commands[];
extern const size_t qmp_ncommands;

#endif
