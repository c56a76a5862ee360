/*
 * The jail: what the process gives up once the VM is built, so that a
 * guest that takes over the monitor holds as little as possible even where
 * the seccomp filters let a call through (or are off).
 */
#include "sandbox.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The smallest kept descriptor >= from, or -1. */
static int next_kept(const int *keep, size_t n, int from)
{
	int best = -1;

	for (size_t i = 0; i < n; i++)
		if (keep[i] >= from && (best < 0 || keep[i] < best))
			best = keep[i];
	return best;
}

static int close_span(unsigned lo, unsigned hi)
{
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
	/* Before Linux 5.9: one by one, up to the descriptor limit (never
	 * infinite for RLIMIT_NOFILE: the kernel caps it at fs.nr_open). */
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if (rl.rlim_cur <= hi)
		hi = (unsigned)rl.rlim_cur - 1;
	for (uint64_t fd = lo; fd <= hi; fd++)
		close((int)fd);
	return 0;
}

/* Closes everything above stderr that keep does not name; returns the
 * highest descriptor left open. */
static int close_others(const int *keep, size_t n, char *err, size_t errlen)
{
	int from = 3, k, highest = 2;

	while ((k = next_kept(keep, n, from)) >= 0) {
		if (k > from && close_span((unsigned)from, (unsigned)k - 1) < 0)
			goto fail;
		if (k > highest)
			highest = k;
		from = k + 1;
	}
	if (close_span((unsigned)from, ~0u) < 0)
		goto fail;
	return highest;
fail:
	snprintf(err, errlen, "sandbox: closing descriptors from %d: %s", from, strerror(errno));
	return -1;
}

static int drop_capabilities(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, caps) < 0) {
		snprintf(err, errlen, "sandbox: capget: %s", strerror(errno));
		return -1;
	}
	/* Ambient capabilities would pass to a child.  Kernels before 4.3
	 * have none and answer EINVAL. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		snprintf(err, errlen, "sandbox: clearing ambient capabilities: %s", strerror(errno));
		return -1;
	}
	/* The bounding set needs CAP_SETPCAP to shrink, so it goes first.
	 * Without CAP_SETPCAP (an ordinary user) it cannot matter: with
	 * no_new_privs set, no execve can raise capabilities up to it. */
	if (caps[CAP_SETPCAP / 32].effective & (1u << (CAP_SETPCAP % 32))) {
		/* DROP alone, until the kernel says the number is past its last
		 * capability: half the system calls of READ-then-DROP, on the
		 * boot path. */
		for (int cap = 0;; cap++)
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
				if (errno == EINVAL && cap > CAP_SETPCAP)
					break;
				snprintf(err, errlen, "sandbox: dropping capability %d from the bounding set: %s",
					 cap, strerror(errno));
				return -1;
			}
	}
	memset(caps, 0, sizeof(caps));
	if (syscall(SYS_capset, &hdr, caps) < 0) {
		snprintf(err, errlen, "sandbox: capset: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int sandbox_drop_privileges(const int *keep_fds, size_t nkeep, char *err, size_t errlen)
{
	const struct rlimit no_core = { 0, 0 };
	struct rlimit files;
	int highest;

	/* Also what lets an unprivileged process load a seccomp filter. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "sandbox: prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
		return -1;
	}
	/* A core dump would write guest memory to disk. */
	if (setrlimit(RLIMIT_CORE, &no_core) < 0) {
		snprintf(err, errlen, "sandbox: setrlimit(RLIMIT_CORE): %s", strerror(errno));
		return -1;
	}
	highest = close_others(keep_fds, nkeep, err, errlen);
	if (highest < 0)
		return -1;
	/* Nothing is opened after set-up, so no descriptor needs to be higher
	 * than the ones kept. */
	files.rlim_cur = files.rlim_max = (rlim_t)highest + 1;
	if (setrlimit(RLIMIT_NOFILE, &files) < 0) {
		snprintf(err, errlen, "sandbox: setrlimit(RLIMIT_NOFILE, %d): %s", highest + 1,
			 strerror(errno));
		return -1;
	}
	return drop_capabilities(err, errlen);
}

int sandbox_forbid_new_processes(char *err, size_t errlen)
{
	const struct rlimit none = { 0, 0 };

	if (setrlimit(RLIMIT_NPROC, &none) < 0) {
		snprintf(err, errlen, "sandbox: setrlimit(RLIMIT_NPROC, 0): %s", strerror(errno));
		return -1;
	}
	return 0;
}
