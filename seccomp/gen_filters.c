/*
 * Build-time compiler of the seccomp policy: `gen_filters > seccomp_filters.c`
 * writes the C file that compile.h describes.  For every role and mode it
 * has libseccomp compile the role's table (compile.c) and writes the BPF as
 * a sock_filter array, with the places where getpid() goes; then the
 * syscall names and tested arguments the trap handler shows.  The monitor
 * thus loads exactly what seccomp_load would have built, without building
 * it on the way to the guest's first instruction.
 */
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "policy.h"

/* The largest process id Linux can hand out (PID_MAX_LIMIT on 64-bit). */
#define PID_LIMIT (4u * 1024 * 1024)

static const char *const prog_mode[] = {
	[SECCOMP_MODE_LOG] = "log", [SECCOMP_MODE_TRAP] = "trap", [SECCOMP_MODE_KILL] = "kill",
};

static bool role_tests_pid(const struct policy_role *pr)
{
	for (size_t i = 0; i < pr->nrules; i++)
		for (int c = 0; c < POLICY_MAX_CONDS && pr->rules[i].cond[c].op; c++)
			if (pr->rules[i].cond[c].op == POLICY_EQ_SELF_PID)
				return true;
	return false;
}

/*
 * Where the process id goes in tmpl (compiled with the placeholder): the
 * role compiled again with real process ids must differ from tmpl only in
 * the k of comparisons that hold the placeholder in tmpl.  So patching
 * those gives libseccomp's own program for that id, and the placeholder
 * cannot have collided with a constant of the policy.  Returns the number
 * of places, or -1 with a message on stderr.
 */
static int pid_sites(enum sandbox_role r, enum seccomp_mode m, const struct sock_filter *tmpl,
		     size_t len, uint16_t *at)
{
	static const uint32_t pids[] = { 1, 4242, PID_LIMIT };
	const char *role = policy_roles[r].name;
	int n = 0;

	for (size_t p = 0; p < sizeof(pids) / sizeof(pids[0]); p++) {
		struct sock_filter *real;
		size_t real_len;
		char err[256];

		if (policy_compile(r, m, pids[p], &real, &real_len, err, sizeof(err)) < 0) {
			fprintf(stderr, "gen_filters: %s\n", err);
			return -1;
		}
		if (real_len != len) {
			fprintf(stderr, "gen_filters: role %s, mode %s: the program's length depends on "
				"the process id (%zu instructions for %u, %zu for the placeholder)\n",
				role, prog_mode[m], real_len, pids[p], len);
			free(real);
			return -1;
		}
		n = 0;
		for (size_t i = 0; i < len; i++) {
			const struct sock_filter *t = &tmpl[i], *q = &real[i];
			bool same_op = t->code == q->code && t->jt == q->jt && t->jf == q->jf;

			if (t->k != SECCOMP_PID_PLACEHOLDER && same_op && t->k == q->k)
				continue;
			if (t->k == SECCOMP_PID_PLACEHOLDER && same_op && q->k == pids[p] &&
			    t->code == (BPF_JMP | BPF_JEQ | BPF_K)) {
				at[n++] = (uint16_t)i;
				continue;
			}
			if (t->k == SECCOMP_PID_PLACEHOLDER && same_op && t->k == q->k)
				fprintf(stderr, "gen_filters: role %s, mode %s, instruction %zu: the policy "
					"has the constant %#x, which is SECCOMP_PID_PLACEHOLDER: choose "
					"another one in seccomp/compile.h\n", role, prog_mode[m], i, t->k);
			else
				fprintf(stderr, "gen_filters: role %s, mode %s, instruction %zu: "
					"{%#x, %u, %u, %#x} with the placeholder, {%#x, %u, %u, %#x} with "
					"process id %u: the process id changes the program outside its own "
					"comparisons, so it cannot be written in at run time\n",
					role, prog_mode[m], i, t->code, t->jt, t->jf, t->k,
					q->code, q->jt, q->jf, q->k, pids[p]);
			free(real);
			return -1;
		}
		free(real);
	}
	if ((n > 0) != role_tests_pid(&policy_roles[r])) {
		fprintf(stderr, "gen_filters: role %s, mode %s: %d comparisons with the process id, "
			"which the policy %s\n", role, prog_mode[m], n,
			n ? "never asks for" : "asks for");
		return -1;
	}
	return n;
}

static int emit_program(enum sandbox_role r, enum seccomp_mode m, size_t *len, int *npid)
{
	const char *role = policy_roles[r].name;
	uint16_t at[SECCOMP_PROGRAM_MAX];
	struct sock_filter *tmpl;
	char err[256];

	if (policy_compile(r, m, SECCOMP_PID_PLACEHOLDER, &tmpl, len, err, sizeof(err)) < 0) {
		fprintf(stderr, "gen_filters: %s\n", err);
		return -1;
	}
	if (*len > SECCOMP_PROGRAM_MAX) {
		fprintf(stderr, "gen_filters: role %s, mode %s: %zu instructions, more than "
			"SECCOMP_PROGRAM_MAX (seccomp/compile.h)\n", role, prog_mode[m], *len);
		free(tmpl);
		return -1;
	}
	*npid = pid_sites(r, m, tmpl, *len, at);
	if (*npid < 0) {
		free(tmpl);
		return -1;
	}
	printf("\nstatic const struct sock_filter %s_%s[%zu] = {\n", role, prog_mode[m], *len);
	for (size_t i = 0; i < *len; i++)
		printf("\t{ 0x%02x, %3u, %3u, 0x%08x },\n", tmpl[i].code, tmpl[i].jt, tmpl[i].jf,
		       tmpl[i].k);
	printf("};\n");
	if (*npid) {
		printf("static const uint16_t %s_%s_pid_at[] = {", role, prog_mode[m]);
		for (int i = 0; i < *npid; i++)
			printf(" %u,", at[i]);
		printf(" };\n");
	}
	free(tmpl);
	return 0;
}

/* Which arguments each call's rules test, by role, for the trap handler. */
static int emit_tested_args(void)
{
	static uint8_t tested[SANDBOX_ROLE_COUNT][SECCOMP_NAMES_MAX];

	for (int r = 0; r < SANDBOX_ROLE_COUNT; r++)
		for (size_t i = 0; i < policy_roles[r].nrules; i++) {
			const struct policy_rule *rule = &policy_roles[r].rules[i];
			int nr = seccomp_syscall_resolve_name(rule->syscall);

			if (nr < 0 || nr >= SECCOMP_NAMES_MAX) {
				fprintf(stderr, "gen_filters: role %s: system call %s has number %d, "
					"outside the trap handler's tables (SECCOMP_NAMES_MAX)\n",
					policy_roles[r].name, rule->syscall, nr);
				return -1;
			}
			for (int c = 0; c < POLICY_MAX_CONDS && rule->cond[c].op; c++)
				tested[r][nr] |= (uint8_t)(1u << rule->cond[c].arg);
		}
	printf("\nconst uint8_t seccomp_gen_tested_args[SANDBOX_ROLE_COUNT][SECCOMP_NAMES_MAX] = {\n");
	for (int r = 0; r < SANDBOX_ROLE_COUNT; r++) {
		printf("\t[%d] = { /* %s */\n", r, policy_roles[r].name);
		for (int nr = 0; nr < SECCOMP_NAMES_MAX; nr++)
			if (tested[r][nr])
				printf("\t\t[%d] = 0x%02x,\n", nr, tested[r][nr]);
		printf("\t},\n");
	}
	printf("};\n");
	return 0;
}

static int emit_names(void)
{
	printf("\nconst char *const seccomp_gen_syscall_names[SECCOMP_NAMES_MAX] = {\n");
	for (int nr = 0; nr < SECCOMP_NAMES_MAX; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		/* Names go between quotes as they are. */
		if (name && name[strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_")]) {
			fprintf(stderr, "gen_filters: system call %d has an odd name \"%s\"\n", nr, name);
			free(name);
			return -1;
		}
		if (name)
			printf("\t[%d] = \"%s\",\n", nr, name);
		free(name);
	}
	printf("};\n");
	return 0;
}

int main(void)
{
	const struct scmp_version *v = seccomp_version();
	size_t len[SANDBOX_ROLE_COUNT][SECCOMP_MODE_KILL + 1];
	int npid[SANDBOX_ROLE_COUNT][SECCOMP_MODE_KILL + 1];

	printf("/*\n * Generated by seccomp/gen_filters.c from seccomp/policy.c with libseccomp "
	       "%u.%u.%u:\n * do not edit; make rebuilds it when the policy changes.\n */\n",
	       v->major, v->minor, v->micro);
	printf("#include \"compile.h\"\n");
	for (int r = 0; r < SANDBOX_ROLE_COUNT; r++)
		for (int m = SECCOMP_MODE_LOG; m <= SECCOMP_MODE_KILL; m++)
			if (emit_program((enum sandbox_role)r, (enum seccomp_mode)m, &len[r][m], &npid[r][m]) < 0)
				return 1;
	printf("\nconst struct seccomp_program\n"
	       "seccomp_gen_programs[SANDBOX_ROLE_COUNT][SECCOMP_MODE_KILL + 1] = {\n");
	for (int r = 0; r < SANDBOX_ROLE_COUNT; r++) {
		const char *role = policy_roles[r].name;

		printf("\t[%d] = {\n", r);
		for (int m = SECCOMP_MODE_LOG; m <= SECCOMP_MODE_KILL; m++) {
			printf("\t\t[%d] = { %s_%s, %zu, ", m, role, prog_mode[m], len[r][m]);
			if (npid[r][m])
				printf("%s_%s_pid_at, %d },\n", role, prog_mode[m], npid[r][m]);
			else
				printf("NULL, 0 },\n");
		}
		printf("\t},\n");
	}
	printf("};\n");
	if (emit_tested_args() < 0 || emit_names() < 0)
		return 1;
	if (fflush(stdout) || ferror(stdout)) {
		perror("gen_filters: writing the output");
		return 1;
	}
	return 0;
}
