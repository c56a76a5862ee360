/*
 * The console module (vmm/console.c, vmm/console_out.c) on a machine with
 * no KVM behind it: guest accesses go straight to the buses.  Each case
 * runs in a child process with its own stdin/stdout/stderr and a time
 * limit, because the defects they guard against are hangs and deaths
 * (SIGPIPE), which must fail the test rather than the test run.
 */
#include "check.h"
#include "config.h"
#include "machine.h"
#include "stats.h"
#include "uart.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern const struct device_module console_module;

#define RAM (64 * 1024)

static struct machine m;
static struct config cfg;
static void *con;
static char setup_err[512];

/* Where every key "was given", for messages: a spec filled in code needs
 * an origin of its own to name one. */
static const char *test_where(const struct spec_origin *o, const char *section, const char *key, unsigned index)
{
	(void)o, (void)section, (void)key, (void)index;
	return "test.ini";
}

static struct spec_origin test_origin = { .where = test_where };

static void machine_init(enum console_output out, const char *path, enum console_input in)
{
	m = (struct machine){ .cfg = &cfg, .signal_fd = -1 };
	cfg = (struct config){ .origin = &test_origin, .console_output = out,
			       .console_path = (char *)path, .console_input = in };
	m.vm.mem.size = RAM;
	m.vm.mem.host = calloc(1, RAM);
	m.vm.mmio.name = "mmio";
	m.vm.pio.name = "pio";
	ev_init(&m.el);
	m.tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	con = console_module.setup(&m, setup_err, sizeof(setup_err));
	if (con) {
		m.dev[0].mod = &console_module;
		m.dev[0].state = con;
		m.ndev = 1;
	}
}

static void machine_fini(void)
{
	if (con)
		console_module.stop(con);
	con = NULL;
	m.ndev = 0;
	ev_fini(&m.el);
	close(m.tick_fd);
	free(m.vm.mem.host);
}

/* The guest: THR writes through the MMIO bus, reads through PIO. */
static void guest_puts(const char *s)
{
	while (*s)
		bus_write(&m.vm.mmio, FLINT_UART_MMIO_GPA, (const uint8_t *)s++, 1);
}

static uint8_t guest_in(unsigned reg)
{
	uint8_t v = 0;

	bus_read(&m.vm.pio, FLINT_UART_PIO_BASE + reg, &v, 1);
	return v;
}

static void guest_buffer(uint32_t gpa, const char *s, uint32_t n)
{
	uint64_t v = (uint64_t)n << 32 | gpa;

	memcpy(m.vm.mem.host + gpa, s, n);
	bus_write(&m.vm.mmio, FLINT_UART_MMIO_GPA + FLINT_UART_EXT_TX, (const uint8_t *)&v, 8);
}

/* Runs fn in a child that fails if it takes more than secs or dies. */
static void in_child(void (*fn)(void), int secs)
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		alarm((unsigned)secs);
		check_failed_now = 0;
		fn();
		fflush(stderr);
		_exit(check_failed_now ? 1 : 0);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	if (WIFSIGNALED(st))
		fprintf(stderr, "  child killed by %s\n", strsignal(WTERMSIG(st)));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static int real_stderr = -1;

/* stderr of the child goes to a pipe the child reads back itself. */
static int capture_stderr(void)
{
	int p[2];

	if (pipe(p))
		return -1;
	real_stderr = dup(STDERR_FILENO);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	dup2(p[1], STDERR_FILENO);
	close(p[1]);
	return p[0];
}

/* Gives stderr back to the test (and shows what it caught if a check failed). */
static void release_stderr(const char *caught)
{
	if (real_stderr < 0)
		return;
	dup2(real_stderr, STDERR_FILENO);
	if (check_failed_now)
		fprintf(stderr, "  caught on stderr: %s\n", caught);
}

static size_t slurp(int fd, char *buf, size_t max)
{
	size_t got = 0;
	ssize_t n;

	while (got + 1 < max && (n = read(fd, buf + got, max - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = 0;
	return got;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* ---- 6: a write error is said once, and the run says output was lost ---- */

static void full_device(void)
{
	int err_fd = capture_stderr(), full = open("/dev/full", O_WRONLY);
	char msg[2048];

	CHECK(full >= 0 && dup2(full, STDOUT_FILENO) == STDOUT_FILENO);
	machine_init(CONSOLE_OUT_STDOUT, NULL, CONSOLE_IN_NONE);
	CHECK(con);
	guest_puts("first line\n");
	guest_puts("second line\n");
	guest_buffer(0x100, "third\n", 6);
	CHECK(atomic_load(&m.output_lost));
	machine_fini();
	slurp(err_fd, msg, sizeof(msg));
	release_stderr(msg);
	CHECK_CONTAINS(msg, "flint: console: cannot write guest output to stdout: No space left on device");
	CHECK(count(msg, "flint: console:") == 1);
}

TEST(write_error_reported_once_and_output_lost)
{
	in_child(full_device, 10);
}

/* ---- 7: a reader that goes away is EPIPE, said once, not a SIGPIPE death ---- */

static void reader_gone(void)
{
	int err_fd = capture_stderr(), p[2];
	char msg[2048];

	/* what flint had before: the default action, which kills */
	signal(SIGPIPE, SIG_DFL);
	CHECK(pipe(p) == 0 && dup2(p[1], STDOUT_FILENO) == STDOUT_FILENO);
	close(p[1]);
	machine_init(CONSOLE_OUT_STDOUT, NULL, CONSOLE_IN_NONE);
	CHECK(con);
	guest_puts("read me\n");
	close(p[0]);
	guest_puts("nobody reads this\n");
	guest_puts("nor this\n");
	CHECK(atomic_load(&m.output_lost));
	machine_fini();
	slurp(err_fd, msg, sizeof(msg));
	release_stderr(msg);
	CHECK_CONTAINS(msg, "the reader of stdout went away (EPIPE)");
	CHECK(count(msg, "flint: console:") == 1);
}

TEST(closed_stdout_pipe_is_epipe_not_sigpipe)
{
	in_child(reader_gone, 10);
}

/* ---- 8: a full stdout pipe never blocks a write; the rest is dropped and counted ---- */

static void nobody_reads(void)
{
	int err_fd = capture_stderr(), p[2];
	char msg[2048], line[80];
	struct stats s = { 0 };

	CHECK(pipe(p) == 0 && dup2(p[1], STDOUT_FILENO) == STDOUT_FILENO);
	close(p[1]);
	machine_init(CONSOLE_OUT_STDOUT, NULL, CONSOLE_IN_NONE);
	m.vm.stats = &s;
	CHECK(con);
	/* 4 MiB: far more than any pipe holds */
	memset(line, 'z', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	for (int i = 0; i < 4096 * 13; i++)
		guest_buffer(0x1000, line, sizeof(line));
	for (int i = 0; i < 1000; i++)
		guest_puts("thr bytes too\n");
	machine_tick(&m);
	/* the stdout flint was given keeps its blocking mode for others */
	CHECK(!(fcntl(STDOUT_FILENO, F_GETFL) & O_NONBLOCK));
	machine_fini();
	CHECK(s.console_dropped > 3u << 20);
	CHECK(atomic_load(&m.output_lost));
	slurp(err_fd, msg, sizeof(msg));
	release_stderr(msg);
	CHECK_CONTAINS(msg, "bytes of guest output dropped: stdout was not being read fast enough");
	close(p[0]);
}

TEST(full_stdout_pipe_never_blocks)
{
	in_child(nobody_reads, 20);
}

/* ---- 10: a FIFO without a reader is an error at set-up, not a hang ---- */

static void fifo_without_reader(void)
{
	char path[] = "/tmp/flint-console-fifo-XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	unlink(path);
	CHECK(mkfifo(path, 0600) == 0);
	machine_init(CONSOLE_OUT_FILE, path, CONSOLE_IN_NONE);
	CHECK(!con);
	CHECK_CONTAINS(setup_err, "test.ini: [console] output = file:");
	CHECK_CONTAINS(setup_err, "is a FIFO with no reader");
	machine_fini();
	unlink(path);
}

TEST(output_fifo_without_reader_fails_fast)
{
	in_child(fifo_without_reader, 10);
}

static void fifo_with_reader(void)
{
	char path[] = "/tmp/flint-console-fifo-XXXXXX", buf[64];
	int fd = mkstemp(path), rfd;

	CHECK(fd >= 0);
	close(fd);
	unlink(path);
	CHECK(mkfifo(path, 0600) == 0);
	rfd = open(path, O_RDONLY | O_NONBLOCK);
	machine_init(CONSOLE_OUT_FILE, path, CONSOLE_IN_NONE);
	CHECK(con);
	guest_puts("via fifo\n");
	CHECK(slurp(rfd, buf, sizeof(buf)) == 9 && !strcmp(buf, "via fifo\n"));
	machine_fini();
	close(rfd);
	unlink(path);
}

TEST(output_fifo_with_reader_works)
{
	in_child(fifo_with_reader, 10);
}

/* ---- 9: stdin the guest does not read must not make the loop spin ---- */

static void on_deadline(void *ctx, uint32_t events)
{
	(void)ctx;
	(void)events;
	m.el.done = true;
}

/* Serves the event loop for ms milliseconds; returns the CPU time it used, in ms. */
static double loop_for(int ms)
{
	int t = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	struct itimerspec its = { .it_value = { ms / 1000, (ms % 1000) * 1000000L } };
	struct timespec c0, c1;

	timerfd_settime(t, 0, &its, NULL);
	ev_add(&m.el, t, EPOLLIN, on_deadline, NULL);
	m.el.done = false;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	ev_run(&m.el);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	ev_del(&m.el, t);
	close(t);
	return (c1.tv_sec - c0.tv_sec) * 1e3 + (c1.tv_nsec - c0.tv_nsec) / 1e6;
}

static void unread_stdin(void)
{
	static char data[3 * UART_BUF_SIZE];
	size_t got = 0;
	int p[2];
	double cpu;

	CHECK(pipe(p) == 0);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	CHECK(write(p[1], data, sizeof(data)) == (ssize_t)sizeof(data));
	dup2(p[0], STDIN_FILENO);
	close(p[0]);
	machine_init(CONSOLE_OUT_NONE, NULL, CONSOLE_IN_STDIN);
	CHECK(con);
	/* Spinning costs all of it (a busy host gives a spinning loop less). */
	cpu = loop_for(500);
	if (cpu >= 50)
		fprintf(stderr, "  the loop used %.1f ms of CPU in 500 ms\n", cpu);
	CHECK(cpu < 50);
	/* The guest reads; input resumes each time the UART has room again. */
	for (int round = 0; round < 20 && got < sizeof(data); round++) {
		while (guest_in(5) & 1) {
			char c = (char)guest_in(0);

			if (c != data[got]) {
				CHECK(c == data[got]);
				break;
			}
			got++;
		}
		loop_for(20);
	}
	CHECK(got == sizeof(data));
	close(p[1]);
	machine_fini();
}

TEST(unread_stdin_does_not_spin)
{
	in_child(unread_stdin, 20);
}

/* ---- C: the tick runs only while the console needs it ---- */

static bool timer_armed(void)
{
	struct itimerspec its;

	return timerfd_gettime(m.tick_fd, &its) == 0 && (its.it_value.tv_sec || its.it_value.tv_nsec);
}

static void tick_decisions(void)
{
	int p[2];
	char buf[64];

	CHECK(pipe(p) == 0 && dup2(p[1], STDOUT_FILENO) == STDOUT_FILENO);
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	machine_init(CONSOLE_OUT_STDOUT, NULL, CONSOLE_IN_NONE);
	CHECK(con);
	/* nothing armed it yet (run.c arms once at start; the first tick decides) */
	CHECK(!atomic_load(&m.tick_armed) && !timer_armed());
	/* THR bytes come one by one: the first of a line arms the tick (no
	 * newline yet), the newline writes it, the next tick stops. */
	guest_puts("a full line\n");
	CHECK(slurp(p[0], buf, sizeof(buf)) == 12);
	CHECK(!machine_tick(&m) && !timer_armed());
	guest_puts("no newline");
	CHECK(atomic_load(&m.tick_armed) && timer_armed());
	CHECK(slurp(p[0], buf, sizeof(buf)) == 0);
	CHECK(!machine_tick(&m)); /* flushed: nothing left to wait for */
	CHECK(!atomic_load(&m.tick_armed) && !timer_armed());
	CHECK(slurp(p[0], buf, sizeof(buf)) == 10 && !strcmp(buf, "no newline"));
	/* A 16550A driver's LSR read: its THR burst may sit in a coalesced ring. */
	guest_in(5);
	CHECK(atomic_load(&m.tick_armed) && timer_armed());
	CHECK(machine_tick(&m));
	CHECK(!machine_tick(&m));
	CHECK(!timer_armed());
	/* The buffer extension writes at once: no tick. */
	guest_buffer(0x200, "buffered", 8);
	CHECK(!atomic_load(&m.tick_armed));
	CHECK(slurp(p[0], buf, sizeof(buf)) == 8);
	machine_fini();
	close(p[0]);
}

TEST(tick_only_while_needed)
{
	in_child(tick_decisions, 10);
}

static bool always(void *state)
{
	(void)state;
	return true;
}

static void count_ticks(void *state)
{
	(*(int *)state)++;
}

TEST(module_without_tick_wanted_keeps_ticking)
{
	static const struct device_module legacy = { .name = "legacy", .tick = count_ticks };
	static const struct device_module eager = { .name = "eager", .tick = count_ticks, .tick_wanted = always };
	static const struct device_module none = { .name = "none" };
	int ticks = 0;

	m = (struct machine){ .tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK) };
	m.dev[0].mod = &none;
	m.ndev = 1;
	machine_want_tick(&m);
	CHECK(timer_armed());
	CHECK(!machine_tick(&m) && !timer_armed());
	m.dev[1].mod = &legacy;
	m.dev[1].state = &ticks;
	m.ndev = 2;
	machine_want_tick(&m);
	CHECK(machine_tick(&m) && timer_armed() && ticks == 1);
	m.dev[1].mod = &eager;
	CHECK(machine_tick(&m) && ticks == 2);
	close(m.tick_fd);
}

/* ---- snapshots: output is flushed by the save and never in the record ---- */

static void save_then_restore(void)
{
	struct state_out rec = { 0 }, again = { 0 };
	struct state_in in;
	char out[256], err[256] = "";
	int p[2];

	CHECK(pipe(p) == 0 && dup2(p[1], STDOUT_FILENO) == STDOUT_FILENO);
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	machine_init(CONSOLE_OUT_STDOUT, NULL, CONSOLE_IN_NONE);
	CHECK(con);
	guest_puts("tick 5\ntick 6");    /* the last line has no newline yet */
	bus_write(&m.vm.pio, FLINT_UART_PIO_BASE + 7, (const uint8_t *)"\x42", 1);
	CHECK(console_module.save(con, &rec) == 0);
	slurp(p[0], out, sizeof(out));
	CHECK(!strcmp(out, "tick 5\ntick 6")); /* all of it is out before the snapshot */
	machine_fini();

	/* A fresh machine takes the record: the guest's scratch register is back. */
	machine_init(CONSOLE_OUT_STDOUT, NULL, CONSOLE_IN_NONE);
	in = state_in_make(rec.buf, rec.len);
	CHECK(console_module.load(con, &in, err, sizeof(err)) == 0);
	CHECK(guest_in(7) == 0x42);
	CHECK(console_module.save(con, &again) == 0);
	CHECK(again.len == rec.len && !memcmp(again.buf, rec.buf, rec.len));
	guest_puts("\ntick 7\n");
	machine_fini();
	slurp(p[0], out, sizeof(out));
	CHECK(!strcmp(out, "\ntick 7\n")); /* only what the restored guest wrote */
	state_out_free(&rec);
	state_out_free(&again);
	close(p[0]);
}

TEST(save_flushes_output_and_restores_registers)
{
	in_child(save_then_restore, 10);
}

CHECK_MAIN()
