/* The main thread's epoll loop: file descriptors and what to do when ready. */
#ifndef FLINT_EVENTLOOP_H
#define FLINT_EVENTLOOP_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*ev_fn)(void *ctx, uint32_t events);

#define EV_MAX_HANDLERS 64

struct ev_handler {
	int fd;          /* -1: free */
	uint32_t gen;    /* bumped by every ev_add into this slot */
	bool urgent;
	ev_fn fn;
	void *ctx;
};

struct event_loop {
	int epfd;
	int urgent_epfd;   /* the urgent descriptors again, for ev_urgent_pending */
	int n;
	struct ev_handler h[EV_MAX_HANDLERS];
	bool done;
};

int ev_init(struct event_loop *el);
void ev_fini(struct event_loop *el);
/*
 * Calls fn(ctx, events) from ev_run whenever fd is ready for `events`.
 * Safe from inside a handler: a slot freed by ev_del may be reused at
 * once, and events for its old descriptor still in the batch being
 * served are dropped (they carry the slot's old generation).
 */
int ev_add(struct event_loop *el, int fd, uint32_t events, ev_fn fn, void *ctx);
/*
 * The same for descriptors that end or redirect the run (the stop
 * eventfd, the signalfd): in each batch they are served before every
 * other handler, and ev_urgent_pending() tells a busy handler they wait.
 */
int ev_add_urgent(struct event_loop *el, int fd, uint32_t events, ev_fn fn, void *ctx);
int ev_del(struct event_loop *el, int fd);
/* Serves events until a handler sets el->done. */
int ev_run(struct event_loop *el);
/*
 * True when the loop is done or an urgent descriptor is ready: a handler
 * that polls (vmm/machine/devices/virtio_attach.c) stops and returns to the loop.  One
 * epoll_wait with no timeout on a set of the urgent descriptors only.
 */
bool ev_urgent_pending(struct event_loop *el);

#endif
