#ifndef GUEST_KERNEL_TIMER_H
#define GUEST_KERNEL_TIMER_H

#include <stdint.h>

/*
 * Halts until any interrupt, and no later than about TSC value `latest`:
 * a watchdog for waits on devices.  A wake-up already armed before
 * `latest` is reused, so a loop of such halts programs the timer once per
 * period rather than once per halt (each arming is ring-0 work).
 */
void timer_halt_by(uint64_t latest);

#endif
