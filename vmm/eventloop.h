/* The main thread's epoll loop: file descriptors and what to do when ready. */
#ifndef FLINT_EVENTLOOP_H
#define FLINT_EVENTLOOP_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*ev_fn)(void *ctx, uint32_t events);

#define EV_MAX_HANDLERS 64

struct ev_handler {
	int fd;
	ev_fn fn;
	void *ctx;
};

struct event_loop {
	int epfd;
	int n;
	struct ev_handler h[EV_MAX_HANDLERS];
	bool done;
};

int ev_init(struct event_loop *el);
void ev_fini(struct event_loop *el);
/* Calls fn(ctx, events) from ev_run whenever fd is ready for `events`. */
int ev_add(struct event_loop *el, int fd, uint32_t events, ev_fn fn, void *ctx);
int ev_del(struct event_loop *el, int fd);
/* Serves events until a handler sets el->done. */
int ev_run(struct event_loop *el);

#endif
