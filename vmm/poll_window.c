#include "poll_window.h"

void poll_window_notified(struct poll_window *w, uint64_t now)
{
	if (w->ns == 0 && w->drained_at && now - w->drained_at <= POLL_WINDOW_MAX_NS)
		w->ns = POLL_WINDOW_START_NS;
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
