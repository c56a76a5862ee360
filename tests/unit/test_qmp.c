/* The QMP protocol layer (vmm/qmp.c) against a fake VM. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "qmp.h"

struct fake_vm {
	enum qmp_vm_state state;
	int pauses, resumes, quits;
	bool fail_pause;
	bool stats_off;
	char saved[64];          /* the last path x-flint-snapshot-save was given */
	int saved_fd;            /* the last descriptor it was given (getfd), -1 */
};

static enum qmp_vm_state fake_status(void *ctx)
{
	return ((struct fake_vm *)ctx)->state;
}

static int fake_pause(void *ctx, char *err, size_t errlen)
{
	struct fake_vm *f = ctx;

	if (f->fail_pause) {
		snprintf(err, errlen, "vCPU 0 did not stop");
		return -1;
	}
	f->pauses++;
	f->state = QMP_VM_PAUSED;
	return 0;
}

static int fake_resume(void *ctx, char *err, size_t errlen)
{
	struct fake_vm *f = ctx;

	(void)err, (void)errlen;
	f->resumes++;
	f->state = QMP_VM_RUNNING;
	return 0;
}

static void fake_quit(void *ctx)
{
	((struct fake_vm *)ctx)->quits++;
}

static json_t *fake_cpus(void *ctx, char *err, size_t errlen)
{
	(void)ctx, (void)err, (void)errlen;
	return json_pack("[{s:i}]", "cpu-index", 0);
}

static json_t *fake_stats(void *ctx, char *err, size_t errlen)
{
	if (((struct fake_vm *)ctx)->stats_off) {
		snprintf(err, errlen, "statistics are off");
		return NULL;
	}
	return json_pack("{s:[]}", "exits");
}

static json_t *fake_devices(void *ctx, char *err, size_t errlen)
{
	(void)ctx, (void)err, (void)errlen;
	return json_pack("[{s:s}]", "name", "console");
}

static int fake_save(void *ctx, const char *path, char *err, size_t errlen)
{
	struct fake_vm *f = ctx;

	if (!strcmp(path, "/exists")) {
		snprintf(err, errlen, "'%s': File exists", path);
		return -1;
	}
	snprintf(f->saved, sizeof(f->saved), "%s", path);
	return 0;
}

static int fake_save_fd(void *ctx, int fd, char *err, size_t errlen)
{
	(void)err, (void)errlen;
	((struct fake_vm *)ctx)->saved_fd = fd;
	return 0;
}

static const struct qmp_vm_ops fake_ops = {
	.status = fake_status, .pause = fake_pause, .resume = fake_resume, .quit = fake_quit,
	.cpus = fake_cpus, .stats = fake_stats, .devices = fake_devices, .snapshot_save = fake_save,
	.snapshot_save_fd = fake_save_fd,
};

struct rig {
	struct fake_vm vm;
	struct qmp_server srv;
	struct qmp_session *s;
	char buf[8192];
};

/* Everything the session has for the client, as one string, consumed. */
static const char *drain(struct rig *r)
{
	size_t n;
	const char *p = qmp_session_output(r->s, &n);

	if (n >= sizeof(r->buf))
		n = sizeof(r->buf) - 1;
	memcpy(r->buf, p, n);
	r->buf[n] = 0;
	qmp_session_consume(r->s, n);
	return r->buf;
}

static void rig_open(struct rig *r, bool negotiate)
{
	memset(r, 0, sizeof(*r));
	qmp_server_init(&r->srv, &fake_ops, &r->vm);
	r->s = qmp_session_new(&r->srv);
	drain(r);
	if (negotiate) {
		qmp_session_feed(r->s, "{\"execute\":\"qmp_capabilities\"}", 30);
		drain(r);
	}
}

static void rig_close(struct rig *r)
{
	qmp_session_free(r->s);
}

static const char *say(struct rig *r, const char *text)
{
	qmp_session_feed(r->s, text, strlen(text));
	return drain(r);
}

/* The answer as JSON: its first line. */
static json_t *answer(struct rig *r, const char *text)
{
	return json_loads(say(r, text), JSON_DISABLE_EOF_CHECK, NULL);
}

static const char *error_class(json_t *a)
{
	return json_string_value(json_object_get(json_object_get(a, "error"), "class"));
}

TEST(greeting_has_qemu_shape)
{
	struct fake_vm vm = { 0 };
	struct qmp_server srv;
	struct qmp_session *s;
	json_t *g, *v;
	size_t n;
	const char *out;

	qmp_server_init(&srv, &fake_ops, &vm);
	s = qmp_session_new(&srv);
	out = qmp_session_output(s, &n);
	CHECK(n > 2 && out[n - 2] == '\r' && out[n - 1] == '\n');
	g = json_loadb(out, n, 0, NULL);
	v = json_object_get(json_object_get(json_object_get(g, "QMP"), "version"), "qemu");
	CHECK(json_is_integer(json_object_get(v, "major")));
	CHECK(json_is_integer(json_object_get(v, "minor")));
	CHECK(json_is_integer(json_object_get(v, "micro")));
	CHECK_CONTAINS(json_string_value(json_object_get(json_object_get(json_object_get(g, "QMP"),
		"version"), "package")), "flint ");
	CHECK(json_array_size(json_object_get(json_object_get(g, "QMP"), "capabilities")) == 0);
	json_decref(g);
	qmp_session_free(s);
	CHECK(srv.sessions == NULL);
}

TEST(commands_refused_before_negotiation)
{
	struct rig r;
	json_t *a;

	rig_open(&r, false);
	a = answer(&r, "{\"execute\":\"query-status\",\"id\":7}");
	CHECK(!strcmp(error_class(a) ? error_class(a) : "", "CommandNotFound"));
	CHECK(json_integer_value(json_object_get(a, "id")) == 7);
	json_decref(a);
	CHECK_CONTAINS(say(&r, "{\"execute\":\"qmp_capabilities\"}"), "{\"return\": {}}");
	CHECK(r.s->negotiated);
	/* A second negotiation is refused, as QEMU does. */
	CHECK_CONTAINS(say(&r, "{\"execute\":\"qmp_capabilities\"}"), "already complete");
	rig_close(&r);
}

TEST(capability_not_offered_is_refused)
{
	struct rig r;

	rig_open(&r, false);
	CHECK_CONTAINS(say(&r, "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}"),
		       "Capability 'oob' not available");
	CHECK(!r.s->negotiated);
	rig_close(&r);
}

TEST(every_command_in_table_answers)
{
	struct rig r;
	char req[128], id[32];

	rig_open(&r, true);
	for (size_t i = 0; i < qmp_ncommands; i++) {
		json_t *a;

		/* the commands that need arguments have their own tests */
		if (!strcmp(qmp_commands[i].name, "qmp_capabilities") ||
		    !strcmp(qmp_commands[i].name, "x-flint-snapshot-save") ||
		    !strcmp(qmp_commands[i].name, "getfd") || !strcmp(qmp_commands[i].name, "closefd"))
			continue;
		snprintf(id, sizeof(id), "x%zu", i);
		snprintf(req, sizeof(req), "{\"execute\":\"%s\",\"id\":\"%s\"}", qmp_commands[i].name, id);
		/* quit and stop/cont leave events; the answer is the line with the id */
		say(&r, req);
		CHECK_CONTAINS(r.buf, "\"return\"");
		a = json_loads(strstr(r.buf, "{\"return\""), JSON_DISABLE_EOF_CHECK, NULL);
		CHECK(a != NULL);
		CHECK(!strcmp(json_string_value(json_object_get(a, "id")), id));
		json_decref(a);
	}
	rig_close(&r);
}

/* Sends req; the answer must contain text. */
static void answers(struct rig *r, const char *req, const char *text)
{
	json_t *a = answer(r, req);

	CHECK(a != NULL);
	CHECK_CONTAINS(r->buf, text);
	json_decref(a);
}

/* Saving needs a paused VM; a running one is refused naming stop, and
 * the path reaches the VM as it was given. */
TEST(snapshot_save_needs_a_paused_vm)
{
	struct rig r;
	json_t *a;

	rig_open(&r, true);
	a = answer(&r, "{\"execute\":\"x-flint-snapshot-save\",\"arguments\":{\"path\":\"/s\"}}");
	CHECK(a && !strcmp(error_class(a), "GenericError"));
	CHECK_CONTAINS(r.buf, "'stop'");
	CHECK(!r.vm.saved[0]);
	json_decref(a);
	r.vm.state = QMP_VM_PAUSED;
	answers(&r, "{\"execute\":\"x-flint-snapshot-save\"}", "exactly one of 'path'");
	answers(&r, "{\"execute\":\"x-flint-snapshot-save\",\"arguments\":{\"path\":7}}", "expected: string");
	answers(&r, "{\"execute\":\"x-flint-snapshot-save\",\"arguments\":{\"path\":\"/exists\"}}", "File exists");
	r.vm.state = QMP_VM_PRELAUNCH;
	a = answer(&r, "{\"execute\":\"x-flint-snapshot-save\",\"arguments\":{\"path\":\"/s\"}}");
	CHECK(a && json_object_get(a, "return"));
	CHECK(!strcmp(r.vm.saved, "/s"));
	json_decref(a);
	a = answer(&r, "{\"execute\":\"query-status\"}");
	CHECK_CONTAINS(r.buf, "\"status\": \"prelaunch\"");
	CHECK_CONTAINS(r.buf, "\"running\": false");
	json_decref(a);
	rig_close(&r);
}

/* getfd names the descriptor that came with the message; saving into
 * it uses it up; closefd and unknown names; nothing leaks. */
TEST(getfd_names_a_passed_descriptor_for_a_save)
{
	struct rig r;
	json_t *a;
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	rig_open(&r, true);
	r.vm.state = QMP_VM_PAUSED;
	r.vm.saved_fd = -1;
	answers(&r, "{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"snap\"}}", "No file descriptor supplied via SCM_RIGHTS");
	qmp_session_give_fd(r.s, fd);
	answers(&r, "{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"9x\"}}", "not starting with a digit");
	a = answer(&r, "{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"snap\"}}");
	CHECK(a && json_object_get(a, "return"));
	json_decref(a);
	answers(&r, "{\"execute\":\"x-flint-snapshot-save\",\"arguments\":{\"fdname\":\"other\"}}", "File descriptor named 'other' not found");
	answers(&r, "{\"execute\":\"x-flint-snapshot-save\",\"arguments\":{\"fdname\":\"snap\",\"path\":\"/s\"}}", "exactly one of");
	a = answer(&r, "{\"execute\":\"x-flint-snapshot-save\",\"arguments\":{\"fdname\":\"snap\"}}");
	CHECK(a && json_object_get(a, "return"));
	CHECK(r.vm.saved_fd == fd);
	json_decref(a);
	/* used up: closed, and the name is gone */
	CHECK(fcntl(fd, F_GETFD) < 0);
	answers(&r, "{\"execute\":\"closefd\",\"arguments\":{\"fdname\":\"snap\"}}", "File descriptor named 'snap' not found");
	rig_close(&r);
	qmp_server_close_fds(&r.srv);
}

TEST(query_commands_lists_the_table)
{
	struct rig r;
	json_t *a, *list;

	rig_open(&r, true);
	a = answer(&r, "{\"execute\":\"query-commands\"}");
	list = json_object_get(a, "return");
	CHECK(json_array_size(list) == qmp_ncommands);
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(list, 0), "name")), "qmp_capabilities"));
	json_decref(a);
	rig_close(&r);
}

TEST(status_stop_cont_with_events)
{
	struct rig r;
	const char *out;

	rig_open(&r, true);
	CHECK_CONTAINS(say(&r, "{\"execute\":\"query-status\"}"),
		       "{\"return\": {\"running\": true, \"singlestep\": false, \"status\": \"running\"}}");
	out = say(&r, "{\"execute\":\"stop\"}");
	/* STOP comes before the answer, as QEMU sends it. */
	CHECK(strstr(out, "\"event\": \"STOP\"") && strstr(out, "\"return\"") &&
	      strstr(out, "\"event\": \"STOP\"") < strstr(out, "\"return\""));
	CHECK_CONTAINS(out, "\"timestamp\": {\"seconds\": ");
	CHECK(r.vm.pauses == 1 && r.vm.state == QMP_VM_PAUSED);
	CHECK_CONTAINS(say(&r, "{\"execute\":\"query-status\"}"), "\"status\": \"paused\"");
	/* stop on a stopped VM: no second pause, no event */
	out = say(&r, "{\"execute\":\"stop\"}");
	CHECK(!strstr(out, "STOP") && r.vm.pauses == 1);
	out = say(&r, "{\"execute\":\"cont\"}");
	CHECK_CONTAINS(out, "\"event\": \"RESUME\"");
	CHECK(r.vm.resumes == 1 && r.vm.state == QMP_VM_RUNNING);
	out = say(&r, "{\"execute\":\"cont\"}");
	CHECK(!strstr(out, "RESUME") && r.vm.resumes == 1);
	rig_close(&r);
}

TEST(failed_pause_is_generic_error_without_event)
{
	struct rig r;
	const char *out;

	rig_open(&r, true);
	r.vm.fail_pause = true;
	out = say(&r, "{\"execute\":\"stop\",\"id\":1}");
	CHECK_CONTAINS(out, "\"class\": \"GenericError\", \"desc\": \"vCPU 0 did not stop\"");
	CHECK(!strstr(out, "STOP"));
	rig_close(&r);
}

TEST(cont_after_shutdown_refused)
{
	struct rig r;

	rig_open(&r, true);
	r.vm.state = QMP_VM_SHUTDOWN;
	CHECK_CONTAINS(say(&r, "{\"execute\":\"cont\"}"), "GenericError");
	CHECK_CONTAINS(say(&r, "{\"execute\":\"query-status\"}"), "\"running\": false, \"singlestep\": false, \"status\": \"shutdown\"");
	rig_close(&r);
}

/* QEMU 7.2's order: the event, then the answer; the owner's SHUTDOWN
 * when the VM has stopped is not sent again. */
TEST(quit_sends_shutdown_then_answers)
{
	struct rig r;
	const char *out, *ev, *ret;
	size_t n;

	rig_open(&r, true);
	out = say(&r, "{\"execute\":\"quit\"}");
	CHECK(r.vm.quits == 1);
	ev = strstr(out, "\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, \"reason\": \"host-qmp-quit\"}");
	ret = strstr(out, "{\"return\": {}}");
	CHECK(ev && ret && ev < ret);
	qmp_server_shutdown(&r.srv, true, "guest-shutdown");
	qmp_session_output(r.s, &n);
	CHECK(n == 0);
	rig_close(&r);
}

/* A VM that is stopping already has its own cause: quit does not claim it. */
TEST(quit_while_stopping_leaves_the_event_to_the_owner)
{
	struct rig r;

	rig_open(&r, true);
	r.vm.state = QMP_VM_SHUTDOWN;
	CHECK(!strstr(say(&r, "{\"execute\":\"quit\"}"), "SHUTDOWN"));
	qmp_server_shutdown(&r.srv, true, "guest-shutdown");
	CHECK_CONTAINS(drain(&r), "\"reason\": \"guest-shutdown\"");
	rig_close(&r);
}

TEST(events_only_after_negotiation)
{
	struct rig r;
	struct qmp_session *other;
	size_t n;

	rig_open(&r, true);
	other = qmp_session_new(&r.srv);
	qmp_session_consume(other, 1 << 20);
	qmp_server_event(&r.srv, "STOP", NULL);
	qmp_session_output(other, &n);
	CHECK(n == 0);
	CHECK_CONTAINS(drain(&r), "\"event\": \"STOP\"");
	qmp_session_free(other);
	rig_close(&r);
}

TEST(unknown_command_and_arguments)
{
	struct rig r;
	json_t *a;

	rig_open(&r, true);
	a = answer(&r, "{\"execute\":\"system_reset\",\"id\":[1,2]}");
	CHECK(!strcmp(error_class(a), "CommandNotFound"));
	CHECK(json_array_size(json_object_get(a, "id")) == 2);
	json_decref(a);
	CHECK_CONTAINS(say(&r, "{\"execute\":\"query-status\",\"arguments\":{\"x\":1}}"),
		       "Parameter 'x' is unexpected");
	CHECK_CONTAINS(say(&r, "{\"execute\":\"query-status\",\"arguments\":[]}"),
		       "'arguments' must be an object");
	CHECK_CONTAINS(say(&r, "{\"execute\":5}"), "'execute' must be a string");
	CHECK_CONTAINS(say(&r, "{\"id\":5}"), "lacks member 'execute'");
	CHECK_CONTAINS(say(&r, "{\"execute\":\"stop\",\"foo\":1}"), "member 'foo' is unexpected");
	CHECK_CONTAINS(say(&r, "{\"exec-oob\":\"stop\"}"), "exec-oob");
	CHECK(r.vm.pauses == 0);
	rig_close(&r);
}

TEST(stats_off_is_an_error)
{
	struct rig r;

	rig_open(&r, true);
	r.vm.stats_off = true;
	CHECK_CONTAINS(say(&r, "{\"execute\":\"x-flint-query-stats\"}"),
		       "{\"error\": {\"class\": \"GenericError\", \"desc\": \"statistics are off\"}}");
	rig_close(&r);
}

TEST(name_is_optional)
{
	struct rig r;

	rig_open(&r, true);
	CHECK_CONTAINS(say(&r, "{\"execute\":\"query-name\"}"), "{\"return\": {}}");
	r.srv.name = "vm1";
	CHECK_CONTAINS(say(&r, "{\"execute\":\"query-name\"}"), "{\"return\": {\"name\": \"vm1\"}}");
	rig_close(&r);
}

/* ---- framing ------------------------------------------------------------ */

TEST(message_split_across_reads)
{
	struct rig r;
	const char *msg = "{\"execute\":\"query-status\",\"id\":\"a{b}[c\\\"\"}";

	rig_open(&r, true);
	for (size_t i = 0; msg[i]; i++) {
		qmp_session_feed(r.s, msg + i, 1);
		if (msg[i + 1])
			CHECK(strlen(drain(&r)) == 0);
	}
	CHECK_CONTAINS(drain(&r), "\"id\": \"a{b}[c\\\"\"");
	rig_close(&r);
}

TEST(several_messages_in_one_read)
{
	struct rig r;
	const char *out;

	rig_open(&r, true);
	out = say(&r, "{\"execute\":\"query-name\",\"id\":1}{\"execute\":\"query-name\",\"id\":2}\n"
		      "  {\"execute\":\"query-name\",\"id\":3}");
	CHECK_CONTAINS(out, "\"id\": 1");
	CHECK_CONTAINS(out, "\"id\": 2");
	CHECK_CONTAINS(out, "\"id\": 3");
	rig_close(&r);
}

/* Each garbage input gets one GenericError, and the session then still
 * answers a good command. */
TEST(garbage_cases)
{
	static const struct { const char *in; size_t len; const char *want; } cases[] = {
		{ "garbage ", 0, "JSON parse error" },
		{ "42 ", 0, "must be a JSON object" },
		{ "\"str\" ", 0, "must be a JSON object" },
		{ "null ", 0, "must be a JSON object" },
		{ "[1,2]", 0, "must be a JSON object" },
		{ "{]", 0, "JSON parse error" },
		{ "{\"execute\":}", 0, "JSON parse error" },
		{ "{\"execute\":\"stop\",}", 0, "JSON parse error" },
		{ "{'execute':'stop'}", 0, "JSON parse error" },
		{ "{\"execute\":\"stop\",\"execute\":\"cont\"}", 0, "JSON parse error" },
		{ "{\"execute\":\"\xff\xfe\"}", 0, "JSON parse error" },          /* invalid UTF-8 */
		{ "{\"execute\":\"\xc0\xaf\"}", 0, "JSON parse error" },          /* overlong '/' */
		{ "{\"execute\":\"\xed\xa0\x80\"}", 0, "JSON parse error" },      /* surrogate */
		{ "{\"execute\":\"a\\u0000b\"}", 0, "JSON parse error" },          /* NUL escape */
		{ "{\"execute\":\"a\0b\"}", 17, "JSON parse error" },              /* raw NUL */
		{ "{\"execute\":\"stop\" \"id\":1}", 0, "JSON parse error" },
		{ "{\"id\":123456789012345678901234567890}", 0, "JSON parse error" }, /* too big */
		{ "{\"execute\":\"\\x41\"}", 0, "JSON parse error" },             /* bad escape */
		{ "{\"execute\":tru}", 0, "JSON parse error" },
		{ "}\n", 0, "JSON parse error" },
	};
	struct rig r;

	rig_open(&r, true);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
		const char *out;

		CHECK(qmp_session_feed(r.s, cases[i].in, len) == 0);
		out = drain(&r);
		if (!strstr(out, cases[i].want) || !strstr(out, "GenericError"))
			fprintf(stderr, "  case %zu: %s\n", i, out);
		CHECK_CONTAINS(out, cases[i].want);
		CHECK_CONTAINS(out, "GenericError");
		CHECK(!strstr(out, "\"return\""));
		/* one answer per bad text */
		CHECK(strstr(out, "\r\n") && !strstr(strstr(out, "\r\n") + 2, "\r\n"));
		CHECK_CONTAINS(say(&r, "{\"execute\":\"query-name\",\"id\":\"ok\"}"), "\"id\": \"ok\"");
	}
	CHECK(r.vm.pauses == 0 && r.vm.resumes == 0);
	rig_close(&r);
}

TEST(deep_nesting_refused_by_depth_limit)
{
	struct rig r;
	size_t depth = 5000;
	char *msg = malloc(2 * depth + 32);
	size_t n = 0;

	rig_open(&r, true);
	n += (size_t)sprintf(msg, "{\"id\":");
	for (size_t i = 0; i < depth; i++)
		msg[n++] = '[';
	for (size_t i = 0; i < depth; i++)
		msg[n++] = ']';
	n += (size_t)sprintf(msg + n, ",\"execute\":\"stop\"}");
	CHECK(qmp_session_feed(r.s, msg, n) == 0);
	CHECK_CONTAINS(drain(&r), "maximum parsing depth reached");
	CHECK(r.vm.pauses == 0);
	CHECK_CONTAINS(say(&r, "{\"execute\":\"query-name\",\"id\":\"ok\"}"), "\"id\": \"ok\"");
	free(msg);
	rig_close(&r);
}

TEST(oversized_message_closes_session)
{
	struct rig r;
	char chunk[4096];
	int rc = 0;

	rig_open(&r, true);
	memset(chunk, 'a', sizeof(chunk));
	CHECK(qmp_session_feed(r.s, "{\"execute\":\"", 12) == 0);
	for (int i = 0; i < 100 && rc == 0; i++)
		rc = qmp_session_feed(r.s, chunk, sizeof(chunk));
	CHECK(rc == -1);
	CHECK(r.s->closing != NULL);
	CHECK_CONTAINS(drain(&r), "longer than 65536 bytes");
	/* and a bare token with no end is bounded too */
	rig_close(&r);
	rig_open(&r, true);
	rc = 0;
	for (int i = 0; i < 100 && rc == 0; i++)
		rc = qmp_session_feed(r.s, chunk, sizeof(chunk));
	CHECK(rc == -1);
	rig_close(&r);
}

TEST(whitespace_is_not_buffered)
{
	struct rig r;
	char chunk[4096];

	rig_open(&r, true);
	memset(chunk, '\n', sizeof(chunk));
	for (int i = 0; i < 100; i++)
		CHECK(qmp_session_feed(r.s, chunk, sizeof(chunk)) == 0);
	CHECK(r.s->in_len == 0);
	CHECK_CONTAINS(say(&r, "{\"execute\":\"query-name\"}"), "\"return\"");
	rig_close(&r);
}

TEST(client_that_never_reads_is_closed)
{
	struct rig r;
	int rc = 0, i;

	rig_open(&r, true);
	/* query-commands answers are ~400 bytes: 1 MiB of them, never drained */
	for (i = 0; i < 10000 && rc == 0; i++)
		rc = qmp_session_feed(r.s, "{\"execute\":\"query-commands\"}", 28);
	CHECK(rc == -1);
	CHECK_CONTAINS(r.s->closing, "does not read");
	CHECK(r.s->out_len <= QMP_OUTPUT_MAX);
	rig_close(&r);
}

CHECK_MAIN()
