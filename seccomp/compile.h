/*
 * The allow-lists of policy.c as BPF programs.  libseccomp compiles them
 * at build time (compile.c, run by gen_filters.c), which writes
 * build/gen/seccomp_filters.c: the definitions of the seccomp_gen_* data
 * below.  At run time filter.c only copies a program, writes the process
 * id into it and hands it to the kernel: no compiler, no allocation, no
 * name lookups on the way to the guest's first instruction.
 */
#ifndef FLINT_SECCOMP_COMPILE_H
#define FLINT_SECCOMP_COMPILE_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "sandbox.h"

/*
 * What a POLICY_EQ_SELF_PID condition compares with in a generated
 * program; seccomp_install writes getpid() over it.  Above PID_MAX_LIMIT
 * (2^22), so never a real process id, and gen_filters refuses to build if
 * it appears anywhere but in those comparisons.
 */
#define SECCOMP_PID_PLACEHOLDER 0xf117c0deu

/* The longest program seccomp_install copies (on the thread's stack). */
#define SECCOMP_PROGRAM_MAX 512

/* The trap handler's tables cover system calls 0 .. SECCOMP_NAMES_MAX-1
 * (x86-64 numbers stay below it). */
#define SECCOMP_NAMES_MAX 512

struct seccomp_program {
	const struct sock_filter *insns;
	size_t len;
	const uint16_t *pid_at;  /* instructions whose k is SECCOMP_PID_PLACEHOLDER */
	size_t npid;
};

/* ---- generated: build/gen/seccomp_filters.c ---- */

/* [role][mode]; mode off has no program. */
extern const struct seccomp_program seccomp_gen_programs[SANDBOX_ROLE_COUNT][SECCOMP_MODE_KILL + 1];
/* Names by number, for the trap handler; NULL where there is none. */
extern const char *const seccomp_gen_syscall_names[SECCOMP_NAMES_MAX];
/* Bit i set: the role's rules for this call test argument i, so the trap
 * handler shows it. */
extern const uint8_t seccomp_gen_tested_args[SANDBOX_ROLE_COUNT][SECCOMP_NAMES_MAX];

/* ---- run time: filter.c ---- */

/*
 * Writes into out (SECCOMP_PROGRAM_MAX instructions) the program that
 * seccomp_install loads for role and mode in process pid; returns its
 * length, or 0 for mode off or a role or mode out of range.
 */
size_t seccomp_program_build(enum sandbox_role role, enum seccomp_mode mode, uint32_t pid,
			     struct sock_filter *out);

/* ---- build and test time: compile.c, with libseccomp ---- */

/*
 * Compiles role's table with libseccomp for mode (not off), self_pid
 * standing for getpid(); exactly what libseccomp's seccomp_load would give
 * the kernel.  Returns 0 with a malloc'd program in *insns (free it) and
 * its length in *len, or -1 with a message in err.
 */
int policy_compile(enum sandbox_role role, enum seccomp_mode mode, uint32_t self_pid,
		   struct sock_filter **insns, size_t *len, char *err, size_t errlen);

#endif
