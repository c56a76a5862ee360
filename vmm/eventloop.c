#include "eventloop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

int ev_init(struct event_loop *el)
{
	*el = (struct event_loop){ .epfd = epoll_create1(EPOLL_CLOEXEC) };
	return el->epfd < 0 ? -1 : 0;
}

void ev_fini(struct event_loop *el)
{
	if (el->epfd >= 0)
		close(el->epfd);
	el->epfd = -1;
}

int ev_add(struct event_loop *el, int fd, uint32_t events, ev_fn fn, void *ctx)
{
	struct epoll_event e = { .events = events };
	int i;

	/* Slots are never reused while the loop runs, so data.ptr stays valid. */
	for (i = 0; i < el->n && el->h[i].fd != -1; i++)
		;
	if (i == EV_MAX_HANDLERS) {
		errno = ENOSPC;
		return -1;
	}
	el->h[i] = (struct ev_handler){ fd, fn, ctx };
	e.data.ptr = &el->h[i];
	if (epoll_ctl(el->epfd, EPOLL_CTL_ADD, fd, &e) < 0)
		return -1;
	if (i == el->n)
		el->n++;
	return 0;
}

int ev_del(struct event_loop *el, int fd)
{
	for (int i = 0; i < el->n; i++)
		if (el->h[i].fd == fd) {
			el->h[i].fd = -1;
			return epoll_ctl(el->epfd, EPOLL_CTL_DEL, fd, NULL);
		}
	errno = ENOENT;
	return -1;
}

int ev_run(struct event_loop *el)
{
	struct epoll_event ev[16];

	while (!el->done) {
		int n = epoll_wait(el->epfd, ev, 16, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (int i = 0; i < n && !el->done; i++) {
			struct ev_handler *h = ev[i].data.ptr;

			if (h->fd >= 0)
				h->fn(h->ctx, ev[i].events);
		}
	}
	return 0;
}
