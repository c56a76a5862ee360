/*
 * Puts the filters that the build compiled from policy.c's allow-lists
 * (compile.h) on a thread, the SIGSYS handler of trap mode, and the table
 * `flint seccomp-dump` prints.
 */
#include "sandbox.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "compile.h"
#include "policy.h"

/* si_code of a seccomp SIGSYS: glibc does not name it, and the kernel
 * header that does clashes with <signal.h>. */
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif

static const char *const mode_names[] = {
	[SECCOMP_MODE_OFF] = "off",
	[SECCOMP_MODE_LOG] = "log",
	[SECCOMP_MODE_TRAP] = "trap",
	[SECCOMP_MODE_KILL] = "kill",
};

int seccomp_mode_parse(const char *s, enum seccomp_mode *out)
{
	for (size_t i = 0; s && i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (!strcmp(s, mode_names[i])) {
			*out = (enum seccomp_mode)i;
			return 0;
		}
	return -1;
}

const char *seccomp_mode_name(enum seccomp_mode m)
{
	return (unsigned)m < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[m] : NULL;
}

const char *sandbox_role_name(enum sandbox_role r)
{
	return (unsigned)r < SANDBOX_ROLE_COUNT ? policy_roles[r].name : NULL;
}

int sandbox_role_parse(const char *s, enum sandbox_role *out)
{
	for (int r = 0; s && r < SANDBOX_ROLE_COUNT; r++)
		if (!strcmp(s, policy_roles[r].name)) {
			*out = (enum sandbox_role)r;
			return 0;
		}
	return -1;
}

/*
 * The SIGSYS handler must stay async-signal-safe and within the thread's
 * own list, so it calls write and _exit only, reads the syscall names and
 * tested arguments the build generated, and each thread keeps its label in
 * TLS.
 */
static pthread_once_t trap_once = PTHREAD_ONCE_INIT;
static int trap_ready_errno;

static _Thread_local char thread_label[16];
static _Thread_local int thread_role = -1;

struct msg {
	char buf[256];
	size_t len;
};

static void msg_str(struct msg *m, const char *s)
{
	while (*s && m->len < sizeof(m->buf) - 1)
		m->buf[m->len++] = *s++;
}

static void msg_num(struct msg *m, uint64_t v, unsigned base)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (base == 16)
		msg_str(m, "0x");
	while (n && m->len < sizeof(m->buf) - 1)
		m->buf[m->len++] = tmp[--n];
}

/*
 * Not instrumented by ASan: before a call that does not return (_exit) it
 * asks sigaltstack, which no filter allows, and a second SIGSYS inside the
 * handler would kill the process before the status is set.
 */
__attribute__((no_sanitize_address))
static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	struct msg m = { .len = 0 };
	int nr = si->si_syscall;

	(void)sig;
	msg_str(&m, "flint: seccomp: thread \"");
	msg_str(&m, thread_label[0] ? thread_label : "?");
	if (si->si_code != SYS_SECCOMP) {
		msg_str(&m, "\" got SIGSYS from outside; stopping\n");
	} else {
		msg_str(&m, "\" made forbidden system call ");
		if (nr >= 0 && nr < SECCOMP_NAMES_MAX && seccomp_gen_syscall_names[nr]) {
			msg_str(&m, seccomp_gen_syscall_names[nr]);
			msg_str(&m, " (");
			msg_num(&m, (uint64_t)nr, 10);
			msg_str(&m, ")");
		} else {
			msg_str(&m, "number ");
			msg_num(&m, (uint64_t)(unsigned)nr, 10);
		}
#ifdef __x86_64__
		if (thread_role >= 0 && nr >= 0 && nr < SECCOMP_NAMES_MAX &&
		    seccomp_gen_tested_args[thread_role][nr]) {
			const greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
			const greg_t args[6] = { g[REG_RDI], g[REG_RSI], g[REG_RDX],
						 g[REG_R10], g[REG_R8], g[REG_R9] };
			const char *sep = " with ";

			for (unsigned i = 0; i < 6; i++)
				if (seccomp_gen_tested_args[thread_role][nr] & (1u << i)) {
					msg_str(&m, sep);
					msg_str(&m, "arg");
					msg_num(&m, i, 10);
					msg_str(&m, " = ");
					msg_num(&m, (uint64_t)args[i], 16);
					sep = ", ";
				}
		}
#else
		(void)ctx;
#endif
		msg_str(&m, "; stopping\n");
	}
	if (write(STDERR_FILENO, m.buf, m.len) < 0) {
		/* nowhere left to report it; the exit status still says it */
	}
	_exit(FLINT_EXIT_BAD_SYSCALL);
}

static void trap_prepare(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

	/* Every other signal waits: the handler's message goes out whole. */
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		trap_ready_errno = errno;
}

static void warn_off_once(void)
{
	static atomic_flag warned = ATOMIC_FLAG_INIT;

	if (!atomic_flag_test_and_set(&warned))
		fputs("flint: warning: [sandbox] seccomp = off: no system-call filter; a guest that "
		      "takes over the monitor can make any system call flint's user can\n", stderr);
}

size_t seccomp_program_build(enum sandbox_role role, enum seccomp_mode mode, uint32_t pid,
			     struct sock_filter *out)
{
	const struct seccomp_program *p;

	if ((unsigned)role >= SANDBOX_ROLE_COUNT || mode <= SECCOMP_MODE_OFF || mode > SECCOMP_MODE_KILL)
		return 0;
	p = &seccomp_gen_programs[role][mode];
	if (p->len > SECCOMP_PROGRAM_MAX)  /* gen_filters never writes one; out is no longer */
		return 0;
	memcpy(out, p->insns, p->len * sizeof(*out));
	for (size_t i = 0; i < p->npid; i++)
		out[p->pid_at[i]].k = pid;
	return p->len;
}

/* Not snprintf: its deep frame faults in fresh stack pages of a new vCPU
 * thread, ~7 us of the ~60 an install takes. */
static void set_thread_label(const struct policy_role *pr, unsigned index)
{
	struct msg l = { .len = 0 };
	size_t n;

	msg_str(&l, pr->name);
	if (pr->indexed)
		msg_num(&l, index, 10);
	n = l.len < sizeof(thread_label) - 1 ? l.len : sizeof(thread_label) - 1;
	memcpy(thread_label, l.buf, n);
	thread_label[n] = 0;
}

/* Whether the kernel has action (Linux 4.14 for log and kill-process). */
static bool action_available(uint32_t action)
{
	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

int seccomp_install(enum sandbox_role role, unsigned index, enum seccomp_mode mode,
		    char *err, size_t errlen)
{
	/* On this thread's stack: threads of one role install at once, each
	 * patching its own copy. */
	struct sock_filter insns[SECCOMP_PROGRAM_MAX];
	struct sock_fprog prog = { .filter = insns };
	const struct policy_role *pr;

	if ((unsigned)role >= SANDBOX_ROLE_COUNT || !seccomp_mode_name(mode)) {
		snprintf(err, errlen, "seccomp: no role %d or mode %d", (int)role, (int)mode);
		return -1;
	}
	pr = &policy_roles[role];
	if (mode == SECCOMP_MODE_OFF) {
		warn_off_once();
		return 0;
	}
	/* Every mode kills i386 and x32 calls with kill-process, which came
	 * with the log action in Linux 4.14: an older kernel would take either
	 * for kill-thread. */
	if (!action_available(SECCOMP_RET_KILL_PROCESS) ||
	    (mode == SECCOMP_MODE_LOG && !action_available(SECCOMP_RET_LOG))) {
		snprintf(err, errlen, "seccomp = %s: this kernel lacks %s; "
			 "/proc/sys/kernel/seccomp/actions_avail lists what it has", seccomp_mode_name(mode),
			 mode == SECCOMP_MODE_LOG ? "the log action" : "kill-process");
		return -1;
	}
	set_thread_label(pr, index);
	thread_role = (int)role;
	if (mode == SECCOMP_MODE_TRAP) {
		sigset_t sys;

		pthread_once(&trap_once, trap_prepare);
		if (trap_ready_errno) {
			snprintf(err, errlen, "seccomp: SIGSYS handler: %s", strerror(trap_ready_errno));
			return -1;
		}
		/* A blocked SIGSYS would kill instead of reaching the handler. */
		sigemptyset(&sys);
		sigaddset(&sys, SIGSYS);
		pthread_sigmask(SIG_UNBLOCK, &sys, NULL);
	}
	prog.len = (unsigned short)seccomp_program_build(role, mode, (uint32_t)getpid(), insns);
	if (!prog.len) {
		snprintf(err, errlen, "seccomp: role %s: no program for mode %s (rebuild: make)",
			 pr->name, seccomp_mode_name(mode));
		return -1;
	}
	/* What seccomp_load does with libseccomp's defaults: no_new_privs (in
	 * flint the jail has set it already: a second time costs nothing), then
	 * the filter with no flags.  The log mode needs none either:
	 * SECCOMP_FILTER_FLAG_LOG logs the other actions, SECCOMP_RET_LOG
	 * always logs. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		snprintf(err, errlen, "seccomp: role %s: loading the filter: %s", pr->name, strerror(errno));
		return -1;
	}
	return 0;
}

static int cond_text(char *buf, size_t len, const struct policy_cond *c)
{
	/* Show the number too when the source names it. */
	int named = c->text && (c->text[0] < '0' || c->text[0] > '9');

	switch (c->op) {
	case POLICY_EQ:
		if (named)
			return snprintf(buf, len, "arg%u == %s (%#llx)", c->arg, c->text,
					(unsigned long long)c->value);
		return snprintf(buf, len, "arg%u == %s", c->arg, c->text);
	case POLICY_NO_BITS:
		return snprintf(buf, len, "(arg%u & %s) == 0", c->arg, c->text);
	case POLICY_EQ_SELF_PID:
		return snprintf(buf, len, "arg%u == %s", c->arg, c->text);
	}
	return snprintf(buf, len, "?");
}

void seccomp_dump(FILE *out, int role)
{
	for (int r = 0; r < SANDBOX_ROLE_COUNT; r++) {
		const struct policy_role *pr = &policy_roles[r];

		if (role >= 0 && role != r)
			continue;
		fprintf(out, "role %s", pr->name);
		if (pr->indexed)
			fprintf(out, " (threads %s0, %s1, ...)", pr->name, pr->name);
		fprintf(out, ": %zu rules; any other call is refused as [sandbox] seccomp says\n",
			pr->nrules);
		fprintf(out, "  %-16s %-62s %s\n", "syscall", "arguments", "why");
		for (size_t i = 0; i < pr->nrules; i++) {
			const struct policy_rule *rule = &pr->rules[i];
			char args[160] = "any";
			size_t used = 0;

			for (int c = 0; c < POLICY_MAX_CONDS && rule->cond[c].op; c++) {
				int n;

				if (c)
					used += (size_t)snprintf(args + used, sizeof(args) - used, " && ");
				if (used >= sizeof(args))
					break;
				n = cond_text(args + used, sizeof(args) - used, &rule->cond[c]);
				if (n < 0 || (used += (size_t)n) >= sizeof(args))
					break;
			}
			fprintf(out, "  %-16s %-62s %s\n", rule->syscall, args, rule->why);
		}
		if (role < 0 && r + 1 < SANDBOX_ROLE_COUNT)
			fputc('\n', out);
	}
}
