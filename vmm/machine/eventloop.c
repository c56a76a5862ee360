#include "eventloop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#define EV_BATCH 16

int ev_init(struct event_loop *el)
{
	*el = (struct event_loop){ .epfd = epoll_create1(EPOLL_CLOEXEC), .urgent_epfd = -1 };
	if (el->epfd < 0)
		return -1;
	el->urgent_epfd = epoll_create1(EPOLL_CLOEXEC);
	return el->urgent_epfd < 0 ? -1 : 0;
}

void ev_fini(struct event_loop *el)
{
	if (el->epfd >= 0)
		close(el->epfd);
	if (el->urgent_epfd >= 0)
		close(el->urgent_epfd);
	el->epfd = el->urgent_epfd = -1;
}

/* epoll_event.data: the slot in the low half, its generation in the high. */
static uint64_t ev_token(const struct event_loop *el, int i)
{
	return (uint64_t)el->h[i].gen << 32 | (uint32_t)i;
}

static int add(struct event_loop *el, int fd, uint32_t events, ev_fn fn, void *ctx, bool urgent)
{
	struct epoll_event e = { .events = events };
	int i;

	for (i = 0; i < el->n && el->h[i].fd != -1; i++)
		;
	if (i == EV_MAX_HANDLERS) {
		errno = ENOSPC;
		return -1;
	}
	/*
	 * A slot freed during the current batch may be taken here while the
	 * batch still holds an event for the descriptor that had it; the new
	 * generation makes ev_run drop that event instead of handing it to
	 * this handler.
	 */
	el->h[i] = (struct ev_handler){ .fd = fd, .gen = el->h[i].gen + 1, .urgent = urgent, .fn = fn, .ctx = ctx };
	e.data.u64 = ev_token(el, i);
	if (epoll_ctl(el->epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
		el->h[i].fd = -1;
		return -1;
	}
	if (urgent) {
		struct epoll_event u = { .events = events };

		if (epoll_ctl(el->urgent_epfd, EPOLL_CTL_ADD, fd, &u) < 0) {
			epoll_ctl(el->epfd, EPOLL_CTL_DEL, fd, NULL);
			el->h[i].fd = -1;
			return -1;
		}
	}
	if (i == el->n)
		el->n++;
	return 0;
}

int ev_add(struct event_loop *el, int fd, uint32_t events, ev_fn fn, void *ctx)
{
	return add(el, fd, events, fn, ctx, false);
}

int ev_add_urgent(struct event_loop *el, int fd, uint32_t events, ev_fn fn, void *ctx)
{
	return add(el, fd, events, fn, ctx, true);
}

int ev_del(struct event_loop *el, int fd)
{
	for (int i = 0; i < el->n; i++)
		if (el->h[i].fd == fd) {
			el->h[i].fd = -1;
			if (el->h[i].urgent)
				epoll_ctl(el->urgent_epfd, EPOLL_CTL_DEL, fd, NULL);
			return epoll_ctl(el->epfd, EPOLL_CTL_DEL, fd, NULL);
		}
	errno = ENOENT;
	return -1;
}

/* The handler an event is for, or NULL when its slot changed hands. */
static struct ev_handler *ev_target(struct event_loop *el, uint64_t token)
{
	uint32_t i = (uint32_t)token;

	if (i >= (uint32_t)el->n || el->h[i].fd < 0 || el->h[i].gen != (uint32_t)(token >> 32))
		return NULL;
	return &el->h[i];
}

static void dispatch(struct event_loop *el, const struct epoll_event *ev, int n, bool urgent)
{
	for (int i = 0; i < n && !el->done; i++) {
		struct ev_handler *h = ev_target(el, ev[i].data.u64);

		if (h && h->urgent == urgent)
			h->fn(h->ctx, ev[i].events);
	}
}

int ev_run(struct event_loop *el)
{
	struct epoll_event ev[EV_BATCH];

	while (!el->done) {
		int n = epoll_wait(el->epfd, ev, EV_BATCH, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		/* Stop and signals first: a busy queue later in the batch
		 * then sees the VM stopping and does not poll. */
		dispatch(el, ev, n, true);
		dispatch(el, ev, n, false);
	}
	return 0;
}

bool ev_urgent_pending(struct event_loop *el)
{
	struct epoll_event e;

	return el->done || epoll_wait(el->urgent_epfd, &e, 1, 0) > 0;
}
