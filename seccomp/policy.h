/*
 * The shape of an allow-list (seccomp/policy.c holds the lists).  A rule
 * allows one system call when all of its argument conditions hold; several
 * rules for one call are alternatives.
 */
#ifndef FLINT_POLICY_H
#define FLINT_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox.h"

#define POLICY_MAX_CONDS 3

enum policy_op {
	POLICY_EQ = 1,      /* arg == value */
	POLICY_NO_BITS,     /* (arg & value) == 0 */
	POLICY_EQ_SELF_PID, /* arg == getpid() when the filter is installed */
};

struct policy_cond {
	uint8_t arg;        /* 0..5 */
	uint8_t op;         /* enum policy_op; 0 ends the list */
	uint64_t value;
	const char *text;   /* the value as the source spells it: "KVM_RUN" */
};

struct policy_rule {
	const char *syscall;
	const char *why;
	struct policy_cond cond[POLICY_MAX_CONDS];
};

struct policy_role {
	const char *name;
	int indexed;        /* several threads: their labels get a number */
	const struct policy_rule *rules;
	size_t nrules;
};

extern const struct policy_role policy_roles[SANDBOX_ROLE_COUNT];

#endif
