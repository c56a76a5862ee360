/*
 * Requests (jobs): admitted by the HTTP front end (libevent's evhttp),
 * queued until a ready VM is free, written to that VM's console input,
 * answered from its console output once it has exited, never given a
 * second VM or a VM a second request.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "cgi.h"
#include "server.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *method_name(enum evhttp_cmd_type c)
{
	switch (c) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	}
	return "GET";
}

static void on_client_close(struct evhttp_connection *evcon, void *arg)
{
	struct job *j = arg;

	(void)evcon;
	j->req = NULL; /* evhttp frees it: never answer it */
}

/*
 * A reply queued is not a reply sent: the server exits only when every
 * one has reached its client or lost it (SIGTERM must cut none).
 */
struct sending {
	struct server *s;
	struct evhttp_connection *evcon;
};

static void sending_done(struct sending *x)
{
	struct server *s = x->s;

	evhttp_connection_set_closecb(x->evcon, NULL, NULL);
	free(x);
	s->sending--;
	server_maybe_exit(s);
}

static void on_sent(struct evhttp_request *req, void *arg)
{
	(void)req;
	sending_done(arg);
}

static void on_send_lost(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	sending_done(arg);
}

static void track_send(struct server *s, struct evhttp_request *req)
{
	struct sending *x = malloc(sizeof(*x));

	evhttp_connection_set_closecb(evhttp_request_get_connection(req), NULL, NULL);
	if (!x)
		return;
	x->s = s;
	x->evcon = evhttp_request_get_connection(req);
	s->sending++;
	evhttp_request_set_on_complete_cb(req, on_sent, x);
	evhttp_connection_set_closecb(x->evcon, on_send_lost, x);
}

/* Ends the job's HTTP side: status, and a failure line when it failed. */
static void answer(struct job *j, int code, const char *reason, struct evbuffer *body,
		   enum fail_cause cause, const char *why)
{
	struct server *s = j->s;

	if (j->answered)
		return;
	j->answered = true;
	if (why) {
		s->m.failures[cause]++;
		fprintf(stderr, "flint serve: %d %s %s: %s%s\n", code, j->method, j->target ? j->target : "?",
			why, j->req ? "" : " (the client had gone)");
	}
	if (!j->req) {
		s->m.failures[FAIL_CLIENT_GONE]++;
		return;
	}
	track_send(s, j->req);
	if (code == 503) {
		evhttp_add_header(evhttp_request_get_output_headers(j->req), "Retry-After", "1");
		if (s->draining)
			evhttp_add_header(evhttp_request_get_output_headers(j->req), "Connection", "close");
	}
	if (code >= 400 && !body) {
		struct evbuffer *b = evbuffer_new();

		if (b) {
			evhttp_add_header(evhttp_request_get_output_headers(j->req), "Content-Type", "text/plain");
			evbuffer_add_printf(b, "%d %s\n", code, reason);
			evhttp_send_reply(j->req, code, reason, b);
			evbuffer_free(b);
			goto sent;
		}
	}
	evhttp_send_reply(j->req, code, reason, body);
sent:
	if (code < 600)
		s->m.by_status[code]++;
	latency_add(&s->m.request, now_ns() - j->t_arrive);
	j->req = NULL;
}

static void job_free(struct job *j)
{
	struct server *s = j->s;

	if (j->waiting) {
		TAILQ_REMOVE(&s->waitq, j, wait_link);
		s->nwaiting--;
	}
	if (j->timer)
		event_free(j->timer);
	free(j->target);
	free(j);
	s->njobs--;
	s->finished++;
}

/* The request as the function reads it: HTTP/1.1, de-chunked, with its
 * Content-Length. */
static struct evbuffer *serialise(struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new(), *body = evhttp_request_get_input_buffer(req);
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	struct evkeyval *kv;

	if (!b)
		return NULL;
	evbuffer_add_printf(b, "%s %s HTTP/1.1\r\n", method_name(evhttp_request_get_command(req)),
			    evhttp_request_get_uri(req));
	TAILQ_FOREACH(kv, h, next) {
		if (!strcasecmp(kv->key, "Content-Length") || !strcasecmp(kv->key, "Transfer-Encoding"))
			continue;
		evbuffer_add_printf(b, "%s: %s\r\n", kv->key, kv->value);
	}
	evbuffer_add_printf(b, "Content-Length: %zu\r\n\r\n", evbuffer_get_length(body));
	evbuffer_add_buffer(b, body);
	return b;
}

static void start_job(struct job *j, struct vmproc *v)
{
	struct evbuffer *b = serialise(j->req);
	size_t len;

	if (!b) {
		vm_kill(v);
		answer(j, 503, "Service Unavailable", NULL, FAIL_SPAWN, "out of memory");
		return;
	}
	len = evbuffer_get_length(b);
	vm_release(v, j, evbuffer_pullup(b, -1), len);
	evbuffer_free(b);
}

void job_vm_ready(struct server *s)
{
	struct job *j;
	struct vmproc *v;

	while ((j = TAILQ_FIRST(&s->waitq)) && (v = TAILQ_FIRST(&s->ready))) {
		TAILQ_REMOVE(&s->waitq, j, wait_link);
		s->nwaiting--;
		j->waiting = false;
		if (!j->req) { /* the client left while it waited */
			job_free(j);
			continue;
		}
		start_job(j, v);
	}
	if (s->draining)
		pool_shutdown(s);
	server_maybe_exit(s);
}

static void on_job_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	struct server *s = j->s;

	(void)fd, (void)what;
	if (j->waiting) {
		answer(j, 503, "Service Unavailable", NULL, FAIL_NO_VM, "no VM ready within [serve] timeout");
		job_free(j);
		server_maybe_exit(s);
		return;
	}
	if (j->vm) {
		/* The VM is killed; its exit ends the job. */
		answer(j, 504, "Gateway Timeout", NULL, FAIL_TIMEOUT, "no answer within [serve] timeout: VM killed");
		vm_kill(j->vm);
	}
}

void job_vm_done(struct vmproc *v)
{
	struct job *j = v->job;
	struct server *s = v->s;
	int st = v->wstatus;
	char why[160];
	struct cgi_response r;
	size_t len = evbuffer_get_length(v->out);
	const char *out = len ? (const char *)evbuffer_pullup(v->out, -1) : "";

	if (v->too_much)
		answer(j, 502, "Bad Gateway", NULL, FAIL_TOO_MUCH_OUTPUT, "the function wrote more than [serve] max_output");
	else if (WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) >= 125 && WEXITSTATUS(st) != 127 &&
				       WEXITSTATUS(st) != 126)) {
		snprintf(why, sizeof(why), "the VM failed (flint status %d)",
			 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		answer(j, 502, "Bad Gateway", NULL, FAIL_CRASH, why);
	} else if (WEXITSTATUS(st) != 0) {
		snprintf(why, sizeof(why), "the function exited with status %d%s", WEXITSTATUS(st),
			 WEXITSTATUS(st) == 127 ? " (a guest panic or fault)" : "");
		answer(j, 502, "Bad Gateway", NULL, WEXITSTATUS(st) == 127 ? FAIL_CRASH : FAIL_EXIT, why);
	} else if (cgi_parse(out, len, &r, why, sizeof(why)) < 0) {
		answer(j, 502, "Bad Gateway", NULL, FAIL_BAD_OUTPUT, why);
	} else {
		if (j->req && !j->answered) {
			struct evkeyvalq *oh = evhttp_request_get_output_headers(j->req);
			struct evbuffer *b = evbuffer_new();

			for (unsigned i = 0; i < r.nheaders; i++) {
				const char *n = r.headers[i].name;

				/* Framing is the server's: the function's cannot split responses. */
				if (strcasecmp(n, "Content-Length") && strcasecmp(n, "Transfer-Encoding") &&
				    strcasecmp(n, "Connection"))
					evhttp_add_header(oh, n, r.headers[i].value);
			}
			if (b)
				evbuffer_add(b, r.body, r.body_len);
			answer(j, r.status, r.reason[0] ? r.reason : "OK", b, FAIL_CAUSES, NULL);
			if (b)
				evbuffer_free(b);
		} else {
			answer(j, r.status, "", NULL, FAIL_CAUSES, NULL);
		}
		cgi_free(&r);
	}
	v->job = NULL;
	v->state = VM_ENDING;
	s->nbusy--;
	/* Answered from flint's 'E': the process is still exiting, and its
	 * pidfd frees it (on_exit_ev). */
	if (v->exited)
		vm_free(v);
	job_free(j);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	struct job *j;
	struct timeval tv;
	const char *uri = evhttp_request_get_uri(req);

	if (s->draining || s->nwaiting >= s->queue_max) {
		struct job tmp = { .s = s, .req = req, .t_arrive = now_ns() };

		snprintf(tmp.method, sizeof(tmp.method), "%s", method_name(evhttp_request_get_command(req)));
		tmp.target = (char *)uri;
		answer(&tmp, 503, "Service Unavailable", NULL, s->draining ? FAIL_DRAINING : FAIL_QUEUE_FULL,
		       s->draining ? "shutting down" : "too many requests waiting for a VM");
		return;
	}
	if (!(j = calloc(1, sizeof(*j))) || !(j->timer = evtimer_new(s->base, on_job_timeout, j))) {
		free(j);
		evhttp_send_error(req, 503, "Service Unavailable");
		return;
	}
	s->njobs++;
	s->admitted++;
	j->s = s;
	j->req = req;
	j->t_arrive = now_ns();
	snprintf(j->method, sizeof(j->method), "%s", method_name(evhttp_request_get_command(req)));
	j->target = strndup(uri, 200);
	evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_client_close, j);
	tv.tv_sec = (time_t)(s->cfg->serve.timeout_ns / 1000000000ull);
	tv.tv_usec = (suseconds_t)(s->cfg->serve.timeout_ns % 1000000000ull / 1000);
	evtimer_add(j->timer, &tv);
	j->waiting = true;
	TAILQ_INSERT_TAIL(&s->waitq, j, wait_link);
	s->nwaiting++;
	job_vm_ready(s);
	/* The VM just released is about to run: its replacement waits for the
	 * exit of a busy VM (which refills) unless the pool runs low or a
	 * request waits. */
	if (s->nwaiting || 2 * (s->nready + s->nstarting) < s->cfg->serve.pool)
		pool_refill(s);
}

static void on_metrics(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct evbuffer *b = evbuffer_new();

	if (!f || !b) {
		if (f)
			fclose(f);
		free(text);
		if (b)
			evbuffer_free(b);
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	metrics_print(&s->m, f, s->nready, s->nstarting, s->nbusy, s->nwaiting, s->snapshot != NULL);
	fclose(f);
	evbuffer_add(b, text, len);
	free(text);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static int bind_addr(struct evhttp *http, const char *spec, struct evhttp_bound_socket **bound, char *err,
		     size_t errlen)
{
	struct serve_addr a;
	char why[200];

	if (serve_parse_addr(spec, &a, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", spec, why);
		return -1;
	}
	if (a.is_unix) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		memcpy(sun.sun_path, a.path, strlen(a.path) + 1);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 1024) < 0 ||
		    !(*bound = evhttp_accept_socket_with_handle(http, fd))) {
			snprintf(err, errlen, "cannot listen on %s: %s%s", spec, strerror(errno),
				 errno == EADDRINUSE ? " (remove the old socket file if no server uses it)" : "");
			if (fd >= 0)
				close(fd);
			return -1;
		}
		return 0;
	}
	if (!(*bound = evhttp_bind_socket_with_handle(http, a.host, (ev_uint16_t)a.port))) {
		snprintf(err, errlen, "cannot listen on %s (in use, or not an address of this host)", spec);
		return -1;
	}
	return 0;
}

int server_http_setup(struct server *s, char *err, size_t errlen)
{
	const struct serve_config *c = &s->cfg->serve;

	s->http = evhttp_new(s->base);
	if (!s->http)
		return snprintf(err, errlen, "evhttp_new failed"), -1;
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
				   EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	/* Over max_body: evhttp answers 413 itself; bad HTTP: 400. */
	evhttp_set_max_body_size(s->http, (ev_ssize_t)c->max_body);
	evhttp_set_max_headers_size(s->http, 32768);
	/* Slow or idle clients lose their connection, not the server's time. */
	evhttp_set_timeout(s->http, (int)(c->timeout_ns / 1000000000ull) + 1);
	evhttp_set_gencb(s->http, on_request, s);
	if (bind_addr(s->http, c->listen, &s->bound, err, errlen) < 0)
		return -1;
	if (c->metrics_listen) {
		struct evhttp_bound_socket *mb;

		s->metrics_http = evhttp_new(s->base);
		if (!s->metrics_http)
			return snprintf(err, errlen, "evhttp_new failed"), -1;
		evhttp_set_cb(s->metrics_http, "/metrics", on_metrics, s);
		if (bind_addr(s->metrics_http, c->metrics_listen, &mb, err, errlen) < 0)
			return -1;
	}
	return 0;
}

void server_stop_listening(struct server *s)
{
	if (s->bound)
		evhttp_del_accept_socket(s->http, s->bound);
	s->bound = NULL;
}

void server_maybe_exit(struct server *s)
{
	/* A job that left (answered, timed out, its client gone) may have
	 * been what kept a VM from the drain. */
	if (s->draining)
		pool_shutdown(s);
	if (s->draining && !s->njobs && !s->nvms && !s->sending)
		event_base_loopbreak(s->base);
}
