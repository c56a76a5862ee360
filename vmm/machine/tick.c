/*
 * The event loop's tick, armed only while something needs it: an idle
 * guest's monitor sleeps in epoll_wait with no timer at all.
 *
 * Arming races with disarming (a vCPU makes output pending while the loop
 * decides nobody needs the tick), so the order matters: the loop stops the
 * timer first, then clears tick_armed, then asks the devices again; a
 * device sets its own state first, then tests-and-sets tick_armed and arms
 * the timer if it was clear.  Whichever comes last re-arms it.
 */
#include <stdatomic.h>
#include <sys/timerfd.h>

#include "machine.h"

/* How often the tick replays batched guest writes and flushes console
 * output that has no newline yet, while it runs. */
#define TICK_NS (10 * 1000 * 1000)

static void tick_timer(int fd, bool on)
{
	struct itimerspec t = { 0 };

	if (on)
		t = (struct itimerspec){ .it_interval = { 0, TICK_NS }, .it_value = { 0, TICK_NS } };
	if (fd >= 0)
		timerfd_settime(fd, 0, &t, NULL);
}

void machine_want_tick(struct machine *m)
{
	if (!atomic_exchange(&m->tick_armed, true))
		tick_timer(m->tick_fd, true);
}

/* Entries in the ring at this tick: more may be coming, look again. */
static bool tick_needed(struct machine *m, unsigned drained)
{
	if (drained)
		return true;
	for (int i = 0; i < m->ndev; i++) {
		const struct device_module *mod = m->dev[i].mod;

		if (mod->tick && (!mod->tick_wanted || mod->tick_wanted(m->dev[i].state)))
			return true;
	}
	return false;
}

bool machine_tick(struct machine *m)
{
	unsigned drained = vm_drain_coalesced(&m->vm);

	for (int i = 0; i < m->ndev; i++)
		if (m->dev[i].mod->tick)
			m->dev[i].mod->tick(m->dev[i].state);
	if (tick_needed(m, drained))
		return true;
	tick_timer(m->tick_fd, false);
	atomic_store(&m->tick_armed, false);
	if (tick_needed(m, 0))
		machine_want_tick(m);
	return atomic_load(&m->tick_armed);
}
