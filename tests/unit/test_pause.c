/*
 * The pause protocol (vmm/vcpu_pause.c) over fake vCPU threads, and its
 * latency bookkeeping: each `stop` is timed from the request to the
 * moment the last vCPU parked.  Also built under ThreadSanitizer
 * (tests/tsan.mk: build/tsan/test_pause).
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "vcpu.h"
#include "vm.h"

#define NVCPUS 3

static struct vm vm;
static struct vcpu vcpus[NVCPUS];
static struct kvm_run runs[NVCPUS];
/* How long vCPU i dawdles between seeing the pause and parking; while
 * held it does not park at all (a stuck vCPU, released by the test, not
 * by a time a loaded host may overrun). */
static atomic_uint dawdle_ms[NVCPUS];
static atomic_bool held[NVCPUS];

static uint64_t now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* As a real vCPU's loop (vmm/vcpu.c run_loop), with a sleep for KVM_RUN
 * that the kick interrupts. */
static void *fake_vcpu(void *arg)
{
	struct vcpu *v = arg;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	while (!atomic_load(&vm.stopping)) {
		struct timespec t = { 0, 2000000 };

		if (atomic_load(&vm.pause_wanted)) {
			unsigned ms = atomic_load(&dawdle_ms[v->id]);

			if (ms)
				sleep_ms(ms);
			while (atomic_load(&held[v->id]))
				sleep_ms(1);
			vcpu_park_as(&vm, v);
			continue;
		}
		if (__atomic_exchange_n(&v->run->immediate_exit, 0, __ATOMIC_ACQUIRE))
			continue;
		nanosleep(&t, NULL);
	}
	return NULL;
}

static void start(void)
{
	char err[128];
	sigset_t set;

	memset(&vm, 0, sizeof(vm));
	vm.nvcpus = NVCPUS;
	vm.vcpus = vcpus;
	vm_pause_init(&vm);
	CHECK(vcpu_init_signals(err, sizeof(err)) == 0);
	/* Only the vCPU threads take the kick. */
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (unsigned i = 0; i < NVCPUS; i++) {
		vcpus[i] = (struct vcpu){ .vm = &vm, .id = i, .fd = -1, .run = &runs[i] };
		atomic_store(&dawdle_ms[i], 0);
		CHECK(pthread_create(&vcpus[i].thread, NULL, fake_vcpu, &vcpus[i]) == 0);
		vcpus[i].thread_started = true;
	}
}

static void finish(void)
{
	atomic_store(&vm.stopping, true);
	vcpu_resume_all(&vm);
	for (unsigned i = 0; i < NVCPUS; i++)
		vcpu_kick(&vcpus[i]);
	for (unsigned i = 0; i < NVCPUS; i++)
		pthread_join(vcpus[i].thread, NULL);
	pthread_mutex_destroy(&vm.pause_lock);
	pthread_cond_destroy(&vm.pause_cond);
}

/* Every stop/cont is counted once, and each figure lies within the time
 * the caller saw vcpu_pause_all take. */
TEST(every_pause_is_timed_within_the_call)
{
	struct pause_summary s;
	uint64_t worst = 0;
	char err[128];

	start();
	for (unsigned i = 0; i < 40; i++) {
		uint64_t t0 = now(), dt;

		CHECK(vcpu_pause_all(&vm, 2000, err, sizeof(err)) == 0);
		dt = now() - t0;
		if (dt > worst)
			worst = dt;
		CHECK(vm.parked == NVCPUS);
		vcpu_pause_summary(&vm, &s);
		CHECK(s.count == i + 1);
		CHECK(s.failed == 0);
		CHECK(s.last_ns > 0 && s.last_ns <= dt);
		CHECK(s.min_ns <= s.last_ns && s.last_ns <= s.max_ns);
		CHECK(s.min_ns <= s.median_ns && s.median_ns <= s.max_ns);
		CHECK(s.min_ns <= s.mean_ns && s.mean_ns <= s.max_ns);
		CHECK(s.window == i + 1);
		vcpu_resume_all(&vm);
		/* Let them run again, most times: the other path (still parked
		 * at the next stop) is taken when they do not. */
		if (i % 4)
			sleep_ms(3);
	}
	CHECK(s.max_ns <= worst);
	finish();
}

/* The stamp is the last vCPU's, taken once it has parked: one vCPU that
 * takes 30 ms to get there makes the pause take at least that. */
TEST(the_pause_ends_when_the_last_vcpu_parks)
{
	struct pause_summary s;
	uint64_t t0, dt;
	char err[128];

	start();
	atomic_store(&dawdle_ms[NVCPUS - 1], 30);
	t0 = now();
	CHECK(vcpu_pause_all(&vm, 2000, err, sizeof(err)) == 0);
	dt = now() - t0;
	vcpu_pause_summary(&vm, &s);
	CHECK(s.count == 1);
	CHECK(s.last_ns >= 30000000u);
	CHECK(s.last_ns <= dt);
	vcpu_resume_all(&vm);
	finish();
}

/* A pause that times out is counted as failed and times nothing. */
TEST(a_pause_that_times_out_is_counted_apart)
{
	struct pause_summary s;
	char err[128];

	start();
	atomic_store(&held[0], true);
	CHECK(vcpu_pause_all(&vm, 500, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "1 of 3 vCPUs did not stop within 500 ms");
	vcpu_pause_summary(&vm, &s);
	CHECK(s.count == 0 && s.failed == 1 && s.last_ns == 0 && s.window == 0);
	CHECK(!atomic_load(&vm.pause_wanted));
	atomic_store(&held[0], false);
	CHECK(vcpu_pause_all(&vm, 2000, err, sizeof(err)) == 0);
	vcpu_pause_summary(&vm, &s);
	CHECK(s.count == 1 && s.failed == 1);
	vcpu_resume_all(&vm);
	finish();
}

/* vcpu_run_on_all: what a snapshot reads each vCPU's state with. */
static pthread_t ran_on[NVCPUS];
static atomic_uint ran_count[NVCPUS];

static void record_thread(struct vcpu *v, void *ctx)
{
	(void)ctx;
	ran_on[v->id] = pthread_self();
	atomic_fetch_add(&ran_count[v->id], 1);
}

TEST(each_parked_vcpu_runs_the_task_once_on_its_own_thread)
{
	char err[128];

	start();
	for (unsigned i = 0; i < NVCPUS; i++)
		atomic_store(&ran_count[i], 0);
	atomic_store(&dawdle_ms[1], 10);
	CHECK(vcpu_pause_all(&vm, 2000, err, sizeof(err)) == 0);
	CHECK(vcpu_run_on_all(&vm, record_thread, NULL, err, sizeof(err)) == 0);
	for (unsigned i = 0; i < NVCPUS; i++) {
		CHECK(atomic_load(&ran_count[i]) == 1);
		CHECK(pthread_equal(ran_on[i], vcpus[i].thread));
	}
	/* A second task is a new one: each runs it once more. */
	CHECK(vcpu_run_on_all(&vm, record_thread, NULL, err, sizeof(err)) == 0);
	for (unsigned i = 0; i < NVCPUS; i++)
		CHECK(atomic_load(&ran_count[i]) == 2);
	CHECK(vm.parked == NVCPUS);
	vcpu_resume_all(&vm);
	finish();
}

TEST(a_task_needs_every_vcpu_paused)
{
	char err[128];

	start();
	for (unsigned i = 0; i < NVCPUS; i++)
		atomic_store(&ran_count[i], 0);
	CHECK(vcpu_run_on_all(&vm, record_thread, NULL, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "not all paused");
	for (unsigned i = 0; i < NVCPUS; i++)
		CHECK(atomic_load(&ran_count[i]) == 0);
	finish();
}

TEST(log_keeps_extremes_of_all_and_median_of_recent)
{
	struct pause_log l = { 0 };
	struct pause_summary s;

	pause_log_summary(&l, &s);
	CHECK(s.count == 0 && s.median_ns == 0 && s.window == 0);
	pause_log_add(&l, 500);
	pause_log_summary(&l, &s);
	CHECK(s.count == 1 && s.min_ns == 500 && s.max_ns == 500 && s.median_ns == 500);
	/* 1 (the smallest ever), then 100 of 1000..100999: the median is of the last 64 */
	pause_log_add(&l, 1);
	for (unsigned i = 0; i < 100; i++)
		pause_log_add(&l, 1000 + 1000 * (uint64_t)((i * 37) % 100));
	pause_log_summary(&l, &s);
	CHECK(s.count == 102);
	CHECK(s.min_ns == 1 && s.max_ns == 100000);
	CHECK(s.last_ns == 1000 + 1000 * (uint64_t)((99 * 37) % 100));
	CHECK(s.window == PAUSE_RECENT);
	/* The last 64 of the permutation are i = 36..99; their median, the
	 * lower middle of the sorted 64, computed here the slow way. */
	{
		uint64_t v[PAUSE_RECENT], m;
		unsigned below, k = 0;

		for (unsigned i = 36; i < 100; i++)
			v[k++] = 1000 + 1000 * (uint64_t)((i * 37) % 100);
		m = s.median_ns;
		below = 0;
		for (k = 0; k < PAUSE_RECENT; k++)
			below += v[k] < m;
		CHECK(below == PAUSE_RECENT / 2 - 1);
	}
	pause_log_failed(&l);
	pause_log_summary(&l, &s);
	CHECK(s.failed == 1 && s.count == 102);
}

CHECK_MAIN()
