/*
 * How long the serving thread keeps polling a virtqueue after draining
 * it: a window per queue that has to earn its keep, as KVM's
 * halt_poll_ns does for a halting vCPU.
 *
 * Polling pays when the guest answers completions with new requests
 * within microseconds (virtio-blk with requests in flight: the poll takes
 * them without an eventfd round trip and a wake-up).  It costs when the
 * next request is far off (a network echo's transmit queue: its next
 * frame waits for a client's round trip): on a 2-core host the spinning
 * thread takes the core the vCPU or the client needs.  So:
 *
 *  - no poll after a call that gave nothing back to the driver: with
 *    nothing in flight there is nothing for the guest to answer;
 *  - a poll that catches work doubles the window (from
 *    POLL_WINDOW_START_NS up to POLL_WINDOW_MAX_NS), one that does not
 *    halves it, and below POLL_WINDOW_START_NS it is 0: no polling;
 *  - with the window at 0, a guest notify that came within
 *    POLL_WINDOW_MAX_NS of the last drain (a poll could have caught it)
 *    opens it again, a quarter longer than that gap (at least
 *    POLL_WINDOW_START_NS): a guest that answers in 30 us (woken from a
 *    halt) gets a window that catches the next answer, not a 10 us one
 *    that misses and closes again.
 *
 * Pure bookkeeping over times the caller passes in: unit-tested without
 * KVM (tests/unit/test_poll_window.c).
 */
#ifndef FLINT_POLL_WINDOW_H
#define FLINT_POLL_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The ceiling: a guest that is running answers within a few microseconds
 * (blk's next request, an echo); one that takes longer was not running,
 * and on a loaded 2-core host spinning for it only delays it further.
 */
#define POLL_WINDOW_MAX_NS 20000
#define POLL_WINDOW_START_NS 10000
_Static_assert(2 * POLL_WINDOW_START_NS <= POLL_WINDOW_MAX_NS, "a window can double at least once");

struct poll_window {
	uint64_t ns;         /* the window the next poll gets; 0: none */
	uint64_t drained_at; /* when the queue last drained after giving work back; 0: not since */
	uint64_t hits, misses; /* polls that caught work, polls that did not */
};

/* A notify from the guest (not our own re-arm) reached the queue at `now`. */
void poll_window_notified(struct poll_window *w, uint64_t now);
/*
 * The queue drained at `now` after a call that gave `completed` chains
 * back: the window to poll for now (0: do not poll).  Each poll that
 * starts must be closed with poll_window_end.
 */
uint64_t poll_window_begin(struct poll_window *w, uint64_t now, unsigned completed);
/*
 * The poll ended at `now`: `caught` when it served work.  `cut` when it
 * ended early for a reason that says nothing about the guest (a signal, a
 * stop, another descriptor ready): the window then stays as it is unless
 * the poll had caught work.
 */
void poll_window_end(struct poll_window *w, uint64_t now, bool caught, bool cut);

#endif
