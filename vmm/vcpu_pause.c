/*
 * Getting vCPU threads out of KVM_RUN and keeping them out: the kick
 * (stop and pause), and the pause protocol of QMP `stop`/`cont`, which
 * also times each pause (pause_stats.h).  Apart from vcpu.c so the
 * protocol can be built alone, with fake vCPU threads, under
 * ThreadSanitizer (tests/unit/test_pause.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vcpu.h"
#include "vm.h"

static void kick_handler(int sig)
{
	(void)sig; /* only here so KVM_RUN returns EINTR */
}

int vcpu_init_signals(char *err, size_t errlen)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigemptyset(&sa.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0) {
		snprintf(err, errlen, "sigaction: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (!v->thread_started)
		return;
	/* immediate_exit covers the window before the thread re-enters KVM_RUN. */
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELEASE);
	pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

void vm_pause_init(struct vm *vm)
{
	pthread_condattr_t a;

	pthread_mutex_init(&vm->pause_lock, NULL);
	/* The pause's time limit must not move with the wall clock. */
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&vm->pause_cond, &a);
	pthread_condattr_destroy(&a);
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void vcpu_park_as(struct vm *vm, struct vcpu *v)
{
	pthread_mutex_lock(&vm->pause_lock);
	/* The last one in marks the pause complete, after counting itself:
	 * the stamp is never earlier than the moment every vCPU is out. */
	if (++vm->parked == vm->nvcpus)
		vm->pause_parked_ns = now_ns();
	pthread_cond_broadcast(&vm->pause_cond);
	while (atomic_load(&vm->pause_wanted) && !atomic_load(&vm->stopping)) {
		if (v && vm->task && v->task_seen != vm->task_gen) {
			void (*fn)(struct vcpu *, void *) = vm->task;
			void *ctx = vm->task_ctx;

			v->task_seen = vm->task_gen;
			vm->task_running++;
			pthread_mutex_unlock(&vm->pause_lock);
			fn(v, ctx);
			pthread_mutex_lock(&vm->pause_lock);
			vm->task_running--;
			vm->task_done++;
			pthread_cond_broadcast(&vm->pause_cond);
			continue;
		}
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	}
	vm->parked--;
	pthread_mutex_unlock(&vm->pause_lock);
}

void vcpu_park(struct vm *vm)
{
	vcpu_park_as(vm, NULL);
}

int vcpu_run_on_all(struct vm *vm, void (*fn)(struct vcpu *v, void *ctx), void *ctx, char *err,
		    size_t errlen)
{
	int rc = 0;

	pthread_mutex_lock(&vm->pause_lock);
	if (!atomic_load(&vm->pause_wanted) || vm->parked < vm->nvcpus) {
		snprintf(err, errlen, "the vCPUs are not all paused");
		pthread_mutex_unlock(&vm->pause_lock);
		return -1;
	}
	vm->task = fn;
	vm->task_ctx = ctx;
	vm->task_done = 0;
	vm->task_gen++;
	pthread_cond_broadcast(&vm->pause_cond);
	/* Never leave while a thread still runs fn: ctx may be the caller's. */
	while ((vm->task_done < vm->nvcpus && !atomic_load(&vm->stopping)) || vm->task_running)
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	if (vm->task_done < vm->nvcpus) {
		snprintf(err, errlen, "the VM stopped while its vCPUs were being read");
		rc = -1;
	}
	vm->task = NULL;
	vm->task_ctx = NULL;
	pthread_mutex_unlock(&vm->pause_lock);
	return rc;
}

int vcpu_pause_all(struct vm *vm, unsigned timeout_ms, char *err, size_t errlen)
{
	struct timespec until;
	uint64_t t0;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &until); /* the condition's clock (vm_pause_init) */
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	/* The request: what issue 9's pause latency is measured from. */
	t0 = now_ns();
	/* pause_wanted first, then the kick: a thread that clears
	 * immediate_exit after this store reads pause_wanted afterwards and
	 * parks; one that cleared it before finds it set again. */
	atomic_store(&vm->pause_wanted, true);
	for (unsigned i = 0; i < vm->nvcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	pthread_mutex_lock(&vm->pause_lock);
	while (vm->parked < vm->nvcpus && !atomic_load(&vm->stopping) && rc == 0)
		rc = pthread_cond_timedwait(&vm->pause_cond, &vm->pause_lock, &until);
	if (vm->parked < vm->nvcpus) {
		snprintf(err, errlen, atomic_load(&vm->stopping) ? "the VM is stopping" :
			 "%u of %u vCPUs did not stop within %u ms", vm->nvcpus - vm->parked,
			 vm->nvcpus, timeout_ms);
		rc = -1;
		pause_log_failed(&vm->pause_log);
	} else {
		/* An older stamp: every vCPU was still parked from the last
		 * pause (resumed, but none had run yet), so none had to be
		 * stopped; the pause took as long as finding that out. */
		uint64_t done = vm->pause_parked_ns >= t0 ? vm->pause_parked_ns : now_ns();

		pause_log_add(&vm->pause_log, done - t0);
	}
	pthread_mutex_unlock(&vm->pause_lock);
	if (rc < 0)
		vcpu_resume_all(vm);
	return rc < 0 ? -1 : 0;
}

void vcpu_resume_all(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	atomic_store(&vm->pause_wanted, false);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

void vcpu_pause_summary(struct vm *vm, struct pause_summary *out)
{
	pthread_mutex_lock(&vm->pause_lock);
	pause_log_summary(&vm->pause_log, out);
	pthread_mutex_unlock(&vm->pause_lock);
}
