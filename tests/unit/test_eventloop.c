/* Unit tests for vmm/machine/eventloop.c and the attach path's poll window: eventfds only, no KVM. */
#include <stdatomic.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "check.h"
#include "eventloop.h"
#include "stats.h"
#include "virtio_attach.h"

static int efd(void)
{
	return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

static void poke(int fd)
{
	uint64_t one = 1;

	CHECK(write(fd, &one, sizeof(one)) == sizeof(one));
}

static void drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0) {
		/* nothing pending */
	}
}

struct ctx {
	struct event_loop *el;
	int fd, other, replacement;
	int calls;
	int order;          /* when this handler ran (global sequence) */
};

static int seq;

static void count_and_drain(void *p, uint32_t ev)
{
	struct ctx *c = p;

	(void)ev;
	drain(c->fd);
	c->calls++;
	c->order = ++seq;
}

static void finish(void *p, uint32_t ev)
{
	struct ctx *c = p;

	count_and_drain(p, ev);
	c->el->done = true;
}

static struct ctx replaced;

/* Deletes `other` (whose event is later in this batch) and adds a new
 * descriptor, which takes the slot `other` just freed. */
static void swap_out_other(void *p, uint32_t ev)
{
	struct ctx *c = p;

	count_and_drain(p, ev);
	CHECK(ev_del(c->el, c->other) == 0);
	CHECK(ev_add(c->el, c->replacement, EPOLLIN, count_and_drain, &replaced) == 0);
}

TEST(stale_event_does_not_reach_reused_slot)
{
	struct event_loop el;
	int a = efd(), b = efd(), c = efd(), e = efd();
	struct ctx ca = { .el = &el, .fd = a, .other = b, .replacement = c }, cb = { .el = &el, .fd = b },
		   ce = { .el = &el, .fd = e };

	replaced = (struct ctx){ .el = &el, .fd = c };
	CHECK(ev_init(&el) == 0);
	CHECK(ev_add(&el, a, EPOLLIN, swap_out_other, &ca) == 0);
	CHECK(ev_add(&el, b, EPOLLIN, count_and_drain, &cb) == 0);
	CHECK(ev_add(&el, e, EPOLLIN, finish, &ce) == 0);
	/* Ready in this order, so one batch holds a, b, e in this order. */
	poke(a);
	poke(b);
	poke(e);
	CHECK(ev_run(&el) == 0);
	CHECK(ca.calls == 1);
	CHECK(cb.calls == 0);        /* deleted before its turn */
	CHECK(replaced.calls == 0);  /* b's stale event must not run c's handler */
	CHECK(ce.calls == 1);
	/* The replacement works once it is really ready. */
	el.done = false;
	ce.calls = 0;
	poke(c);
	CHECK(ev_del(&el, e) == 0);
	CHECK(ev_add(&el, e, EPOLLIN, finish, &ce) == 0);
	poke(e);
	CHECK(ev_run(&el) == 0);
	CHECK(replaced.calls == 1);
	ev_fini(&el);
	close(a), close(b), close(c), close(e);
}

TEST(urgent_handlers_run_first_in_a_batch)
{
	struct event_loop el;
	int q = efd(), s = efd();
	struct ctx cq = { .el = &el, .fd = q }, cs = { .el = &el, .fd = s };

	seq = 0;
	CHECK(ev_init(&el) == 0);
	CHECK(ev_add(&el, q, EPOLLIN, count_and_drain, &cq) == 0);
	CHECK(ev_add_urgent(&el, s, EPOLLIN, finish, &cs) == 0);
	poke(q);     /* the queue became ready first ... */
	poke(s);     /* ... but the stop is served first, and ends the loop */
	CHECK(ev_run(&el) == 0);
	CHECK(cs.calls == 1 && cs.order == 1);
	CHECK(cq.calls == 0);
	ev_fini(&el);
	close(q), close(s);
}

TEST(urgent_pending_sees_only_urgent_descriptors)
{
	struct event_loop el;
	int q = efd(), s = efd();
	struct ctx cq = { .el = &el, .fd = q }, cs = { .el = &el, .fd = s };

	CHECK(ev_init(&el) == 0);
	CHECK(ev_add(&el, q, EPOLLIN, count_and_drain, &cq) == 0);
	CHECK(ev_add_urgent(&el, s, EPOLLIN, count_and_drain, &cs) == 0);
	CHECK(!ev_urgent_pending(&el));
	poke(q);
	CHECK(!ev_urgent_pending(&el));
	poke(s);
	CHECK(ev_urgent_pending(&el));
	drain(s);
	CHECK(!ev_urgent_pending(&el));
	CHECK(ev_del(&el, s) == 0);
	poke(s);
	CHECK(!ev_urgent_pending(&el));   /* deleted from both sets */
	el.done = true;
	CHECK(ev_urgent_pending(&el));
	ev_fini(&el);
	close(q), close(s);
}

/* ---- the poll (vmm/machine/devices/virtio_attach.c) ------------------- */

struct busy {
	atomic_bool *stopping;
	int signal_fd;
	uint64_t calls, stop_at, signal_at, more_at, catch_until;
};

static enum poll_serve busy_serve(void *p)
{
	struct busy *b = p;

	b->calls++;
	if (b->calls == b->stop_at)
		atomic_store(b->stopping, true);
	if (b->calls == b->signal_at)
		poke(b->signal_fd);
	if (b->calls == b->more_at)
		return POLL_LEFT_WORK;
	return b->calls <= b->catch_until ? POLL_CAUGHT : POLL_IDLE;
}

#define LONG_WINDOW (2ull * 1000 * 1000 * 1000) /* 2 s: only an early end passes */

/* An event loop, its probe, and a VM that is not stopping. */
struct poll_fixture {
	struct event_loop el;
	atomic_bool stopping;
	int probe;
};

static void fixture_init(struct poll_fixture *f)
{
	CHECK(ev_init(&f->el) == 0);
	atomic_init(&f->stopping, false);
	CHECK((f->probe = virtio_attach_probe(&f->el)) >= 0);
}

static void fixture_fini(struct poll_fixture *f)
{
	close(f->probe);
	ev_fini(&f->el);
}

static struct poll_outcome poll_with(struct poll_fixture *f, uint64_t window, uint64_t tail, struct busy *b)
{
	return virtio_attach_poll(&f->el, f->probe, &f->stopping, window, tail, busy_serve, b);
}

TEST(poll_ends_when_vm_stops)
{
	struct poll_fixture f;
	struct busy b = { .stopping = &f.stopping, .signal_fd = -1, .stop_at = 3 };
	struct poll_outcome o;
	uint64_t t0;

	fixture_init(&f);
	t0 = stats_now_ns();
	o = poll_with(&f, LONG_WINDOW, LONG_WINDOW, &b);
	CHECK(o.calls == 3 && o.cut && !o.caught);
	CHECK(stats_now_ns() - t0 < LONG_WINDOW / 4);
	/* Already stopping: no call at all. */
	CHECK(poll_with(&f, LONG_WINDOW, LONG_WINDOW, &b).calls == 0);
	fixture_fini(&f);
}

/* Seen at the next check, every VIRTIO_ATTACH_CHECK_NS: far below the window. */
static void check_poll_yields_to(bool urgent)
{
	struct poll_fixture f;
	int sig = efd();
	struct ctx cs = { .el = &f.el, .fd = sig };
	struct busy b = { .stopping = &f.stopping, .signal_fd = sig, .signal_at = 5 };
	struct poll_outcome o;
	struct epoll_event e;
	uint64_t t0;

	fixture_init(&f);
	if (urgent)
		CHECK(ev_add_urgent(&f.el, sig, EPOLLIN, count_and_drain, &cs) == 0);
	else
		CHECK(ev_add(&f.el, sig, EPOLLIN | EPOLLET, count_and_drain, &cs) == 0);
	t0 = stats_now_ns();
	o = poll_with(&f, LONG_WINDOW, LONG_WINDOW, &b);
	CHECK(stats_now_ns() - t0 < LONG_WINDOW / 4);
	CHECK(o.cut && b.calls >= 5);
	/* The probe took nothing: the loop still gets the (edge-triggered) event. */
	CHECK(epoll_wait(f.el.epfd, &e, 1, 0) == 1);
	fixture_fini(&f);
	close(sig);
}

TEST(poll_yields_to_a_pending_signal)
{
	check_poll_yields_to(true);
}

TEST(poll_yields_to_any_ready_descriptor_without_taking_its_event)
{
	check_poll_yields_to(false);
}

TEST(poll_ends_when_work_is_left)
{
	struct poll_fixture f;
	struct busy b = { .stopping = &f.stopping, .signal_fd = -1, .more_at = 2 };
	struct poll_outcome o;

	fixture_init(&f);
	o = poll_with(&f, LONG_WINDOW, LONG_WINDOW, &b);
	CHECK(o.calls == 2 && o.caught && o.left_work && !o.cut);
	fixture_fini(&f);
}

TEST(poll_lasts_its_window_when_idle)
{
	struct poll_fixture f;
	struct busy b = { .stopping = &f.stopping, .signal_fd = -1 };
	struct poll_outcome o;
	uint64_t t0 = stats_now_ns();

	fixture_init(&f);
	o = poll_with(&f, 200000, 200000, &b);
	CHECK(o.calls > 0 && !o.caught && !o.cut);
	CHECK(stats_now_ns() - t0 >= 200000);
	fixture_fini(&f);
}

TEST(poll_goes_on_while_it_catches_work)
{
	struct poll_fixture f;
	struct busy b = { .stopping = &f.stopping, .signal_fd = -1 };
	struct poll_outcome o;
	uint64_t t0;

	fixture_init(&f);
	/* Catches with a window far shorter than the catches go on: the
	 * poll follows them (with a tail no scheduler delay outlasts) until
	 * the device leaves work at call 5001 ... */
	b.catch_until = 5000;
	b.more_at = 5001;
	o = poll_with(&f, 1, LONG_WINDOW, &b);
	CHECK(o.caught && o.left_work && o.calls == 5001);
	/* ... and after a catch, only the tail is left of a long window. */
	b = (struct busy){ .stopping = &f.stopping, .signal_fd = -1, .catch_until = 1 };
	t0 = stats_now_ns();
	o = poll_with(&f, LONG_WINDOW, 1000, &b);
	CHECK(o.caught && !o.cut && !o.left_work);
	CHECK(stats_now_ns() - t0 < LONG_WINDOW / 4);
	fixture_fini(&f);
}

CHECK_MAIN()
