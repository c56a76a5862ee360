/*
 * The guest's sleeping (guest-kernel/kernel/timer.c) in LAPIC one-shot
 * mode, as under QEMU TCG (no TSC-deadline timer), built for the host
 * against a simulated TSC and LAPIC timer: the calibration must survive a
 * vCPU preempted in the middle of it, and a sleep must end on time, never
 * early and not a multiple late.  timer.c calibrates once per process, so
 * each case runs in a child of its own.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "kernel/clock.h"
#include "kernel/console.h"
#include "kernel/lapic.h"
#include "kernel/timer.h"

void sleep_ns(uint64_t ns);

#define TSC_HZ   1000000000ull    /* a TSC tick is a nanosecond */
#define LAPIC_HZ 100000000ull
#define MS       1000000ull

static uint64_t now;
static uint32_t lvt, icr;
static uint64_t icr_at;
static unsigned halts;
/* The next N ICR writes (or CCR reads) are followed (preceded) by a preemption this long. */
static unsigned preempt_icr_n, preempt_ccr_n;
static uint64_t preempt_ns;

uint64_t rdtsc(void) { return now += 20; }
uint64_t clock_tsc_hz(void) { return TSC_HZ; }
uint64_t clock_ns_to_tsc(uint64_t ns) { return ns; }
struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf) { (void)leaf, (void)subleaf; return (struct cpuid_regs){ 0 }; }
void console_flush(void) {}
void lapic_enable(void) {}
void cpu_halt_until(uint64_t tsc_deadline) { (void)tsc_deadline; abort(); }

_Noreturn void panic(const char *fmt, ...)
{
	fprintf(stderr, "panic: %s\n", fmt);
	_exit(3);
}

static uint32_t ccr(void)
{
	uint64_t ticks = (now - icr_at) * LAPIC_HZ / TSC_HZ;

	return ticks >= icr ? 0 : (uint32_t)(icr - ticks);
}

void mmio_write32(uintptr_t addr, uint32_t v)
{
	switch (addr - LAPIC_BASE) {
	case LAPIC_LVT_TIMER:
		lvt = v;
		break;
	case LAPIC_TIMER_ICR:
		icr = v;
		icr_at = now;
		if (v && preempt_icr_n) {
			preempt_icr_n--;
			now += preempt_ns;
		}
		break;
	}
}

uint32_t mmio_read32(uintptr_t addr)
{
	switch (addr - LAPIC_BASE) {
	case LAPIC_LVT_TIMER:
		return lvt;
	case LAPIC_TIMER_CCR:
		if (preempt_ccr_n) {
			preempt_ccr_n--;
			now += preempt_ns;
		}
		return ccr();
	default:
		return 0;
	}
}

/* The only interrupt here is the LAPIC timer's: a halt ends when it fires. */
void cpu_halt(void)
{
	uint64_t fire = icr_at + ((uint64_t)icr * TSC_HZ + LAPIC_HZ - 1) / LAPIC_HZ;

	halts++;
	if (!icr || (lvt & (1u << 16))) {
		fprintf(stderr, "  halted with no timer armed: would never wake\n");
		_exit(2);
	}
	if (fire > now)
		now = fire;
	icr = 0;
}

/* Runs a sleep of `ms` in a child; exit status 0 if it ended on time, with at most max_halts halts. */
static int child_sleep(uint64_t ms, unsigned max_halts)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		uint64_t t0, took;

		now = 1000 * MS;
		sleep_ns(1000); /* calibrates */
		preempt_icr_n = preempt_ccr_n = 0;
		t0 = now;
		halts = 0;
		sleep_ns(ms * MS);
		took = now - t0;
		if (took < ms * MS || took > ms * MS + ms * MS / 10 || halts > max_halts) {
			fprintf(stderr, "  sleep of %llu ms took %llu.%03llu ms in %u halts\n",
				(unsigned long long)ms, (unsigned long long)(took / MS),
				(unsigned long long)(took % MS / 1000), halts);
			_exit(1);
		}
		_exit(0);
	}
	CHECK(pid > 0);
	CHECK(waitpid(pid, &st, 0) == pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

TEST(sleep_on_time_after_a_quiet_calibration)
{
	preempt_icr_n = preempt_ccr_n = 0;
	CHECK(child_sleep(100, 3) == 0);
	CHECK(child_sleep(250, 3) == 0);
}

/* The case that made every timer six times too slow. */
TEST(preempted_after_starting_the_count)
{
	preempt_icr_n = 1, preempt_ccr_n = 0, preempt_ns = 5 * MS;
	CHECK(child_sleep(250, 3) == 0);
}

TEST(preempted_before_reading_the_count)
{
	preempt_icr_n = 0, preempt_ccr_n = 1, preempt_ns = 5 * MS;
	CHECK(child_sleep(250, 3) == 0);
}

/* Preempted every time: the outer span, so early wake-ups, never a late one. */
TEST(preempted_on_every_try_errs_early)
{
	preempt_icr_n = 100, preempt_ccr_n = 0, preempt_ns = 5 * MS;
	CHECK(child_sleep(250, 200) == 0);
}

CHECK_MAIN()
