#include "teardown.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "compile.h"

/* The helper runs a few syscalls in one frame: a small stack of its own. */
#define HELPER_STACK (64 * 1024)

static struct {
	int pidfd;
	bool running;
	struct sock_fprog prog;       /* built by the monitor: the helper only installs it */
	struct sock_filter insns[SECCOMP_PROGRAM_MAX];
	int first[TEARDOWN_FIRST_MAX]; /* closed before the exit frees the VM */
	int nfirst;
} helper = { .pidfd = -1 };

void teardown_helper_close_first(int fd)
{
	if (fd >= 0 && helper.nfirst < TEARDOWN_FIRST_MAX)
		helper.first[helper.nfirst++] = fd;
}

int teardown_helper_prepare(char *err, size_t errlen)
{
	helper.pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (helper.pidfd < 0)
		snprintf(err, errlen, "teardown helper: pidfd_open: %s", strerror(errno));
	return helper.pidfd;
}

/*
 * The helper shares the monitor's memory but not its thread: glibc's TLS
 * (errno) is the main thread's, so it makes raw system calls only, and
 * the sanitizers' bookkeeping would be the monitor's too.
 */
__attribute__((no_sanitize("address", "undefined")))
static int helper_main(void *arg)
{
	sigset_t all;
	struct pollfd p = { .fd = helper.pidfd, .events = POLLIN };

	(void)arg;
	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof(long));
	if (helper.prog.len && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &helper.prog) != 0)
		syscall(SYS_exit_group, 1);
	/* Readable once every thread of the monitor has exited. */
	while (syscall(SYS_poll, &p, 1, -1) != 1)
		;
	/* exit_group frees the memory (and KVM's view of it) before it
	 * closes descriptors: these go first. */
	for (int i = 0; i < helper.nfirst; i++)
		syscall(SYS_close, helper.first[i]);
	syscall(SYS_exit_group, 0);
	return 0;
}

int teardown_helper_start(enum seccomp_mode mode, char *err, size_t errlen)
{
	void *stack;
	pid_t pid;

	if (helper.pidfd < 0) {
		snprintf(err, errlen, "teardown helper: not prepared");
		return -1;
	}
	helper.prog.len = 0;
	if (mode != SECCOMP_MODE_OFF) {
		/* A forbidden call in the helper is a bug in flint, not the
		 * guest's doing: it dies at once in every mode but off. */
		size_t n = seccomp_program_build(SANDBOX_ROLE_TEARDOWN, SECCOMP_MODE_KILL, (uint32_t)getpid(),
						 helper.insns);

		if (!n) {
			snprintf(err, errlen, "teardown helper: no filter for its role (a bug in flint)");
			return -1;
		}
		helper.prog = (struct sock_fprog){ .len = (unsigned short)n, .filter = helper.insns };
	}
	stack = mmap(NULL, HELPER_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
		     -1, 0);
	if (stack == MAP_FAILED) {
		snprintf(err, errlen, "teardown helper: %s", strerror(errno));
		return -1;
	}
	/* Not a thread (no CLONE_THREAD): it must outlive the thread group. */
	pid = clone(helper_main, (char *)stack + HELPER_STACK, CLONE_VM | CLONE_FILES | SIGCHLD, NULL);
	if (pid < 0) {
		snprintf(err, errlen, "teardown helper: clone: %s", strerror(errno));
		munmap(stack, HELPER_STACK);
		return -1;
	}
	helper.running = true;
	return 0;
}

bool teardown_helper_running(void)
{
	return helper.running;
}

void teardown_exit(int status)
{
	fflush(stdout);
	fflush(stderr);
	/* Shared with the helper: closing here closes them for it too, so a
	 * reader of our output sees end of file now, not after the teardown. */
	close(STDIN_FILENO);
	close(STDOUT_FILENO);
	close(STDERR_FILENO);
	_exit(status);
}
