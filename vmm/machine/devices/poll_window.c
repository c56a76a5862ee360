#include "poll_window.h"

void poll_window_notified(struct poll_window *w, uint64_t now)
{
	uint64_t gap = now - w->drained_at, ns;

	/* A quarter more than the gap, so the same answer is caught next time. */
	if (w->ns == 0 && w->drained_at && gap <= POLL_WINDOW_MAX_NS) {
		ns = gap + gap / 4;
		w->ns = ns < POLL_WINDOW_START_NS ? POLL_WINDOW_START_NS
		      : ns > POLL_WINDOW_MAX_NS ? POLL_WINDOW_MAX_NS : ns;
	}
	w->drained_at = 0;
}

uint64_t poll_window_begin(struct poll_window *w, uint64_t now, unsigned completed)
{
	if (!completed)
		return 0;
	w->drained_at = now;
	return w->ns;
}

void poll_window_end(struct poll_window *w, uint64_t now, bool caught, bool cut)
{
	w->drained_at = now;
	if (caught) {
		w->hits++;
		w->ns = w->ns * 2 < POLL_WINDOW_START_NS ? POLL_WINDOW_START_NS
		      : w->ns * 2 > POLL_WINDOW_MAX_NS ? POLL_WINDOW_MAX_NS : w->ns * 2;
		return;
	}
	if (cut)
		return;
	w->misses++;
	w->ns /= 2;
	if (w->ns < POLL_WINDOW_START_NS)
		w->ns = 0;
}
