/*
 * Sleeping: arm the LAPIC timer, halt, repeat until the TSC passes the
 * deadline.  The LAPIC is programmed from ring 3 through its MMIO page;
 * only the TSC-deadline MSR and hlt itself need ring 0.
 */
#include <stdbool.h>

#include <flint.h>

#include "arch/x86_64/cpu.h"
#include "kernel/clock.h"
#include "kernel/console.h"
#include "kernel/lapic.h"
#include "kernel/timer.h"

#define LVT_MASKED       (1u << 16)
#define LVT_MODE_MASK    (3u << 17)
#define LVT_TSC_DEADLINE (2u << 17)
#define DCR_DIVIDE_BY_1  0x0b
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CALIBRATION_NS   1000000ull
#define CALIBRATION_TRIES 5
#define CALIBRATION_SLACK 8       /* brackets wider than 1/8 of the span: measure again */

static enum { TIMER_OFF, TIMER_TSC_DEADLINE, TIMER_ONE_SHOT } mode;
static uint64_t lapic_hz;      /* one-shot mode: LAPIC timer ticks per second */
static uint64_t tsc_hz_cached;
static uint64_t armed;         /* TSC the timer fires at; in the past once it has fired */

/*
 * Without TSC-deadline mode, the LAPIC timer's rate is unknown: measure it
 * against the TSC, bracketing both ends of the count (the ICR write that
 * starts it, the CCR read that ends it) between two TSC readings.  A vCPU
 * preempted inside a bracket makes the count look longer (LAPIC ticks the
 * TSC did not see between the inner readings) or shorter: the old single
 * reading after the ICR write turned a 5 ms preemption there into a rate
 * six times too high, and every sleep and watchdog six times too long
 * (lwIP's 250 ms TCP timer 1.5 s).  So a loose bracket means measure
 * again; after CALIBRATION_TRIES loose ones, take the outer span, which
 * can only make the rate low: the timer then fires early and
 * timer_halt_by() / sleep_until() arm it again for the rest.
 */
static void calibrate_one_shot(void)
{
	uint64_t t0, t1, t2, t3, span, slack, hz = clock_tsc_hz();
	uint32_t left;

	lapic_write(LAPIC_TIMER_DCR, DCR_DIVIDE_BY_1);
	lapic_write(LAPIC_LVT_TIMER, VEC_TIMER | LVT_MASKED);
	for (unsigned tries = 1;; tries++) {
		t0 = rdtsc();
		lapic_write(LAPIC_TIMER_ICR, 0xffffffff);
		t1 = rdtsc();
		while (rdtsc() - t1 < clock_ns_to_tsc(CALIBRATION_NS))
			;
		t2 = rdtsc();
		left = lapic_read(LAPIC_TIMER_CCR);
		t3 = rdtsc();
		lapic_write(LAPIC_TIMER_ICR, 0);
		/* The count lasted between t2 - t1 and t3 - t0: midway, if that is tight. */
		slack = (t1 - t0) + (t3 - t2);
		if (slack <= (t3 - t0) / CALIBRATION_SLACK) {
			span = (t3 - t0) - slack / 2;
			break;
		}
		if (tries == CALIBRATION_TRIES) {
			span = t3 - t0;
			break;
		}
	}
	lapic_hz = (uint64_t)(0xffffffffu - left) * hz / span;
	if (!lapic_hz)
		panic("the LAPIC timer does not count (no TSC-deadline mode either): cannot sleep");
	lapic_write(LAPIC_LVT_TIMER, VEC_TIMER);
}

static void timer_init(void)
{
	tsc_hz_cached = clock_tsc_hz();
	lapic_enable();
	/* CPUID from ring 3 may describe the host rather than this VM (it does
	 * on kvm_pvm), so ask the LAPIC too: KVM drops mode bits that the VM's
	 * CPUID does not grant. */
	lapic_write(LAPIC_LVT_TIMER, VEC_TIMER | LVT_TSC_DEADLINE);
	if ((cpuid(1, 0).ecx & CPUID_1_ECX_TSC_DEADLINE) &&
	    (lapic_read(LAPIC_LVT_TIMER) & LVT_MODE_MASK) == LVT_TSC_DEADLINE) {
		mode = TIMER_TSC_DEADLINE;
	} else {
		calibrate_one_shot();
		mode = TIMER_ONE_SHOT;
	}
}

/* Sleeps until the deadline or any interrupt, whichever comes first. */
static void halt_until(uint64_t now, uint64_t deadline)
{
	uint64_t d = deadline - now, hz = tsc_hz_cached, ticks;

	/* A line in progress is out before the guest sleeps (nothing to do if empty). */
	console_flush();
	armed = deadline;
	if (mode == TIMER_TSC_DEADLINE) {
		cpu_halt_until(deadline);
		return;
	}
	/* TSC ticks to LAPIC ticks, split at whole seconds to stay in 64 bits */
	ticks = d / hz * lapic_hz + d % hz * lapic_hz / hz;
	lapic_write(LAPIC_TIMER_ICR, ticks == 0 ? 1 : ticks > 0xffffffff ? 0xffffffff : (uint32_t)ticks);
	cpu_halt();
}

static void sleep_until(uint64_t deadline)
{
	if (mode == TIMER_OFF)
		timer_init();
	/* Any interrupt ends a wait, so check the time again each round. */
	for (uint64_t now; (now = rdtsc()) < deadline;)
		halt_until(now, deadline);
}

void timer_halt_by(uint64_t latest)
{
	uint64_t now = rdtsc();

	if (mode == TIMER_OFF)
		timer_init();
	if (latest <= now)
		return;
	/* The one-shot timer counts at a calibrated rate: if the calibration
	 * ran short (the vCPU was preempted during it), the timer fires before
	 * `armed` and reusing it would halt with no wake-up at all.  So in
	 * that mode trust it only while it still counts. */
	if (armed > now && armed <= latest &&
	    (mode == TIMER_TSC_DEADLINE || lapic_read(LAPIC_TIMER_CCR) != 0)) {
		console_flush();
		cpu_halt();
	} else {
		halt_until(now, latest);
	}
}

void sleep_ns(uint64_t ns)
{
	uint64_t start = rdtsc(), ticks;

	if (!ns)
		return;
	ticks = clock_ns_to_tsc(ns);
	sleep_until(ticks > UINT64_MAX - start ? UINT64_MAX : start + ticks);
}

void sleep_ms(uint64_t ms)
{
	sleep_ns(ms > UINT64_MAX / 1000000 ? UINT64_MAX : ms * 1000000);
}
