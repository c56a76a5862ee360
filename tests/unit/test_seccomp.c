/*
 * The sandbox, tested for real: each case forks a child that installs a
 * role's filter and then makes one call; the parent reads how the child
 * ended and what it wrote on stderr.
 *
 * After installing, children make only raw system calls and leave with
 * exit_group: this binary is built with ASan/UBSan, whose runtimes make
 * calls of their own that the monitor never makes and the filters rightly
 * refuse (leak checking at exit() clones and ptraces; the hook before any
 * call that does not return asks sigaltstack).
 */
#include "check.h"
#include "compile.h"
#include "policy.h"
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/seccomp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/kvm.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

struct outcome {
	int status;      /* from waitpid */
	pid_t pid;
	char err[4096];  /* the child's stderr */
};

/* Not _Noreturn: ASan's hook before a call that does not return asks
 * sigaltstack, which the filters refuse. */
static void child_exit(int code)
{
	syscall(SYS_exit_group, code);
}

/* In a child: install or report why not (status 99). */
static void install(enum sandbox_role role, unsigned index, enum seccomp_mode mode)
{
	char err[256];

	if (seccomp_install(role, index, mode, err, sizeof(err)) < 0) {
		dprintf(STDERR_FILENO, "install: %s\n", err);
		child_exit(99);
	}
}

static pid_t parent_pid;

/* Runs fn(arg) in a child whose stderr comes back in o->err. */
static void spawn(struct outcome *o, void (*fn)(const void *), const void *arg)
{
	int p[2];
	size_t len = 0;
	ssize_t n;

	*o = (struct outcome){ .status = -1 };
	parent_pid = getpid();
	if (pipe(p) < 0)
		return;
	fflush(NULL);
	o->pid = fork();
	if (o->pid == 0) {
		close(p[0]);
		dup2(p[1], STDERR_FILENO);
		fn(arg);
		child_exit(0);
	}
	close(p[1]);
	while (o->pid > 0 && (n = read(p[0], o->err + len, sizeof(o->err) - 1 - len)) > 0)
		len += (size_t)n;
	o->err[len] = 0;
	close(p[0]);
	if (o->pid > 0)
		waitpid(o->pid, &o->status, 0);
}

/* Whether the child ended as expected; if not, says how it did end. */
static bool ended(const struct outcome *o, bool ok)
{
	if (!ok) {
		if (WIFSIGNALED(o->status))
			fprintf(stderr, "  child killed by signal %d", WTERMSIG(o->status));
		else
			fprintf(stderr, "  child exited with status %d", WEXITSTATUS(o->status));
		fprintf(stderr, "%s%s\n", o->err[0] ? "; its stderr:\n" : "", o->err);
	}
	return ok;
}

static bool killed_by_sigsys(const struct outcome *o)
{
	return ended(o, WIFSIGNALED(o->status) && WTERMSIG(o->status) == SIGSYS);
}

static bool exited(const struct outcome *o, int code)
{
	return ended(o, WIFEXITED(o->status) && WEXITSTATUS(o->status) == code);
}

/* ---- parsing and the dump ---- */

TEST(mode_parse_accepts_the_four_modes)
{
	static const struct { const char *s; enum seccomp_mode m; } ok[] = {
		{ "kill", SECCOMP_MODE_KILL }, { "trap", SECCOMP_MODE_TRAP },
		{ "log", SECCOMP_MODE_LOG }, { "off", SECCOMP_MODE_OFF },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		enum seccomp_mode m = SECCOMP_MODE_OFF;

		CHECK(seccomp_mode_parse(ok[i].s, &m) == 0);
		CHECK(m == ok[i].m);
		CHECK(!strcmp(seccomp_mode_name(m), ok[i].s));
	}
}

TEST(mode_parse_rejects_anything_else)
{
	enum seccomp_mode m = SECCOMP_MODE_KILL;

	CHECK(seccomp_mode_parse("KILL", &m) < 0);
	CHECK(seccomp_mode_parse("", &m) < 0);
	CHECK(seccomp_mode_parse("trap ", &m) < 0);
	CHECK(seccomp_mode_parse("strict", &m) < 0);
	CHECK(seccomp_mode_parse(NULL, &m) < 0);
	CHECK(m == SECCOMP_MODE_KILL);
	CHECK(seccomp_mode_name((enum seccomp_mode)42) == NULL);
}

TEST(role_names_round_trip)
{
	enum sandbox_role r;

	for (int i = 0; i < SANDBOX_ROLE_COUNT; i++) {
		CHECK(sandbox_role_name((enum sandbox_role)i) != NULL);
		CHECK(sandbox_role_parse(sandbox_role_name((enum sandbox_role)i), &r) == 0 && (int)r == i);
	}
	CHECK(!strcmp(sandbox_role_name(SANDBOX_ROLE_MAIN), "main"));
	CHECK(!strcmp(sandbox_role_name(SANDBOX_ROLE_VCPU), "vcpu"));
	CHECK(sandbox_role_name(SANDBOX_ROLE_COUNT) == NULL);
	CHECK(sandbox_role_parse("io", &r) < 0);
	CHECK(sandbox_role_parse(NULL, &r) < 0);
}

static char *dump(int role)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	seccomp_dump(f, role);
	fclose(f);
	return buf;
}

TEST(dump_lists_every_role_with_conditions)
{
	char *all = dump(-1), *vcpu = dump(SANDBOX_ROLE_VCPU), *mainr = dump(SANDBOX_ROLE_MAIN);

	CHECK_CONTAINS(all, "role main");
	CHECK_CONTAINS(all, "role vcpu");
	CHECK_CONTAINS(all, "arg1 == KVM_RUN (0xae80)");
	CHECK_CONTAINS(all, "(arg2 & PROT_EXEC) == 0");
	CHECK_CONTAINS(all, "arg0 == getpid() && arg2 == SIGUSR1");
	CHECK_CONTAINS(vcpu, "KVM_RUN");
	CHECK(vcpu && !strstr(vcpu, "role main") && !strstr(vcpu, "epoll_wait"));
	CHECK_CONTAINS(mainr, "epoll_wait");
	CHECK(mainr && !strstr(mainr, "arg1 == KVM_"));
	/* Nothing that creates, executes or reaches outside is on any list. */
	for (const char *const *s = (const char *const[]){ "open", "socket", "execve", "clone",
							   "fork", "ptrace", NULL }; *s; s++) {
		char needle[32];

		snprintf(needle, sizeof(needle), "\n  %s ", *s);
		CHECK(all && !strstr(all, needle));
	}
	free(all);
	free(vcpu);
	free(mainr);
}

/* docs/SECURITY.md's table for role, from its heading to the next one. */
static char *security_md_section(const char *doc, const char *role)
{
	char heading[64];
	const char *start, *end;

	snprintf(heading, sizeof(heading), "### Role `%s`", role);
	start = strstr(doc, heading);
	if (!start)
		return NULL;
	end = strstr(start + 1, "\n#");
	return strndup(start, end ? (size_t)(end - start) : strlen(start));
}

static bool role_allows(const struct policy_role *pr, const char *name, size_t len)
{
	for (size_t i = 0; i < pr->nrules; i++)
		if (strlen(pr->rules[i].syscall) == len && !strncmp(pr->rules[i].syscall, name, len))
			return true;
	return false;
}

/* The policy and its justification cannot drift apart. */
TEST(security_md_justifies_exactly_the_allowed_calls)
{
	FILE *f = fopen("docs/SECURITY.md", "r");
	char *doc = NULL;
	size_t cap = 0;

	if (!f) {
		fprintf(stderr, "  docs/SECURITY.md: cannot open (run from the repository root)\n");
		check_failed_now = 1;
		return;
	}
	if (getdelim(&doc, &cap, 0, f) < 0) {
		free(doc);
		doc = NULL;
	}
	fclose(f);
	for (int r = 0; doc && r < SANDBOX_ROLE_COUNT; r++) {
		const struct policy_role *pr = &policy_roles[r];
		char *sec = security_md_section(doc, pr->name), *row;

		if (!sec) {
			fprintf(stderr, "  docs/SECURITY.md: no \"### Role `%s`\" section\n", pr->name);
			check_failed_now = 1;
			continue;
		}
		for (size_t i = 0; i < pr->nrules; i++) {
			char cell[64];

			snprintf(cell, sizeof(cell), "\n| `%s` |", pr->rules[i].syscall);
			if (!strstr(sec, cell)) {
				fprintf(stderr, "  docs/SECURITY.md: role %s allows %s but does not say why\n",
					pr->name, pr->rules[i].syscall);
				check_failed_now = 1;
			}
		}
		for (row = strstr(sec, "\n| `"); row; row = strstr(row + 1, "\n| `")) {
			const char *name = row + 4, *close = strchr(name, '`');

			if (close && !role_allows(pr, name, (size_t)(close - name))) {
				fprintf(stderr, "  docs/SECURITY.md: role %s lists %.*s, which the policy does not allow\n",
					pr->name, (int)(close - name), name);
				check_failed_now = 1;
			}
		}
		free(sec);
	}
	CHECK(doc != NULL);
	free(doc);
}

/* ---- the programs generated at build time ---- */

/* Whether a and b are the same program; if not, says where they part. */
static bool same_program(const char *what, const struct sock_filter *a, size_t alen,
			 const struct sock_filter *b, size_t blen)
{
	size_t i = 0;

	if (alen == blen && !memcmp(a, b, alen * sizeof(*a)))
		return true;
	while (i < alen && i < blen && !memcmp(&a[i], &b[i], sizeof(*a)))
		i++;
	fprintf(stderr, "  %s: %zu and %zu instructions, first difference at %zu\n", what, alen,
		blen, i);
	return false;
}

/*
 * build/gen/seccomp_filters.c cannot drift from policy.c (or from the
 * libseccomp installed): each program is compared byte for byte with what
 * libseccomp compiles from the table now.  A failure here means a stale
 * build: `make` regenerates the file.
 */
TEST(generated_programs_are_what_libseccomp_makes_of_the_policy)
{
	for (int r = 0; r < SANDBOX_ROLE_COUNT; r++)
		for (int m = SECCOMP_MODE_LOG; m <= SECCOMP_MODE_KILL; m++) {
			const struct seccomp_program *gen = &seccomp_gen_programs[r][m];
			struct sock_filter *want = NULL;
			size_t len = 0;
			char err[256], what[64];

			snprintf(what, sizeof(what), "role %s, mode %s", policy_roles[r].name,
				 seccomp_mode_name((enum seccomp_mode)m));
			CHECK(policy_compile((enum sandbox_role)r, (enum seccomp_mode)m,
					     SECCOMP_PID_PLACEHOLDER, &want, &len, err, sizeof(err)) == 0);
			CHECK(want && same_program(what, gen->insns, gen->len, want, len));
			free(want);
		}
}

/* What seccomp_install loads is libseccomp's program for this very
 * process: the placeholder replaced everywhere, nothing else touched. */
static bool role_names_self(int r)
{
	for (size_t i = 0; i < policy_roles[r].nrules; i++)
		for (int c = 0; c < POLICY_MAX_CONDS; c++)
			if (policy_roles[r].rules[i].cond[c].op == POLICY_EQ_SELF_PID)
				return true;
	return false;
}

TEST(installed_program_carries_this_process_s_id)
{
	static struct sock_filter got[SECCOMP_PROGRAM_MAX];
	uint32_t pid = (uint32_t)getpid();

	for (int r = 0; r < SANDBOX_ROLE_COUNT; r++)
		for (int m = SECCOMP_MODE_LOG; m <= SECCOMP_MODE_KILL; m++) {
			const struct seccomp_program *gen = &seccomp_gen_programs[r][m];
			struct sock_filter *want = NULL;
			size_t len = 0, got_len;
			char err[256], what[64];

			snprintf(what, sizeof(what), "role %s, mode %s, pid %u", policy_roles[r].name,
				 seccomp_mode_name((enum seccomp_mode)m), pid);
			got_len = seccomp_program_build((enum sandbox_role)r, (enum seccomp_mode)m, pid, got);
			CHECK(policy_compile((enum sandbox_role)r, (enum seccomp_mode)m, pid, &want, &len,
					     err, sizeof(err)) == 0);
			CHECK(want && same_program(what, got, got_len, want, len));
			free(want);
			/* A role that names its own process (tgkill to itself) has
			 * the pid patched in; the teardown helper signals nothing. */
			CHECK((gen->npid > 0) == role_names_self(r));
			for (size_t i = 0; i < gen->npid; i++)
				CHECK(gen->insns[gen->pid_at[i]].k == SECCOMP_PID_PLACEHOLDER &&
				      got[gen->pid_at[i]].k == pid);
			for (size_t i = 0; i < got_len; i++)
				CHECK(got[i].k != SECCOMP_PID_PLACEHOLDER);
		}
	CHECK(seccomp_program_build(SANDBOX_ROLE_MAIN, SECCOMP_MODE_OFF, pid, got) == 0);
	CHECK(seccomp_program_build(SANDBOX_ROLE_COUNT, SECCOMP_MODE_KILL, pid, got) == 0);
	CHECK(seccomp_program_build(SANDBOX_ROLE_VCPU, (enum seccomp_mode)42, pid, got) == 0);
}

/* The trap handler's generated tables, against libseccomp's answers now. */
TEST(trap_tables_match_libseccomp)
{
	uint8_t tested[SANDBOX_ROLE_COUNT][SECCOMP_NAMES_MAX] = { { 0 } };

	for (int nr = 0; nr < SECCOMP_NAMES_MAX; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		const char *gen = seccomp_gen_syscall_names[nr];

		if (name ? !gen || strcmp(name, gen) : gen != NULL) {
			fprintf(stderr, "  system call %d: libseccomp says %s, the generated table %s\n", nr,
				name ? name : "(none)", gen ? gen : "(none)");
			check_failed_now = 1;
		}
		free(name);
	}
	for (int r = 0; r < SANDBOX_ROLE_COUNT; r++)
		for (size_t i = 0; i < policy_roles[r].nrules; i++) {
			const struct policy_rule *rule = &policy_roles[r].rules[i];
			int nr = seccomp_syscall_resolve_name(rule->syscall);

			CHECK(nr >= 0 && nr < SECCOMP_NAMES_MAX);
			if (nr < 0 || nr >= SECCOMP_NAMES_MAX)
				continue;
			for (int c = 0; c < POLICY_MAX_CONDS && rule->cond[c].op; c++)
				tested[r][nr] |= (uint8_t)(1u << rule->cond[c].arg);
		}
	CHECK(!memcmp(tested, seccomp_gen_tested_args, sizeof(tested)));
	CHECK(!strcmp(seccomp_gen_syscall_names[SYS_ioctl], "ioctl"));
	CHECK(seccomp_gen_tested_args[SANDBOX_ROLE_VCPU][SYS_ioctl] == 1u << 1);
}

/* ---- every role loads in every mode ---- */

struct install_case {
	enum sandbox_role role;
	enum seccomp_mode mode;
};

static void just_install(const void *arg)
{
	const struct install_case *c = arg;

	install(c->role, 0, c->mode);
}

TEST(every_role_installs_in_every_mode)
{
	for (int r = 0; r < SANDBOX_ROLE_COUNT; r++)
		for (int m = SECCOMP_MODE_LOG; m <= SECCOMP_MODE_KILL; m++) {
			struct install_case c = { (enum sandbox_role)r, (enum seccomp_mode)m };
			struct outcome o;

			spawn(&o, just_install, &c);
			CHECK(exited(&o, 0));
		}
}

/* ---- kill: forbidden calls end the process with SIGSYS ---- */

static void vcpu_kill_socket(const void *arg)
{
	(void)arg;
	install(SANDBOX_ROLE_VCPU, 0, SECCOMP_MODE_KILL);
	syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	child_exit(1);
}

TEST(kill_socket_dies_by_sigsys)
{
	struct outcome o;

	spawn(&o, vcpu_kill_socket, NULL);
	CHECK(killed_by_sigsys(&o));
}

static void main_kill_execve(const void *arg)
{
	char *const argv[] = { "true", NULL };

	(void)arg;
	install(SANDBOX_ROLE_MAIN, 0, SECCOMP_MODE_KILL);
	syscall(SYS_execve, "/bin/true", argv, argv + 1);
	child_exit(1);
}

TEST(kill_execve_dies_by_sigsys)
{
	struct outcome o;

	spawn(&o, main_kill_execve, NULL);
	CHECK(killed_by_sigsys(&o));
}

static void vcpu_kill_tcgets(const void *arg)
{
	struct termios t;

	(void)arg;
	install(SANDBOX_ROLE_VCPU, 0, SECCOMP_MODE_KILL);
	syscall(SYS_ioctl, 0, TCGETS, &t);
	child_exit(1);
}

TEST(kill_ioctl_with_a_non_kvm_request_dies)
{
	struct outcome o;

	spawn(&o, vcpu_kill_tcgets, NULL);
	CHECK(killed_by_sigsys(&o));
}

static void vcpu_kill_vm_ioctl(const void *arg)
{
	(void)arg;
	install(SANDBOX_ROLE_VCPU, 0, SECCOMP_MODE_KILL);
	/* A KVM request, but one only set-up makes: vCPU threads never do. */
	syscall(SYS_ioctl, -1, KVM_SET_USER_MEMORY_REGION, NULL);
	child_exit(1);
}

TEST(kill_ioctl_with_a_set_up_kvm_request_dies)
{
	struct outcome o;

	spawn(&o, vcpu_kill_vm_ioctl, NULL);
	CHECK(killed_by_sigsys(&o));
}

static void kill_mprotect_exec(const void *arg)
{
	const enum sandbox_role *role = arg;
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		child_exit(2);
	install(*role, 0, SECCOMP_MODE_KILL);
	syscall(SYS_mprotect, p, 4096, PROT_READ | PROT_EXEC);
	child_exit(1);
}

static void kill_mmap_exec(const void *arg)
{
	const enum sandbox_role *role = arg;

	install(*role, 0, SECCOMP_MODE_KILL);
	syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	child_exit(1);
}

TEST(kill_executable_memory_dies_in_every_role)
{
	for (int r = 0; r < SANDBOX_ROLE_COUNT; r++) {
		enum sandbox_role role = (enum sandbox_role)r;
		struct outcome o;

		spawn(&o, kill_mprotect_exec, &role);
		CHECK(killed_by_sigsys(&o));
		spawn(&o, kill_mmap_exec, &role);
		CHECK(killed_by_sigsys(&o));
	}
}

static void main_kill_openat(const void *arg)
{
	(void)arg;
	install(SANDBOX_ROLE_MAIN, 0, SECCOMP_MODE_KILL);
	syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY);
	child_exit(1);
}

static void main_kill_clone(const void *arg)
{
	(void)arg;
	install(SANDBOX_ROLE_MAIN, 0, SECCOMP_MODE_KILL);
	syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
	child_exit(1);
}

TEST(kill_openat_and_clone_die)
{
	struct outcome o;

	spawn(&o, main_kill_openat, NULL);
	CHECK(killed_by_sigsys(&o));
	spawn(&o, main_kill_clone, NULL);
	CHECK(killed_by_sigsys(&o));
}

static void main_kill_tgkill_parent(const void *arg)
{
	(void)arg;
	install(SANDBOX_ROLE_MAIN, 0, SECCOMP_MODE_KILL);
	/* SIGUSR1 is the kick, but only for this process's threads. */
	syscall(SYS_tgkill, parent_pid, parent_pid, SIGUSR1);
	child_exit(1);
}

TEST(kill_tgkill_to_another_process_dies)
{
	struct outcome o;

	spawn(&o, main_kill_tgkill_parent, NULL);
	CHECK(killed_by_sigsys(&o));
}

static void main_kill_fallocate_grow(const void *arg)
{
	(void)arg;
	install(SANDBOX_ROLE_MAIN, 0, SECCOMP_MODE_KILL);
	/* Mode 0 would grow an image file: only hole punching and zeroing
	 * inside the file are allowed. */
	syscall(SYS_fallocate, -1, 0, 0, 1 << 20);
	child_exit(1);
}

static void vcpu_kill_madvise_other(const void *arg)
{
	(void)arg;
	install(SANDBOX_ROLE_VCPU, 0, SECCOMP_MODE_KILL);
	syscall(SYS_madvise, NULL, 4096, MADV_DONTFORK);
	child_exit(1);
}

TEST(kill_argument_conditions_hold_for_fallocate_and_madvise)
{
	struct outcome o;

	spawn(&o, main_kill_fallocate_grow, NULL);
	CHECK(killed_by_sigsys(&o));
	spawn(&o, vcpu_kill_madvise_other, NULL);
	CHECK(killed_by_sigsys(&o));
}

static void vcpu_kill_block_io(const void *arg)
{
	long nr = (long)(intptr_t)arg;

	install(SANDBOX_ROLE_VCPU, 0, SECCOMP_MODE_KILL);
	/* Block I/O belongs to the event loop: a vCPU making it is an attack. */
	syscall(nr, -1, NULL, 0, 0);
	child_exit(1);
}

TEST(kill_vcpu_role_has_no_block_io)
{
	static const long nrs[] = { SYS_preadv, SYS_pwritev, SYS_pwrite64, SYS_fdatasync, SYS_fallocate };
	struct outcome o;

	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
		spawn(&o, vcpu_kill_block_io, (const void *)(intptr_t)nrs[i]);
		CHECK(killed_by_sigsys(&o));
	}
}

static void vcpu_kill_i386_syscall(const void *arg)
{
	long ret = 20; /* getpid in the i386 table */

	(void)arg;
	install(SANDBOX_ROLE_VCPU, 0, SECCOMP_MODE_KILL);
	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
	child_exit(1);
}

static void vcpu_kill_x32_syscall(const void *arg)
{
	(void)arg;
	install(SANDBOX_ROLE_VCPU, 0, SECCOMP_MODE_KILL);
	/* The x32 numbering of write, which the vcpu role allows natively. */
	syscall(0x40000000 | SYS_write, 2, "x", 1);
	child_exit(1);
}

TEST(kill_i386_and_x32_system_calls_die)
{
	struct outcome o;

	spawn(&o, vcpu_kill_i386_syscall, NULL);
	CHECK(killed_by_sigsys(&o));
	spawn(&o, vcpu_kill_x32_syscall, NULL);
	CHECK(killed_by_sigsys(&o));
}

static void ignore_signal(int sig)
{
	(void)sig;
}

/* The pid in the vcpu role's tgkill rule is this process's, written in
 * at install: abort() may signal the thread itself, nobody else. */
static void vcpu_kill_tgkill(const void *arg)
{
	const bool *other = arg;
	struct sigaction sa = { .sa_handler = ignore_signal };
	long self = syscall(SYS_getpid), tid = syscall(SYS_gettid);

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGABRT, &sa, NULL) < 0)
		child_exit(2);
	install(SANDBOX_ROLE_VCPU, 0, SECCOMP_MODE_KILL);
	if (syscall(SYS_tgkill, self, tid, SIGABRT) != 0)
		child_exit(3);
	/* The parent's pid with this child's tid: had the filter let it
	 * through, the kernel would find no such thread and signal nobody. */
	if (*other)
		syscall(SYS_tgkill, parent_pid, tid, SIGABRT);
	child_exit(0);
}

TEST(kill_vcpu_tgkill_reaches_only_its_own_process)
{
	static const bool self_only = false, other = true;
	struct outcome o;

	spawn(&o, vcpu_kill_tgkill, &self_only);
	CHECK(exited(&o, 0));
	spawn(&o, vcpu_kill_tgkill, &other);
	CHECK(killed_by_sigsys(&o));
}

/* ---- kill: what the roles need still works ---- */

static void vcpu_allowed(const void *arg)
{
	int p[2];
	char c = 'x';
	struct timespec ts;
	void *m;

	(void)arg;
	if (pipe(p) < 0)
		child_exit(2);
	install(SANDBOX_ROLE_VCPU, 0, SECCOMP_MODE_KILL);
	if (syscall(SYS_write, p[1], &c, 1) != 1)
		child_exit(3);
	/* A KVM_RUN on a bad descriptor reaches the kernel, which says EBADF. */
	if (syscall(SYS_ioctl, -1, KVM_RUN, 0) != -1 || errno != EBADF)
		child_exit(4);
	if (syscall(SYS_ioctl, -1, KVM_GET_REGS, NULL) != -1 || errno != EBADF)
		child_exit(5);
	m = (void *)syscall(SYS_mmap, NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		child_exit(6);
	if (syscall(SYS_mprotect, m, 4096, PROT_READ) != 0 ||
	    syscall(SYS_madvise, m, 8192, MADV_DONTNEED) != 0 || syscall(SYS_munmap, m, 8192) != 0)
		child_exit(7);
	if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) != 0)
		child_exit(8);
	if (syscall(SYS_getpid) <= 0 || syscall(SYS_gettid) <= 0)
		child_exit(9);
	child_exit(0);
}

TEST(kill_vcpu_role_allows_what_a_vcpu_does)
{
	struct outcome o;

	spawn(&o, vcpu_allowed, NULL);
	CHECK(exited(&o, 0));
}

static volatile sig_atomic_t kicked;

static void on_kick(int sig)
{
	(void)sig;
	kicked = 1;
}

static void main_allowed(const void *arg)
{
	struct sigaction sa = { .sa_handler = on_kick };
	struct epoll_event ev;
	int p[2], ep = epoll_create1(0);
	char c = 'x';

	(void)arg;
	sigemptyset(&sa.sa_mask);
	if (ep < 0 || pipe(p) < 0 || sigaction(SIGUSR1, &sa, NULL) < 0)
		child_exit(2);
	ev = (struct epoll_event){ .events = EPOLLIN };
	install(SANDBOX_ROLE_MAIN, 0, SECCOMP_MODE_KILL);
	if (syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, p[0], &ev) != 0)
		child_exit(3);
	if (syscall(SYS_write, p[1], &c, 1) != 1 || syscall(SYS_epoll_wait, ep, &ev, 1, 0) != 1 ||
	    syscall(SYS_read, p[0], &c, 1) != 1)
		child_exit(4);
	/* The kick, as vcpu_kick() sends it, here to this very thread. */
	if (syscall(SYS_tgkill, syscall(SYS_getpid), syscall(SYS_gettid), SIGUSR1) != 0 || !kicked)
		child_exit(5);
	if (syscall(SYS_brk, 0) == 0 || syscall(SYS_close, p[0]) != 0)
		child_exit(6);
	child_exit(0);
}

TEST(kill_main_role_allows_the_event_loop_and_the_kick)
{
	struct outcome o;

	spawn(&o, main_allowed, NULL);
	CHECK(exited(&o, 0));
}

/*
 * The monitor's thread life cycle with glibc's own calls, under kill: a
 * vCPU-like thread filters itself and waits on a mutex and condition
 * (futex); main filters itself afterwards, kicks the thread with SIGUSR1
 * through pthread_kill, lets it return (glibc: rt_sigprocmask, madvise,
 * exit) and joins it.
 */
struct lifecycle {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool ready, stop;
	int out_fd;
	enum seccomp_mode mode;
	bool forbidden;  /* the thread makes a forbidden call instead */
};

static void *vcpu_like(void *arg)
{
	struct lifecycle *l = arg;
	char err[256];

	if (seccomp_install(SANDBOX_ROLE_VCPU, 1, l->mode, err, sizeof(err)) < 0)
		child_exit(98);
	if (l->forbidden)
		syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
	pthread_mutex_lock(&l->lock);
	l->ready = true;
	pthread_cond_broadcast(&l->cond);
	while (!l->stop)
		pthread_cond_wait(&l->cond, &l->lock);
	pthread_mutex_unlock(&l->lock);
	if (write(l->out_fd, "v", 1) != 1)
		child_exit(97);
	return NULL;
}

static void threads(const void *arg)
{
	static struct lifecycle l = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	struct sigaction sa = { .sa_handler = on_kick };
	const struct lifecycle *want = arg;
	pthread_t t;
	int p[2];
	char c;

	sigemptyset(&sa.sa_mask);
	if (pipe(p) < 0 || sigaction(SIGUSR1, &sa, NULL) < 0)
		child_exit(2);
	l.out_fd = p[1];
	l.mode = want->mode;
	l.forbidden = want->forbidden;
	if (pthread_create(&t, NULL, vcpu_like, &l))
		child_exit(3);
	pthread_mutex_lock(&l.lock);
	while (!l.ready)
		pthread_cond_wait(&l.cond, &l.lock);
	pthread_mutex_unlock(&l.lock);
	install(SANDBOX_ROLE_MAIN, 0, want->mode);
	if (pthread_kill(t, SIGUSR1))
		child_exit(4);
	pthread_mutex_lock(&l.lock);
	l.stop = true;
	pthread_cond_broadcast(&l.cond);
	pthread_mutex_unlock(&l.lock);
	if (pthread_join(t, NULL) || read(p[0], &c, 1) != 1 || c != 'v')
		child_exit(5);
	child_exit(0);
}

/*
 * ASan's own thread exit disables the thread's alternate signal stack
 * (sigaltstack), which the vcpu filter refuses; the monitor's threads have
 * none.  So the thread tests run in a fresh copy of this binary, started
 * with ASan's use_sigaltstack=0, whose constructor runs the case and exits.
 */
static const struct { const char *name; struct lifecycle want; } probes[] = {
	{ "threads-kill", { .mode = SECCOMP_MODE_KILL } },
	{ "threads-trap", { .mode = SECCOMP_MODE_TRAP } },
	{ "threads-trap-forbidden", { .mode = SECCOMP_MODE_TRAP, .forbidden = true } },
};

__attribute__((constructor)) static void probe_main(void)
{
	const char *name = getenv("FLINT_SECCOMP_PROBE");

	for (size_t i = 0; name && i < sizeof(probes) / sizeof(probes[0]); i++)
		if (!strcmp(name, probes[i].name)) {
			threads(&probes[i].want);
			child_exit(1);
		}
}

static void reexec(const void *arg)
{
	const char *asan = getenv("ASAN_OPTIONS");
	char opts[512];
	char *const argv[] = { "test_seccomp", NULL };

	snprintf(opts, sizeof(opts), "%s%suse_sigaltstack=0:clear_shadow_mmap_threshold=1099511627776", asan ? asan : "", asan ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
	setenv("FLINT_SECCOMP_PROBE", arg, 1);
	execv("/proc/self/exe", argv);
	child_exit(2);
}

TEST(kill_threads_filter_themselves_kick_return_and_join)
{
	struct outcome o;

	spawn(&o, reexec, "threads-kill");
	CHECK(exited(&o, 0));
}

/* ---- trap: a message naming the call and the thread, then status 159 ---- */

struct trap_case {
	enum sandbox_role role;
	unsigned index;
	int what;  /* 0 socket, 1 execve, 2 ioctl TCGETS, 3 mprotect PROT_EXEC */
};

static void trap_child(const void *arg)
{
	const struct trap_case *c = arg;
	char *const argv[] = { "true", NULL };
	static char page[8192] __attribute__((aligned(4096)));

	install(c->role, c->index, SECCOMP_MODE_TRAP);
	switch (c->what) {
	case 0:
		syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0);
		break;
	case 1:
		syscall(SYS_execve, "/bin/true", argv, argv + 1);
		break;
	case 2:
		syscall(SYS_ioctl, 0, TCGETS, page);
		break;
	case 3:
		syscall(SYS_mprotect, page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
		break;
	}
	child_exit(1);
}

TEST(trap_socket_names_the_call_and_the_thread)
{
	struct trap_case c = { SANDBOX_ROLE_VCPU, 3, 0 };
	struct outcome o;

	spawn(&o, trap_child, &c);
	CHECK(exited(&o, FLINT_EXIT_BAD_SYSCALL));
	CHECK_CONTAINS(o.err, "flint: seccomp: thread \"vcpu3\" made forbidden system call socket (41); stopping\n");
}

TEST(trap_execve_names_the_call_and_the_thread)
{
	struct trap_case c = { SANDBOX_ROLE_MAIN, 0, 1 };
	struct outcome o;

	spawn(&o, trap_child, &c);
	CHECK(exited(&o, FLINT_EXIT_BAD_SYSCALL));
	CHECK_CONTAINS(o.err, "thread \"main\" made forbidden system call execve (59)");
}

TEST(trap_shows_the_argument_the_policy_tests)
{
	struct trap_case ioctl_case = { SANDBOX_ROLE_VCPU, 0, 2 }, mprotect_case = { SANDBOX_ROLE_MAIN, 0, 3 };
	struct outcome o;

	spawn(&o, trap_child, &ioctl_case);
	CHECK(exited(&o, FLINT_EXIT_BAD_SYSCALL));
	CHECK_CONTAINS(o.err, "\"vcpu0\" made forbidden system call ioctl (16) with arg1 = 0x5401; stopping");
	spawn(&o, trap_child, &mprotect_case);
	CHECK(exited(&o, FLINT_EXIT_BAD_SYSCALL));
	CHECK_CONTAINS(o.err, "mprotect (10) with arg2 = 0x7; stopping");
}

TEST(trap_in_a_vcpu_thread_stops_the_whole_process)
{
	struct outcome o;

	spawn(&o, reexec, "threads-trap-forbidden");
	CHECK(exited(&o, FLINT_EXIT_BAD_SYSCALL));
	CHECK_CONTAINS(o.err, "thread \"vcpu1\" made forbidden system call socket (41)");
}

TEST(trap_threads_that_behave_run_to_the_end)
{
	struct outcome o;

	spawn(&o, reexec, "threads-trap");
	CHECK(exited(&o, 0));
}

/* ---- log: the call goes through, the kernel logs it ---- */

static void vcpu_log_socket(const void *arg)
{
	(void)arg;
	install(SANDBOX_ROLE_VCPU, 0, SECCOMP_MODE_LOG);
	child_exit(syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0) >= 0 ? 0 : 1);
}

/*
 * The kernel's audit records, which dmesg shows when no auditd runs.  That
 * console copy is rate-limited (the kill cases above use up the burst), so
 * the test listens on the audit netlink multicast group instead, which has
 * no such limit (and needs CAP_AUDIT_READ).
 */
static int audit_listen(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1) };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Whether the seccomp record of pid's call nr arrives within a second. */
static bool audit_logged(int fd, pid_t pid, int nr)
{
	char buf[8192], want_pid[32], want_nr[32];
	const struct nlmsghdr *h = (const void *)buf;

	snprintf(want_pid, sizeof(want_pid), " pid=%d ", (int)pid);
	snprintf(want_nr, sizeof(want_nr), " syscall=%d ", nr);
	for (int tries = 0; tries < 100; tries++) {
		ssize_t n;

		while ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
			buf[n] = 0;
			if (NLMSG_OK(h, (size_t)n) && h->nlmsg_type == AUDIT_SECCOMP &&
			    strstr(NLMSG_DATA(h), want_pid) && strstr(NLMSG_DATA(h), want_nr))
				return true;
		}
		usleep(10000);
	}
	return false;
}

TEST(log_lets_the_call_through_and_the_kernel_logs_it)
{
	int nl = audit_listen();
	struct outcome o;

	spawn(&o, vcpu_log_socket, NULL);
	CHECK(exited(&o, 0));
	if (nl < 0) {
		printf("  note: cannot read audit records here (needs CAP_AUDIT_READ): "
		       "not checking that the call was logged\n");
		return;
	}
	CHECK(audit_logged(nl, o.pid, SYS_socket));
	close(nl);
}

/* ---- off: nothing installed, a warning ---- */

static void off_child(const void *arg)
{
	char status[4096];
	int fd, fd2;
	ssize_t n = 0;

	(void)arg;
	install(SANDBOX_ROLE_VCPU, 0, SECCOMP_MODE_OFF);
	install(SANDBOX_ROLE_MAIN, 0, SECCOMP_MODE_OFF);
	fd = open("/proc/self/status", O_RDONLY);
	if (fd < 0 || (n = read(fd, status, sizeof(status) - 1)) <= 0)
		child_exit(2);
	status[n] = 0;
	if (!strstr(status, "\nSeccomp:\t0\n"))
		child_exit(3);
	fd2 = socket(AF_UNIX, SOCK_STREAM, 0);
	child_exit(fd2 >= 0 ? 0 : 4);
}

TEST(off_installs_nothing_and_warns_once)
{
	struct outcome o;
	const char *first;

	spawn(&o, off_child, NULL);
	CHECK(exited(&o, 0));
	CHECK_CONTAINS(o.err, "flint: warning: [sandbox] seccomp = off");
	first = strstr(o.err, "warning");
	CHECK(first && !strstr(first + 1, "warning"));
}

/* ---- the jail ---- */

static void jail_child(const void *arg)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3];
	int p[2], keep, was_root = geteuid() == 0;
	struct rlimit rl;
	char err[256];

	(void)arg;
	if (pipe(p) < 0 || (keep = dup2(p[1], 40)) != 40 || dup2(p[0], 60) != 60)
		child_exit(2);
	if (sandbox_drop_privileges(&keep, 1, err, sizeof(err)) < 0) {
		dprintf(STDERR_FILENO, "%s\n", err);
		child_exit(3);
	}
	if (fcntl(40, F_GETFD) < 0 || fcntl(STDERR_FILENO, F_GETFD) < 0)
		child_exit(4); /* kept ones are open */
	if (fcntl(p[0], F_GETFD) >= 0 || fcntl(p[1], F_GETFD) >= 0 || fcntl(60, F_GETFD) >= 0)
		child_exit(5); /* the others are closed */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur != 41 + SANDBOX_FD_HEADROOM ||
	    rl.rlim_max != 41 + SANDBOX_FD_HEADROOM)
		child_exit(6);
	if (getrlimit(RLIMIT_CORE, &rl) < 0 || rl.rlim_cur != 0 || rl.rlim_max != 0)
		child_exit(7);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		child_exit(8);
	if (syscall(SYS_capget, &hdr, caps) < 0 || caps[0].effective || caps[0].permitted ||
	    caps[1].effective || caps[1].permitted || caps[0].inheritable)
		child_exit(9);
	if (was_root && prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0)
		child_exit(10);
	/* Root without capabilities is an ordinary user to the kernel. */
	if (syscall(SYS_setuid, 12345) != -1 || errno != EPERM)
		child_exit(11);
	/* The filters still load: no_new_privs is what they need. */
	install(SANDBOX_ROLE_MAIN, 0, SECCOMP_MODE_KILL);
	child_exit(0);
}

TEST(jail_closes_descriptors_limits_and_drops_capabilities)
{
	struct outcome o;

	spawn(&o, jail_child, NULL);
	CHECK(exited(&o, 0));
}

/*
 * 100 kept descriptors, densely packed from 3: all stay open, and the
 * limit still leaves SANDBOX_FD_HEADROOM free slots above them (the old
 * limit, highest + 1, left none: the next open failed with EMFILE).
 */
static void many_fds_child(const void *arg)
{
	int keep[100], extra = 0, fd;
	char err[256];

	(void)arg;
	for (int i = 0; i < 100; i++)
		if ((keep[i] = dup2(STDERR_FILENO, 3 + i)) != 3 + i)
			child_exit(2);
	if (sandbox_drop_privileges(keep, 100, err, sizeof(err)) < 0) {
		dprintf(STDERR_FILENO, "%s\n", err);
		child_exit(3);
	}
	for (int i = 0; i < 100; i++)
		if (fcntl(keep[i], F_GETFD) < 0)
			child_exit(4);
	while ((fd = dup(STDERR_FILENO)) >= 0)
		extra++;
	if (errno != EMFILE || extra != SANDBOX_FD_HEADROOM)
		child_exit(5);
	child_exit(0);
}

TEST(jail_keeps_many_descriptors_and_leaves_headroom)
{
	struct outcome o;

	spawn(&o, many_fds_child, NULL);
	CHECK(exited(&o, 0));
	CHECK(sandbox_nofile_limit(102, 1024) == 103 + SANDBOX_FD_HEADROOM);
	CHECK(sandbox_nofile_limit(102, 110) == 110);
}

static void nproc_child(const void *arg)
{
	struct rlimit rl;
	char err[256];

	(void)arg;
	if (sandbox_forbid_new_processes(err, sizeof(err)) < 0)
		child_exit(2);
	if (getrlimit(RLIMIT_NPROC, &rl) < 0 || rl.rlim_cur != 0 || rl.rlim_max != 0)
		child_exit(3);
	/* root is exempt from RLIMIT_NPROC; anyone else cannot fork now */
	if (geteuid() != 0 && (syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0) != -1 || errno != EAGAIN))
		child_exit(4);
	child_exit(0);
}

TEST(jail_forbids_new_processes)
{
	struct outcome o;

	spawn(&o, nproc_child, NULL);
	CHECK(exited(&o, 0));
}

/* ---- the jail's optional part: [sandbox] namespaces, chroot, uid, gid ---- */

static void empty_jail_child(const void *arg)
{
	const struct sandbox_jail none = { 0 };
	char err[256];

	(void)arg;
	/* Strict mode allows read, write, exit and sigreturn, and kills the
	 * process on anything else: the keys left out must cost nothing. */
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) < 0)
		child_exit(2);
	if (sandbox_jail_enter(&none, NULL, err, sizeof(err)) < 0)
		syscall(SYS_exit, 3);
	syscall(SYS_exit, 0);
}

TEST(jail_with_no_keys_makes_no_system_call)
{
	struct outcome o;

	spawn(&o, empty_jail_child, NULL);
	CHECK(exited(&o, 0));
}

static bool ns_link(const char *ns, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		return false;
	buf[n] = 0;
	return true;
}

static void namespaces_child(const void *arg)
{
	const struct sandbox_jail j = { .namespaces = (1u << SANDBOX_NS_MOUNT) | (1u << SANDBOX_NS_IPC) };
	char mnt[64], ipc[64], uts[64], mnt2[64], ipc2[64], uts2[64], err[256];

	(void)arg;
	if (!ns_link("mnt", mnt, sizeof(mnt)) || !ns_link("ipc", ipc, sizeof(ipc)) || !ns_link("uts", uts, sizeof(uts)))
		child_exit(2);
	if (sandbox_jail_enter(&j, NULL, err, sizeof(err)) < 0) {
		dprintf(STDERR_FILENO, "%s\n", err);
		child_exit(3);
	}
	if (!ns_link("mnt", mnt2, sizeof(mnt2)) || !ns_link("ipc", ipc2, sizeof(ipc2)) ||
	    !ns_link("uts", uts2, sizeof(uts2)))
		child_exit(4);
	if (!strcmp(mnt, mnt2) || !strcmp(ipc, ipc2))
		child_exit(5); /* new ones */
	if (strcmp(uts, uts2))
		child_exit(6); /* and only those */
	child_exit(0);
}

TEST(jail_enters_new_mount_and_ipc_namespaces)
{
	struct outcome o;

	if (geteuid() != 0) {
		fprintf(stderr, "  (not root: only the refusal is tested)\n");
		return;
	}
	spawn(&o, namespaces_child, NULL);
	CHECK(exited(&o, 0));
}

struct jail_dir {
	char path[32];
	struct stat st;
};

static void chroot_user_child(const void *arg)
{
	const struct jail_dir *dir = arg;
	const struct sandbox_jail j = { .root = (char *)dir->path, .set_uid = true, .set_gid = true,
					.uid = 65534, .gid = 65533 };
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3];
	char cwd[16], err[256];
	uid_t r, e, sv;
	gid_t gr, ge, gs;
	struct stat st;
	int keep = STDERR_FILENO;

	if (sandbox_jail_enter(&j, NULL, err, sizeof(err)) < 0) {
		dprintf(STDERR_FILENO, "%s\n", err);
		child_exit(3);
	}
	if (stat("/", &st) < 0 || st.st_dev != dir->st.st_dev || st.st_ino != dir->st.st_ino)
		child_exit(4); /* "/" is the jail's directory */
	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, "/"))
		child_exit(5); /* and the working directory is in it */
	if (getresuid(&r, &e, &sv) < 0 || r != 65534 || e != 65534 || sv != 65534)
		child_exit(6);
	if (getresgid(&gr, &ge, &gs) < 0 || gr != 65533 || ge != 65533 || gs != 65533)
		child_exit(7);
	if (getgroups(0, NULL) != 0)
		child_exit(8); /* root's supplementary groups are gone */
	/* Leaving uid 0 emptied these, and the jail emptied the bounding set
	 * while it still could. */
	if (syscall(SYS_capget, &hdr, caps) < 0 || caps[0].effective || caps[0].permitted || caps[1].permitted)
		child_exit(9);
	if (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0)
		child_exit(10);
	/* What flint does next still works as the new user. */
	if (sandbox_drop_privileges(&keep, 1, err, sizeof(err)) < 0) {
		dprintf(STDERR_FILENO, "%s\n", err);
		child_exit(11);
	}
	install(SANDBOX_ROLE_MAIN, 0, SECCOMP_MODE_KILL);
	child_exit(0);
}

TEST(jail_chroots_and_changes_user)
{
	struct jail_dir dir = { .path = "/tmp/flint-jail-XXXXXX" };
	struct outcome o;

	if (geteuid() != 0) {
		fprintf(stderr, "  (not root: only the refusal is tested)\n");
		return;
	}
	CHECK(mkdtemp(dir.path) != NULL);
	CHECK(stat(dir.path, &dir.st) == 0);
	spawn(&o, chroot_user_child, &dir);
	CHECK(exited(&o, 0));
	rmdir(dir.path);
}

static void refusal_child(const void *arg)
{
	static const struct sandbox_jail cases[] = {
		{ .root = "/" },
		{ .namespaces = 1u << SANDBOX_NS_MOUNT },
		{ .namespaces = 1u << SANDBOX_NS_IPC },
		{ .set_uid = true, .uid = 0 },
		{ .set_gid = true, .gid = 0 },
	};
	char err[256];

	(void)arg;
	/* Root without its capabilities or its ids, like any other user. */
	if (geteuid() == 0 && (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0))
		child_exit(2);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (sandbox_jail_enter(&cases[i], NULL, err, sizeof(err)) == 0)
			child_exit(10 + (int)i);
		dprintf(STDERR_FILENO, "%s\n", err);
	}
	child_exit(0);
}

TEST(jail_says_which_privilege_is_missing)
{
	struct outcome o;

	spawn(&o, refusal_child, NULL);
	CHECK(exited(&o, 0));
	CHECK_CONTAINS(o.err, "[sandbox] chroot = \"/\": needs root (CAP_SYS_CHROOT)\n");
	CHECK_CONTAINS(o.err, "[sandbox] namespaces = mount: needs root (CAP_SYS_ADMIN)\n");
	CHECK_CONTAINS(o.err, "[sandbox] namespaces = ipc: needs root (CAP_SYS_ADMIN)\n");
	CHECK_CONTAINS(o.err, "[sandbox] uid = 0: needs root (CAP_SETUID) unless it is your own user id\n");
	CHECK_CONTAINS(o.err, "[sandbox] gid = 0: needs root (CAP_SETGID) unless it is your own group id\n");
}

TEST(jail_namespace_names)
{
	CHECK(!strcmp(sandbox_namespace_name(SANDBOX_NS_MOUNT), "mount"));
	CHECK(!strcmp(sandbox_namespace_name(SANDBOX_NS_IPC), "ipc"));
	CHECK(sandbox_namespace_name(SANDBOX_NS_COUNT) == NULL);
}

CHECK_MAIN()
