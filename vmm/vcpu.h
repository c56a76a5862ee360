/* vCPUs: creation, the PVH entry state, and the thread that runs KVM_RUN. */
#ifndef FLINT_VCPU_H
#define FLINT_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>

#include "pause_stats.h"
#include "stats.h"

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	int tid;                  /* the thread's id (gettid), 0 until it runs */
	struct exit_table exits;  /* this thread's own, merged after the run */
	/* Runs on the vCPU thread before its first KVM_RUN (the sandbox hook);
	 * a non-zero return stops the VM with that status. */
	int (*before_run)(struct vcpu *v, void *ctx);
	void *before_run_ctx;
	unsigned task_seen;       /* the last vm->task_gen this thread ran */
};

/* Signal used to kick a vCPU thread out of KVM_RUN. */
#define VCPU_KICK_SIGNAL SIGUSR1

int vcpu_create(struct vm *vm, struct vcpu *v, unsigned id, char *err, size_t errlen);
void vcpu_destroy(struct vcpu *v);
/* Needs vm->cpuid (vm_wait_cpuid). */
int vcpu_set_cpuid(struct vcpu *v, char *err, size_t errlen);
/* 32-bit flat protected mode, paging off, %ebx = start_info (PVH ABI). */
int vcpu_set_pvh_entry(struct vcpu *v, uint32_t entry, uint32_t start_info, char *err, size_t errlen);
/* Installs the kick signal's handler; call once before starting threads. */
int vcpu_init_signals(char *err, size_t errlen);
int vcpu_start(struct vcpu *v, char *err, size_t errlen);
void vcpu_kick(struct vcpu *v);
void vcpu_join(struct vcpu *v);
void vcpu_dump_regs(struct vcpu *v, FILE *f);
/*
 * Serves the port or MMIO exit now in v->run as the run loop does, on
 * v's thread (vcpu_state_save meets one when finishing a paused access
 * takes another exit).  false: the exit is neither.
 */
bool vcpu_serve_io(struct vcpu *v);
/*
 * Pause and resume, from the main thread.  Pausing kicks every vCPU out of
 * KVM_RUN (as stopping does) and returns once each has parked, or -1 with
 * err after timeout_ms (or if the VM stops).  Neither makes a vCPU ioctl:
 * a parked thread simply does not call KVM_RUN.  vcpu_resume_all also
 * releases parked threads for teardown.
 */
int vcpu_pause_all(struct vm *vm, unsigned timeout_ms, char *err, size_t errlen);
void vcpu_resume_all(struct vm *vm);
/* On a vCPU thread, at the top of its loop when vm->pause_wanted is set:
 * waits there until the pause ends or the VM stops.  vcpu_park_as also
 * runs the tasks vcpu_run_on_all posts (v NULL: it runs none). */
void vcpu_park(struct vm *vm);
void vcpu_park_as(struct vm *vm, struct vcpu *v);
/*
 * From the main thread while every vCPU is parked: each vCPU thread runs
 * fn(v, ctx) once, on its own thread (KVM wants a vCPU's ioctls from the
 * thread that runs it, and its seccomp role names the calls it makes),
 * and this returns when all have.  -1 with err when the VM is not paused
 * or stops meanwhile; fn is then no longer running anywhere.
 */
int vcpu_run_on_all(struct vm *vm, void (*fn)(struct vcpu *v, void *ctx), void *ctx, char *err,
		    size_t errlen);
/* Every completed pause is timed from the request (before the kicks) to
 * the moment the last vCPU parked; the summary of them so far. */
void vcpu_pause_summary(struct vm *vm, struct pause_summary *out);

#endif
