/*
 * The QMP protocol: framing, capability negotiation, dispatch, errors and
 * events.  Error classes and messages follow QEMU 7.2's (qapi/qmp-dispatch.c)
 * where a client could tell the difference, so tools written against QEMU
 * (its Python library, qmp-shell) work unchanged.
 */
#include "qmp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* QEMU's version triple, filled with flint's own (FLINT_VERSION, "0.1.0"):
 * claiming a QEMU release would promise its commands. */
static json_t *version(void)
{
	int v[3] = { 0, 0, 0 };

	sscanf(FLINT_VERSION, "%d.%d.%d", &v[0], &v[1], &v[2]);
	return json_pack("{s:{s:i,s:i,s:i},s:s}", "qemu", "micro", v[2], "minor", v[1], "major",
			 v[0], "package", "flint " FLINT_VERSION);
}

static void queue(struct qmp_session *s, const char *text, size_t len)
{
	size_t need;

	if (s->closing)
		return;
	/* The unsent part to the front. */
	if (s->out_off) {
		memmove(s->out, s->out + s->out_off, s->out_len - s->out_off);
		s->out_len -= s->out_off;
		s->out_off = 0;
	}
	need = s->out_len + len + 2;
	if (need > QMP_OUTPUT_MAX) {
		/* Nothing more goes to it: the backlog is dropped with it. */
		s->closing = "output backlog over 1 MiB: the client does not read";
		s->out_len = s->out_off = 0;
		return;
	}
	/* The whole bound at once, never realloc: glibc grows a large block
	 * with mremap, which no seccomp filter allows.  Pages the client's
	 * backlog never reaches are never touched, so cost no memory. */
	if (!s->out && !(s->out = malloc(QMP_OUTPUT_MAX))) {
		s->closing = "out of memory";
		return;
	}
	memcpy(s->out + s->out_len, text, len);
	memcpy(s->out + s->out_len + len, "\r\n", 2);
	s->out_len += len + 2;
}

/* Sends obj and drops the reference.  Key order is kept: QEMU's answers
 * list members in schema order and people read them. */
static void send_json(struct qmp_session *s, json_t *obj)
{
	char *text = obj ? json_dumps(obj, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)) : NULL;

	if (text)
		queue(s, text, strlen(text));
	else
		s->closing = "out of memory";
	free(text);
	json_decref(obj);
}

__attribute__((format(printf, 4, 5)))
static void send_error(struct qmp_session *s, json_t *id, const char *cls, const char *fmt, ...)
{
	char desc[512];
	va_list ap;
	json_t *r;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	/* QEMU puts the id first. */
	r = id ? json_pack("{s:O}", "id", id) : json_object();
	if (r)
		json_object_set_new(r, "error", json_pack("{s:s,s:s}", "class", cls, "desc", desc));
	send_json(s, r);
}

static json_t *timestamp(void)
{
	struct timespec ts;

	/* Wall-clock time, as QEMU stamps events. */
	clock_gettime(CLOCK_REALTIME, &ts);
	return json_pack("{s:I,s:I}", "seconds", (json_int_t)ts.tv_sec, "microseconds",
			 (json_int_t)(ts.tv_nsec / 1000));
}

/* ---- commands ----------------------------------------------------------- */

#define CMD_FN(n) static json_t *n(struct qmp_session *s, json_t *args, const char **cls, \
				   char *err, size_t errlen)

/* Handled in dispatch(): it is the one command allowed before negotiation. */
CMD_FN(cmd_qmp_capabilities)
{
	json_t *enable = json_object_get(args, "enable");
	size_t i;
	json_t *v;

	(void)s;
	if (enable && !json_is_array(enable)) {
		snprintf(err, errlen, "Invalid parameter type for 'enable', expected: array");
		return NULL;
	}
	/* The greeting offers no capability, so any one asked for is refused. */
	json_array_foreach(enable, i, v) {
		*cls = "GenericError";
		snprintf(err, errlen, "Capability '%s' not available",
			 json_is_string(v) ? json_string_value(v) : "?");
		return NULL;
	}
	return json_object();
}

CMD_FN(cmd_query_commands)
{
	json_t *list = json_array();

	(void)s, (void)args, (void)cls, (void)err, (void)errlen;
	for (size_t i = 0; i < qmp_ncommands; i++)
		json_array_append_new(list, json_pack("{s:s}", "name", qmp_commands[i].name));
	return list;
}

CMD_FN(cmd_query_version)
{
	(void)s, (void)args, (void)cls, (void)err, (void)errlen;
	return version();
}

CMD_FN(cmd_query_name)
{
	(void)args, (void)cls, (void)err, (void)errlen;
	return s->srv->name ? json_pack("{s:s}", "name", s->srv->name) : json_object();
}

static const char *const state_names[] = {
	[QMP_VM_RUNNING] = "running",
	[QMP_VM_PAUSED] = "paused",
	[QMP_VM_SHUTDOWN] = "shutdown",
	[QMP_VM_PRELAUNCH] = "prelaunch",
};

CMD_FN(cmd_query_status)
{
	enum qmp_vm_state st = s->srv->ops->status(s->srv->ctx);

	(void)args, (void)cls, (void)err, (void)errlen;
	return json_pack("{s:b,s:b,s:s}", "running", st == QMP_VM_RUNNING, "singlestep", 0, "status",
			 state_names[st]);
}

CMD_FN(cmd_stop)
{
	struct qmp_server *srv = s->srv;

	(void)args, (void)cls;
	/* As QEMU: stopping a stopped VM succeeds and sends no event. */
	if (srv->ops->status(srv->ctx) != QMP_VM_RUNNING)
		return json_object();
	if (srv->ops->pause(srv->ctx, err, errlen) < 0)
		return NULL;
	/* QEMU sends STOP before the answer; clients that wait for the event
	 * after the answer find it already queued. */
	qmp_server_event(srv, "STOP", NULL);
	return json_object();
}

CMD_FN(cmd_cont)
{
	struct qmp_server *srv = s->srv;
	enum qmp_vm_state st = srv->ops->status(srv->ctx);

	(void)args, (void)cls;
	if (st == QMP_VM_RUNNING)
		return json_object();
	if (st == QMP_VM_SHUTDOWN) {
		snprintf(err, errlen, "the VM has shut down and cannot be resumed");
		return NULL;
	}
	if (srv->ops->resume(srv->ctx, err, errlen) < 0)
		return NULL;
	qmp_server_event(srv, "RESUME", NULL);
	return json_object();
}

/*
 * SHUTDOWN goes out before the answer, as QEMU 7.2 sends them (it emits
 * the event when it takes the request, before the vCPUs are stopped).
 * A VM already stopping has its own cause, which the owner sends.
 */
CMD_FN(cmd_quit)
{
	struct qmp_server *srv = s->srv;
	bool was_stopping = srv->ops->status(srv->ctx) == QMP_VM_SHUTDOWN;

	(void)args, (void)cls, (void)err, (void)errlen;
	srv->ops->quit(srv->ctx);
	if (!was_stopping)
		qmp_server_shutdown(srv, false, "host-qmp-quit");
	return json_object();
}

CMD_FN(cmd_query_cpus_fast)
{
	(void)args, (void)cls;
	return s->srv->ops->cpus(s->srv->ctx, err, errlen);
}

CMD_FN(cmd_query_stats)
{
	(void)args, (void)cls;
	return s->srv->ops->stats(s->srv->ctx, err, errlen);
}

CMD_FN(cmd_query_devices)
{
	(void)args, (void)cls;
	return s->srv->ops->devices(s->srv->ctx, err, errlen);
}

/*
 * Flint's own (QEMU saves through migrate to a file and restores with
 * -incoming): one new file, written while the VM is paused.  A running
 * VM is refused rather than paused behind the client's back.
 */
static int fd_find(const struct qmp_server *srv, const char *name)
{
	for (int i = 0; i < QMP_FDS_MAX; i++)
		if (srv->fds[i].fd >= 0 && !strcmp(srv->fds[i].name, name))
			return i;
	return -1;
}

/* getfd's and closefd's one argument; NULL with err when missing or not a string. */
static const char *fdname_arg(json_t *args, char *err, size_t errlen)
{
	json_t *name = json_object_get(args, "fdname");

	if (!json_is_string(name)) {
		snprintf(err, errlen, name ? "Invalid parameter type for 'fdname', expected: string" :
			 "Parameter 'fdname' is missing");
		return NULL;
	}
	return json_string_value(name);
}

/* As QEMU's: the descriptor that came with this message gets a name. */
CMD_FN(cmd_getfd)
{
	struct qmp_server *srv = s->srv;
	const char *n = fdname_arg(args, err, errlen);
	int slot;

	(void)cls;
	if (!n)
		return NULL;
	if (!n[0] || strlen(n) >= QMP_FDNAME_MAX || (n[0] >= '0' && n[0] <= '9')) {
		snprintf(err, errlen, "Parameter 'fdname' expects a name of 1 to %d characters not "
			 "starting with a digit", QMP_FDNAME_MAX - 1);
		return NULL;
	}
	if (s->fd < 0) {
		snprintf(err, errlen, "No file descriptor supplied via SCM_RIGHTS");
		return NULL;
	}
	slot = fd_find(srv, n);
	if (slot >= 0) {
		close(srv->fds[slot].fd);
	} else {
		for (slot = 0; slot < QMP_FDS_MAX && srv->fds[slot].fd >= 0; slot++)
			;
		if (slot == QMP_FDS_MAX) {
			snprintf(err, errlen, "%d descriptors are named already: closefd one first", QMP_FDS_MAX);
			return NULL;
		}
	}
	snprintf(srv->fds[slot].name, sizeof(srv->fds[slot].name), "%s", n);
	srv->fds[slot].fd = s->fd;
	s->fd = -1;
	return json_object();
}

CMD_FN(cmd_closefd)
{
	struct qmp_server *srv = s->srv;
	const char *n = fdname_arg(args, err, errlen);
	int slot;

	(void)cls;
	if (!n)
		return NULL;
	slot = fd_find(srv, n);
	if (slot < 0) {
		snprintf(err, errlen, "File descriptor named '%s' not found", n);
		return NULL;
	}
	close(srv->fds[slot].fd);
	srv->fds[slot].fd = -1;
	return json_object();
}

CMD_FN(cmd_snapshot_save)
{
	struct qmp_server *srv = s->srv;
	json_t *path = json_object_get(args, "path"), *fdname = json_object_get(args, "fdname");
	int slot = -1, rc;

	(void)cls;
	if (!path == !fdname) {
		snprintf(err, errlen, "Give exactly one of 'path' (a new file) and 'fdname' (a descriptor "
			 "passed with getfd)");
		return NULL;
	}
	if (path && !json_is_string(path)) {
		snprintf(err, errlen, "Invalid parameter type for 'path', expected: string");
		return NULL;
	}
	if (fdname && (!json_is_string(fdname) || (slot = fd_find(srv, json_string_value(fdname))) < 0)) {
		snprintf(err, errlen, "File descriptor named '%s' not found",
			 json_is_string(fdname) ? json_string_value(fdname) : "?");
		return NULL;
	}
	switch (srv->ops->status(srv->ctx)) {
	case QMP_VM_RUNNING:
		snprintf(err, errlen, "the VM is running: pause it with 'stop' first, then save");
		return NULL;
	case QMP_VM_SHUTDOWN:
		snprintf(err, errlen, "the VM has shut down: there is nothing to save");
		return NULL;
	default:
		break;
	}
	if (path ? !srv->ops->snapshot_save : !srv->ops->snapshot_save_fd) {
		snprintf(err, errlen, "snapshots are not offered here");
		return NULL;
	}
	if (path)
		return srv->ops->snapshot_save(srv->ctx, json_string_value(path), err, errlen) < 0 ? NULL :
		       json_object();
	/* The descriptor is used up either way, as QEMU's migrate fd: is. */
	rc = srv->ops->snapshot_save_fd(srv->ctx, srv->fds[slot].fd, err, errlen);
	close(srv->fds[slot].fd);
	srv->fds[slot].fd = -1;
	return rc < 0 ? NULL : json_object();
}

static const char *const capabilities_args[] = { "enable", NULL };
static const char *const snapshot_save_args[] = { "path", "fdname", NULL };
static const char *const fdname_args[] = { "fdname", NULL };

/*
 * system_reset is not offered: flint cannot put a PVH guest back to its
 * first instruction honestly (reload the kernel image, reset every vCPU's
 * registers and the LAPIC, reset each virtio device) yet, and a reset that
 * only restarted the vCPU would run the old memory.
 */
const struct qmp_command qmp_commands[] = {
	{ "qmp_capabilities", capabilities_args, cmd_qmp_capabilities },
	{ "query-commands", NULL, cmd_query_commands },
	{ "query-version", NULL, cmd_query_version },
	{ "query-name", NULL, cmd_query_name },
	{ "query-status", NULL, cmd_query_status },
	{ "stop", NULL, cmd_stop },
	{ "cont", NULL, cmd_cont },
	{ "quit", NULL, cmd_quit },
	{ "query-cpus-fast", NULL, cmd_query_cpus_fast },
	{ "x-flint-query-stats", NULL, cmd_query_stats },
	{ "x-flint-query-devices", NULL, cmd_query_devices },
	{ "x-flint-snapshot-save", snapshot_save_args, cmd_snapshot_save },
	{ "getfd", fdname_args, cmd_getfd },
	{ "closefd", fdname_args, cmd_closefd },
};
const size_t qmp_ncommands = sizeof(qmp_commands) / sizeof(qmp_commands[0]);

/* ---- dispatch ----------------------------------------------------------- */

static const struct qmp_command *find_command(const char *name)
{
	for (size_t i = 0; i < qmp_ncommands; i++)
		if (!strcmp(qmp_commands[i].name, name))
			return &qmp_commands[i];
	return NULL;
}

static bool arg_known(const struct qmp_command *c, const char *key)
{
	for (const char *const *a = c->args; a && *a; a++)
		if (!strcmp(*a, key))
			return true;
	return false;
}

static void dispatch(struct qmp_session *s, json_t *req)
{
	json_t *id = json_object_get(req, "id"), *exec, *args, *ret;
	const struct qmp_command *c;
	const char *key, *cls = "GenericError";
	char err[512] = "";
	json_t *v;

	json_object_foreach(req, key, v) {
		if (strcmp(key, "execute") && strcmp(key, "arguments") && strcmp(key, "id") &&
		    strcmp(key, "exec-oob")) {
			send_error(s, id, "GenericError", "QMP input member '%s' is unexpected", key);
			return;
		}
	}
	if (json_object_get(req, "exec-oob")) {
		/* The greeting offers no "oob" capability. */
		send_error(s, id, "GenericError", "QMP input member 'exec-oob' is unexpected");
		return;
	}
	exec = json_object_get(req, "execute");
	if (!exec) {
		send_error(s, id, "GenericError", "QMP input lacks member 'execute'");
		return;
	}
	if (!json_is_string(exec)) {
		send_error(s, id, "GenericError", "QMP input member 'execute' must be a string");
		return;
	}
	args = json_object_get(req, "arguments");
	if (args && !json_is_object(args)) {
		send_error(s, id, "GenericError", "QMP input member 'arguments' must be an object");
		return;
	}
	c = find_command(json_string_value(exec));
	if (!s->negotiated && (!c || c->fn != cmd_qmp_capabilities)) {
		send_error(s, id, "CommandNotFound",
			   "Expecting capabilities negotiation with 'qmp_capabilities'");
		return;
	}
	if (!c) {
		send_error(s, id, "CommandNotFound", "The command %s has not been found",
			   json_string_value(exec));
		return;
	}
	if (s->negotiated && c->fn == cmd_qmp_capabilities) {
		send_error(s, id, "CommandNotFound",
			   "Capabilities negotiation is already complete, command ignored");
		return;
	}
	json_object_foreach(args, key, v) {
		if (!arg_known(c, key)) {
			send_error(s, id, "GenericError", "Parameter '%s' is unexpected", key);
			return;
		}
	}
	ret = c->fn(s, args, &cls, err, sizeof(err));
	if (!ret) {
		send_error(s, id, cls, "%s", err[0] ? err : "failed");
		return;
	}
	if (c->fn == cmd_qmp_capabilities)
		s->negotiated = true;
	v = json_pack("{s:o}", "return", ret);
	if (v && id)
		json_object_set(v, "id", id);
	send_json(s, v);
}

/* One complete top-level JSON text (an object, an array or a scalar). */
static void handle_message(struct qmp_session *s, const char *text, size_t len)
{
	json_error_t e;
	json_t *req = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);

	if (!req)
		send_error(s, NULL, "GenericError", "JSON parse error, %s", e.text);
	else if (!json_is_object(req))
		send_error(s, NULL, "GenericError", "QMP input must be a JSON object");
	else
		dispatch(s, req);
	json_decref(req);
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void end_message(struct qmp_session *s)
{
	handle_message(s, s->in, s->in_len);
	s->in_len = 0;
	s->in_value = s->in_token = s->in_string = s->escape = false;
	s->depth = 0;
}

/*
 * Finds where each top-level JSON text ends, as QEMU's json-streamer does,
 * so messages need no newline and one may arrive across many reads: it
 * counts brackets outside strings.  A bare scalar or garbage ("foo", 42)
 * ends at whitespace or at the next '{' or '['.  Whether the text is valid
 * JSON is jansson's to say, once it is complete.  Linear in the input: no
 * byte is looked at twice.
 */
int qmp_session_feed(struct qmp_session *s, const void *buf, size_t n)
{
	const char *p = buf;

	for (size_t i = 0; i < n && !s->closing; i++) {
		char c = p[i];

		if (!s->in_value) {
			if (is_ws(c))
				continue;
			s->in_value = true;
			s->in_token = c != '{' && c != '[';
		} else if (s->in_token && !s->in_string && (is_ws(c) || c == '{' || c == '[')) {
			end_message(s);
			i--; /* this byte starts the next text, or is whitespace */
			continue;
		}
		if (s->in_len == QMP_MESSAGE_MAX) {
			send_error(s, NULL, "GenericError", "message longer than %u bytes: closing",
				   QMP_MESSAGE_MAX);
			s->closing = "message over the size limit";
			break;
		}
		s->in[s->in_len++] = c;
		if (s->in_string) {
			if (s->escape)
				s->escape = false;
			else if (c == '\\')
				s->escape = true;
			else if (c == '"')
				s->in_string = false;
			continue;
		}
		if (c == '"')
			s->in_string = true;
		else if (!s->in_token && (c == '{' || c == '['))
			s->depth++;
		else if (!s->in_token && (c == '}' || c == ']') && --s->depth == 0)
			end_message(s);
	}
	return s->closing ? -1 : 0;
}

/* ---- sessions and events ------------------------------------------------ */

void qmp_server_init(struct qmp_server *srv, const struct qmp_vm_ops *ops, void *ctx)
{
	*srv = (struct qmp_server){ .ops = ops, .ctx = ctx };
	for (int i = 0; i < QMP_FDS_MAX; i++)
		srv->fds[i].fd = -1;
}

void qmp_server_close_fds(struct qmp_server *srv)
{
	for (int i = 0; i < QMP_FDS_MAX; i++)
		if (srv->fds[i].fd >= 0) {
			close(srv->fds[i].fd);
			srv->fds[i].fd = -1;
		}
}

void qmp_session_give_fd(struct qmp_session *s, int fd)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = fd;
}

struct qmp_session *qmp_session_new(struct qmp_server *srv)
{
	struct qmp_session *s = calloc(1, sizeof(*s));

	if (!s || !(s->in = malloc(QMP_MESSAGE_MAX))) {
		free(s);
		return NULL;
	}
	s->srv = srv;
	s->fd = -1;
	s->next = srv->sessions;
	if (s->next)
		s->next->pprev = &s->next;
	s->pprev = &srv->sessions;
	srv->sessions = s;
	send_json(s, json_pack("{s:{s:o,s:[]}}", "QMP", "version", version(), "capabilities"));
	return s;
}

void qmp_session_free(struct qmp_session *s)
{
	if (!s)
		return;
	*s->pprev = s->next;
	if (s->next)
		s->next->pprev = s->pprev;
	if (s->fd >= 0)
		close(s->fd);
	free(s->in);
	free(s->out);
	free(s);
}

const char *qmp_session_output(const struct qmp_session *s, size_t *len)
{
	*len = s->out_len - s->out_off;
	return s->out + s->out_off;
}

void qmp_session_consume(struct qmp_session *s, size_t n)
{
	s->out_off += n;
	if (s->out_off >= s->out_len)
		s->out_off = s->out_len = 0;
}

void qmp_server_event(struct qmp_server *srv, const char *name, json_t *data)
{
	/* In QEMU's order: timestamp, event, data. */
	json_t *ev = json_pack("{s:o,s:s}", "timestamp", timestamp(), "event", name);
	char *text;

	if (ev && data)
		json_object_set(ev, "data", data);
	json_decref(data);
	text = ev ? json_dumps(ev, JSON_PRESERVE_ORDER) : NULL;
	json_decref(ev);
	if (!text)
		return;
	/* Events go only to sessions past negotiation, as QEMU's. */
	for (struct qmp_session *s = srv->sessions; s; s = s->next)
		if (s->negotiated)
			queue(s, text, strlen(text));
	free(text);
}

void qmp_server_shutdown(struct qmp_server *srv, bool guest, const char *reason)
{
	/* Once per run: after `quit` has sent it, the owner's is the same stop. */
	if (srv->shutdown_sent)
		return;
	srv->shutdown_sent = true;
	qmp_server_event(srv, "SHUTDOWN", json_pack("{s:b,s:s}", "guest", guest, "reason", reason));
}
