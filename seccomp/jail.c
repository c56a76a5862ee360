/*
 * The jail: what the process gives up once the VM is built, so that a
 * guest that takes over the monitor holds as little as possible even where
 * the seccomp filters let a call through (or are off).
 */
#include "sandbox.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
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

/* 1 if the calling thread holds cap (effective), 0 if not, -1 with a message. */
static int holds(int cap, char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, caps) < 0) {
		snprintf(err, errlen, "sandbox: capget: %s", strerror(errno));
		return -1;
	}
	return !!(caps[cap / 32].effective & (1u << (cap % 32)));
}

/* Needs CAP_SETPCAP.  Without it (an ordinary user) the bounding set
 * cannot matter: with no_new_privs set, no execve can raise capabilities
 * up to it. */
static int drop_bounding_set(char *err, size_t errlen)
{
	/* DROP alone, until the kernel says the number is past its last
	 * capability: half the system calls of READ-then-DROP, on the boot
	 * path. */
	for (int cap = 0;; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL && cap > CAP_SETPCAP)
				return 0;
			snprintf(err, errlen, "sandbox: dropping capability %d from the bounding set: %s", cap,
				 strerror(errno));
			return -1;
		}
}

static int drop_capabilities(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = { 0 };
	int setpcap = holds(CAP_SETPCAP, err, errlen);

	if (setpcap < 0)
		return -1;
	/* Ambient capabilities would pass to a child.  Kernels before 4.3
	 * have none and answer EINVAL. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		snprintf(err, errlen, "sandbox: clearing ambient capabilities: %s", strerror(errno));
		return -1;
	}
	/* The bounding set needs CAP_SETPCAP to shrink, so it goes first. */
	if (setpcap && drop_bounding_set(err, errlen) < 0)
		return -1;
	if (syscall(SYS_capset, &hdr, none) < 0) {
		snprintf(err, errlen, "sandbox: capset: %s", strerror(errno));
		return -1;
	}
	return 0;
}

unsigned long long sandbox_nofile_limit(int highest_kept, unsigned long long hard)
{
	unsigned long long want = (unsigned long long)highest_kept + 1 + SANDBOX_FD_HEADROOM;

	/* Never above the hard limit: a non-root process cannot raise it. */
	return want < hard ? want : hard;
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
	if (getrlimit(RLIMIT_NOFILE, &files) < 0) {
		snprintf(err, errlen, "sandbox: getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
		return -1;
	}
	files.rlim_cur = files.rlim_max = sandbox_nofile_limit(highest, files.rlim_max);
	if (setrlimit(RLIMIT_NOFILE, &files) < 0) {
		snprintf(err, errlen, "sandbox: setrlimit(RLIMIT_NOFILE, %llu): %s",
			 (unsigned long long)files.rlim_cur, strerror(errno));
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

/* ---- [sandbox] namespaces, chroot, uid, gid ---------------------------- */

static const struct {
	const char *name;
	int flag;               /* for unshare() */
} namespaces[SANDBOX_NS_COUNT] = {
	[SANDBOX_NS_MOUNT] = { "mount", CLONE_NEWNS },
	[SANDBOX_NS_IPC] = { "ipc", CLONE_NEWIPC },
};

const char *sandbox_namespace_name(enum sandbox_namespace ns)
{
	return (unsigned)ns < SANDBOX_NS_COUNT ? namespaces[ns].name : NULL;
}

static int enter_namespaces(unsigned set, char *err, size_t errlen)
{
	char names[32] = "";
	size_t n = 0;
	int flags = 0;

	for (unsigned ns = 0; ns < SANDBOX_NS_COUNT; ns++)
		if (set & (1u << ns)) {
			flags |= namespaces[ns].flag;
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", n ? "," : "",
					      namespaces[ns].name);
		}
	/* One call for all of them: each is a new, empty one of its kind
	 * (the mount namespace a copy of the host's mounts). */
	if (unshare(flags) < 0) {
		snprintf(err, errlen, "[sandbox] namespaces = %s: %s", names,
			 errno == EPERM ? "needs root (CAP_SYS_ADMIN)" : strerror(errno));
		return -1;
	}
	/* The copy is still joined to the host's mounts: under shared
	 * propagation (systemd's default) a file system mounted on the host
	 * later would appear here too, inside the chroot. */
	if ((set & (1u << SANDBOX_NS_MOUNT)) && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		snprintf(err, errlen, "[sandbox] namespaces = %s: making the mounts private: %s", names,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int enter_root(const char *dir, char *err, size_t errlen)
{
	const char *why;

	/* chdir too: a working directory left outside the new root is the
	 * classic way back out of a chroot. */
	if (chroot(dir) == 0 && chdir("/") == 0)
		return 0;
	switch (errno) {
	case EPERM: why = "needs root (CAP_SYS_CHROOT)"; break;
	case ENOENT: why = "no such directory (create it; an empty one will do)"; break;
	case ENOTDIR: why = "not a directory"; break;
	default: why = strerror(errno); break;
	}
	snprintf(err, errlen, "[sandbox] chroot = \"%s\": %s", dir, why);
	return -1;
}

static int change_identity(const struct sandbox_jail *j, const char **key, char *err, size_t errlen)
{
	int setpcap;

	/* Root's supplementary groups would outlive the new uid and gid.  An
	 * ordinary user may not drop its own, so it is not asked to. */
	if (geteuid() == 0 && setgroups(0, NULL) < 0) {
		snprintf(err, errlen, "[sandbox] %s: clearing the supplementary groups: %s",
			 j->set_uid ? "uid" : "gid", errno == EPERM ? "needs CAP_SETGID" : strerror(errno));
		return -1;
	}
	/* The group first: once the uid is not 0, changing it takes CAP_SETGID
	 * that the process no longer has. */
	*key = "gid";
	if (j->set_gid && setresgid(j->gid, j->gid, j->gid) < 0) {
		snprintf(err, errlen, "[sandbox] gid = %u: %s", (unsigned)j->gid,
			 errno == EPERM ? "needs root (CAP_SETGID) unless it is your own group id" : strerror(errno));
		return -1;
	}
	if (!j->set_uid)
		return 0;
	*key = "uid";
	/* Leaving uid 0 takes the effective and permitted capabilities away,
	 * not the bounding set, and shrinking that needs CAP_SETPCAP: now or
	 * never. */
	setpcap = holds(CAP_SETPCAP, err, errlen);
	if (setpcap < 0 || (setpcap && drop_bounding_set(err, errlen) < 0))
		return -1;
	if (setresuid(j->uid, j->uid, j->uid) < 0) {
		snprintf(err, errlen, "[sandbox] uid = %u: %s", (unsigned)j->uid,
			 errno == EPERM ? "needs root (CAP_SETUID) unless it is your own user id" : strerror(errno));
		return -1;
	}
	return 0;
}

int sandbox_jail_enter(const struct sandbox_jail *j, const char **key, char *err, size_t errlen)
{
	const char *dummy;

	if (!key)
		key = &dummy;
	/* Namespaces first: the mounts are made private through "/", which
	 * after the chroot is the jail's directory, seldom a mount point.  The
	 * user last: the other steps need root's capabilities, which a new
	 * uid loses. */
	*key = "namespaces";
	if (j->namespaces && enter_namespaces(j->namespaces, err, errlen) < 0)
		return -1;
	*key = "chroot";
	if (j->root && enter_root(j->root, err, errlen) < 0)
		return -1;
	*key = j->set_uid ? "uid" : "gid";
	if ((j->set_uid || j->set_gid) && change_identity(j, key, err, errlen) < 0)
		return -1;
	return 0;
}

/* Is id one of the three the process has (real, effective, saved)?  Those
 * an unprivileged process may switch to. */
static bool own_id(uint32_t id, bool group)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;

	if (group)
		return getresgid(&rg, &eg, &sg) == 0 && (id == rg || id == eg || id == sg);
	return getresuid(&r, &e, &s) == 0 && (id == r || id == e || id == s);
}

int sandbox_jail_check(const struct sandbox_jail *j,
		       void (*report)(void *ctx, const char *key, const char *msg), void *ctx)
{
	char msg[512], names[32] = "";
	struct stat st;
	int problems = 0;
	size_t n = 0;

	/* The same order and the same words as sandbox_jail_enter(); holds()
	 * fails only if capget does, and then the run would fail too. */
	if (j->namespaces && holds(CAP_SYS_ADMIN, msg, sizeof(msg)) != 1) {
		for (unsigned ns = 0; ns < SANDBOX_NS_COUNT; ns++)
			if (j->namespaces & (1u << ns))
				n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", n ? "," : "",
						      namespaces[ns].name);
		snprintf(msg, sizeof(msg), "[sandbox] namespaces = %s: needs root (CAP_SYS_ADMIN)", names);
		report(ctx, "namespaces", msg);
		problems++;
	}
	if (j->root) {
		const char *why = NULL;

		/* chroot(2) looks the path up before it asks for the capability. */
		if (stat(j->root, &st) < 0)
			why = errno == ENOENT ? "no such directory (create it; an empty one will do)" :
			      errno == ENOTDIR ? "not a directory" : strerror(errno);
		else if (!S_ISDIR(st.st_mode))
			why = "not a directory";
		else if (holds(CAP_SYS_CHROOT, msg, sizeof(msg)) != 1)
			why = "needs root (CAP_SYS_CHROOT)";
		if (why) {
			snprintf(msg, sizeof(msg), "[sandbox] chroot = \"%s\": %s", j->root, why);
			report(ctx, "chroot", msg);
			problems++;
		}
	}
	if ((j->set_uid || j->set_gid) && geteuid() == 0 && holds(CAP_SETGID, msg, sizeof(msg)) != 1) {
		snprintf(msg, sizeof(msg), "[sandbox] %s: clearing the supplementary groups: needs CAP_SETGID",
			 j->set_uid ? "uid" : "gid");
		report(ctx, j->set_uid ? "uid" : "gid", msg);
		return problems + 1;
	}
	if (j->set_gid && !own_id(j->gid, true) && holds(CAP_SETGID, msg, sizeof(msg)) != 1) {
		snprintf(msg, sizeof(msg), "[sandbox] gid = %u: needs root (CAP_SETGID) unless it is your own "
			 "group id", (unsigned)j->gid);
		report(ctx, "gid", msg);
		problems++;
	}
	if (j->set_uid && !own_id(j->uid, false) && holds(CAP_SETUID, msg, sizeof(msg)) != 1) {
		snprintf(msg, sizeof(msg), "[sandbox] uid = %u: needs root (CAP_SETUID) unless it is your own "
			 "user id", (unsigned)j->uid);
		report(ctx, "uid", msg);
		problems++;
	}
	return problems;
}
