/*
 * The sandbox: a system-call allow-list per thread role (seccomp), then
 * fewer privileges for the whole process (jail.c).  The allow-lists are
 * data, in seccomp/policy.c; docs/SECURITY.md justifies every entry.
 */
#ifndef FLINT_SANDBOX_H
#define FLINT_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum seccomp_mode {
	SECCOMP_MODE_OFF,   /* no filter; a warning says so */
	SECCOMP_MODE_LOG,   /* everything runs; calls outside the list go to the kernel log */
	SECCOMP_MODE_TRAP,  /* a call outside the list: message on stderr, exit 159 (default) */
	SECCOMP_MODE_KILL,  /* a call outside the list: the kernel kills the process (SIGSYS) */
};

enum sandbox_role {
	SANDBOX_ROLE_MAIN,  /* the event loop, after set-up */
	SANDBOX_ROLE_VCPU,  /* one per vCPU: KVM_RUN and its exits */
	SANDBOX_ROLE_TEARDOWN, /* the helper that outlives the monitor (vmm/machine/teardown.c) */
	SANDBOX_ROLE_SAVE_HELPER, /* creates snapshot files for the monitor (vmm/machine/snapshot/save_helper.c) */
	SANDBOX_ROLE_SERVE, /* flint serve's supervisor, build/flint-serve, once it listens (serve/main.c) */
	SANDBOX_ROLE_COUNT,
};

/* 128 + SIGSYS: what a shell reports for a process killed by SIGSYS, so
 * trap and kill modes end with the same status. */
#define FLINT_EXIT_BAD_SYSCALL 159

/* "kill", "trap", "log" or "off" -> 0; anything else -> -1. */
int seccomp_mode_parse(const char *s, enum seccomp_mode *out);
const char *seccomp_mode_name(enum seccomp_mode m);
/* "main", "vcpu", "teardown", "saver", "serve"; NULL for anything else. */
const char *sandbox_role_name(enum sandbox_role r);
int sandbox_role_parse(const char *s, enum sandbox_role *out);

/*
 * Installs role's filter, compiled when flint was built (compile.h), on
 * the calling thread only (filters stack: a thread created afterwards
 * inherits it).  index tells threads of one role apart in messages
 * ("vcpu3"); roles with one thread ignore it.  Mode off installs nothing
 * and warns once per process on stderr.  Trap mode also installs the
 * SIGSYS handler.  Returns 0, or -1 with a message in err.
 */
int seccomp_install(enum sandbox_role role, unsigned index, enum seccomp_mode mode,
		    char *err, size_t errlen);

/* Prints the allow-list of role, or of every role when role < 0, as a
 * table: syscall, argument conditions, why. */
void seccomp_dump(FILE *out, int role);

/*
 * The jail (jail.c).  Call on the main thread once every device and vCPU
 * descriptor is open and before any other thread starts, so the threads
 * inherit it: sets no_new_privs, turns core dumps off (guest memory would
 * be in them), closes every descriptor above 2 not in keep_fds (any
 * number of them), caps RLIMIT_NOFILE at sandbox_nofile_limit(), and drops
 * every capability (effective, permitted, inheritable, ambient and, when
 * allowed, the bounding set).  Returns 0, or -1 with a message in err.
 */
int sandbox_drop_privileges(const int *keep_fds, size_t nkeep, char *err, size_t errlen);
/*
 * Descriptors the process may still open once sandboxed, above the highest
 * kept one: room for run-time clients (a connection to a control socket),
 * while a guest that takes over the monitor still cannot hoard thousands.
 */
#define SANDBOX_FD_HEADROOM 32
/* RLIMIT_NOFILE in the jail: highest_kept + 1 + SANDBOX_FD_HEADROOM, at
 * most `hard` (the limit it had). */
unsigned long long sandbox_nofile_limit(int highest_kept, unsigned long long hard);
/* RLIMIT_NPROC = 0: no new process or thread for a non-root user.  Call
 * once every thread exists. */
int sandbox_forbid_new_processes(char *err, size_t errlen);

/* Namespaces the jail can give flint its own of ([sandbox] namespaces). */
enum sandbox_namespace {
	SANDBOX_NS_MOUNT,
	SANDBOX_NS_IPC,
	SANDBOX_NS_COUNT,
};

/* "mount", "ipc"; NULL for anything else. */
const char *sandbox_namespace_name(enum sandbox_namespace ns);

/* The optional part of the jail: [sandbox] chroot, uid, gid, namespaces.
 * All zero (the default) means none of it. */
struct sandbox_jail {
	char *root;              /* chroot into this directory; NULL: stay */
	bool set_uid, set_gid;
	uint32_t uid, gid;       /* applied when set_uid / set_gid */
	unsigned namespaces;     /* bit (1u << SANDBOX_NS_*) per new namespace */
};

/*
 * Enters the jail j describes: new namespaces, then the chroot, then the
 * user and group (supplementary groups cleared when root).  Call on the
 * main thread right before sandbox_drop_privileges() and, like it, before
 * any other thread starts: unshare(CLONE_NEWNS) gives the calling thread
 * a file-system context of its own, so a thread alive then would keep the
 * host's root and mounts (threads started later inherit the new ones).
 * It needs root's capabilities (CAP_SYS_ADMIN, CAP_SYS_CHROOT, CAP_SETUID,
 * CAP_SETGID); the messages say which one is missing.  Makes no system
 * call when j asks for nothing.  Returns 0, or -1 with a message in err
 * that names the [sandbox] key, and the key itself in *key (if key is not
 * NULL) for the caller to say where it was configured.
 */
int sandbox_jail_enter(const struct sandbox_jail *j, const char **key, char *err, size_t errlen);
/*
 * What sandbox_jail_enter(j) would refuse here, found without doing any of
 * it (`flint check`): a missing chroot directory, a capability this
 * process lacks.  Calls report() once per failing [sandbox] key with the
 * message sandbox_jail_enter() would give; returns how many.
 */
int sandbox_jail_check(const struct sandbox_jail *j,
		       void (*report)(void *ctx, const char *key, const char *msg), void *ctx);

#endif
