/*
 * [console] device = virtio: a virtio-console (virtio/console.c) carries
 * the guest's stdin and stdout; the UART (vmm/machine/devices/console.c) keeps its stderr
 * and early messages, written to flint's stderr.  What is the console's
 * own lives here: its output (the same stdout / none / file:PATH as the
 * UART's, vmm/machine/devices/console_out.c), its input (stdin or none), watching both,
 * and the counters for --stats; the transport, queues and interrupt come
 * from the common attach path (vmm/machine/devices/virtio_attach.c).
 *
 * Input is watched edge-triggered, as virtio-net's tap: on readiness RX
 * is served once and reads until the input is empty, the guest has no
 * buffer or its slice ends (then the queue is re-armed).  Input left
 * unread for want of buffers waits in the pipe (its writer blocks, no
 * byte is lost) and the guest's notify when it posts buffers serves RX
 * again.  A regular file cannot be watched (epoll refuses it) and needs
 * no watching: it is always readable, so the guest's notifies suffice.
 * Output that would block is watched for EPOLLOUT until writable, and the
 * guest's transmit buffers wait meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console.h"
#include "console_out.h"
#include "device_state.h"
#include "machine.h"
#include "stats.h"
#include "virtio_attach.h"

struct vconsole {
	struct machine *m;
	struct virtio_console *dev;
	struct virtio_attach *a;
	struct console_out out;
	int in_fd;             /* -1: [console] input = none */
	bool own_in;           /* reopened here: close it */
	int in_restore_flags;  /* >= 0: O_NONBLOCK was set on stdin itself, put these back */
	bool in_watched, out_watched;
};

/*
 * stdin as a descriptor that never blocks the loop: a regular file as it
 * is, anything else reopened non-blocking through /proc (so the shell
 * that shares stdin keeps its blocking mode) or, failing that (sockets),
 * switched to O_NONBLOCK until the end of the run.
 */
static int open_input(struct vconsole *v, char *err, size_t errlen)
{
	struct stat st;
	int fl;

	if (fstat(STDIN_FILENO, &st) < 0) {
		snprintf(err, errlen, "%s: [console] input = stdin: %s", spec_where(v->m->cfg, "console", "input", 0), strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
		v->in_fd = STDIN_FILENO;
		return 0;
	}
	v->in_fd = open("/proc/self/fd/0", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (v->in_fd >= 0) {
		v->own_in = true;
		return 0;
	}
	fl = fcntl(STDIN_FILENO, F_GETFL);
	if (fl < 0 || (!(fl & O_NONBLOCK) && fcntl(STDIN_FILENO, F_SETFL, fl | O_NONBLOCK) < 0)) {
		snprintf(err, errlen, "%s: [console] input = stdin: cannot make it non-blocking: %s",
			 spec_where(v->m->cfg, "console", "input", 0), strerror(errno));
		return -1;
	}
	if (!(fl & O_NONBLOCK))
		v->in_restore_flags = fl;
	v->in_fd = STDIN_FILENO;
	return 0;
}

static void on_input(void *ctx, uint32_t events)
{
	struct vconsole *v = ctx;

	(void)events;
	virtio_attach_serve(v->a, VIRTIO_CONSOLE_RXQ);
}

static void on_writable(void *ctx, uint32_t events)
{
	struct vconsole *v = ctx;

	(void)events;
	if (v->out_watched && ev_del(&v->m->el, v->out.fd) == 0)
		v->out_watched = false;
	virtio_attach_serve(v->a, VIRTIO_CONSOLE_TXQ);
}

/* Device hooks; all run on the event loop's thread (the queue handlers'). */
static void out_blocked(void *ctx)
{
	struct vconsole *v = ctx;

	if (!v->out_watched && ev_add(&v->m->el, v->out.fd, EPOLLOUT, on_writable, v) == 0)
		v->out_watched = true;
}

static void out_failed(void *ctx, int err)
{
	struct vconsole *v = ctx;

	atomic_store(&v->m->output_lost, true);
	console_out_failed(&v->out, err);
}

static void in_done(void *ctx)
{
	struct vconsole *v = ctx;

	if (v->in_watched && ev_del(&v->m->el, v->in_fd) == 0)
		v->in_watched = false;
}

static void vconsole_stop(void *state);

static void *vconsole_setup(struct machine *m, char *err, size_t errlen)
{
	struct vconsole *v = calloc(1, sizeof(*v));
	struct virtio_console_params p;

	if (!v) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	v->m = m;
	v->in_fd = -1;
	v->in_restore_flags = -1;
	v->out.fd = v->out.restore_fd = -1;
	v->out.report_fd = STDERR_FILENO;
	if (m->cfg->console_device != CONSOLE_DEV_VIRTIO)
		return v; /* the UART carries everything */
	if (console_out_open(&v->out, m->cfg, err, errlen) < 0 ||
	    (m->cfg->console_input == CONSOLE_IN_STDIN && open_input(v, err, errlen) < 0))
		goto fail;
	p = (struct virtio_console_params){ .in_fd = v->in_fd, .out_fd = v->out.fd, .ctx = v,
					    .out_blocked = out_blocked, .out_failed = out_failed,
					    .in_done = in_done };
	v->dev = virtio_console_create(&p);
	if (!v->dev) {
		snprintf(err, errlen, "[console]: cannot create the virtio-console device: %s", strerror(errno));
		goto fail;
	}
	v->a = virtio_attach(m, "console", &virtio_console_ops, v->dev, err, errlen);
	if (!v->a)
		goto fail;
	/* RX work arrives on the input, which the loop watches: nothing to poll. */
	virtio_attach_set_poll(v->a, VIRTIO_CONSOLE_RXQ, false);
	if (v->in_fd >= 0) {
		if (ev_add(&m->el, v->in_fd, EPOLLIN | EPOLLET, on_input, v) == 0)
			v->in_watched = true;
		else if (errno != EPERM) { /* EPERM: a regular file, always readable */
			snprintf(err, errlen, "[console]: cannot watch stdin: %s", strerror(errno));
			goto fail;
		}
	}
	return v;
fail:
	vconsole_stop(v);
	return NULL;
}

/* Copied for --stats, which main prints after every device is gone; a
 * loss is said once and makes a guest status 0 FLINT_EXIT_OUTPUT_LOST. */
static void vconsole_report(struct vconsole *v)
{
	const struct virtio_console_stats *s = virtio_console_stats(v->dev);

	if (s->out_dropped) {
		atomic_store(&v->m->output_lost, true);
		console_out_say(&v->out, "flint: virtio-console: %llu bytes of guest output dropped\n",
				(unsigned long long)s->out_dropped);
	}
	if (v->m->vm.stats) {
		v->m->vm.stats->vconsole = true;
		v->m->vm.stats->vconsole_s = *s;
	}
}

static void vconsole_stop(void *state)
{
	struct vconsole *v = state;

	if (v->dev)
		vconsole_report(v);
	if (v->in_watched)
		ev_del(&v->m->el, v->in_fd);
	if (v->out_watched)
		ev_del(&v->m->el, v->out.fd);
	/* The transport first: it may call into the device as it goes. */
	virtio_attach_destroy(v->a);
	if (v->dev)
		virtio_console_destroy(v->dev);
	if (v->own_in)
		close(v->in_fd);
	if (v->in_restore_flags >= 0)
		fcntl(STDIN_FILENO, F_SETFL, v->in_restore_flags);
	console_out_close(&v->out);
	free(v);
}

static int vconsole_fds(void *state, int *fds, int max)
{
	struct vconsole *v = state;
	int own[3], nown = 0, k;

	if (!v->dev)
		return 0;
	if (v->in_fd >= 0)
		own[nown++] = v->in_fd;
	if (v->out.own_fd)
		own[nown++] = v->out.fd;
	if (v->out.own_report)
		own[nown++] = v->out.report_fd;
	if (nown > max)
		return nown + VIRTIO_ATTACH_FDS(virtio_console_ops.num_queues);
	memcpy(fds, own, (size_t)nown * sizeof(own[0]));
	k = virtio_attach_fds(v->a, fds + nown, max - nown);
	return k ? nown + k : nown + VIRTIO_ATTACH_FDS(virtio_console_ops.num_queues);
}

/* Snapshots: the console's record, then its transport's. */
static int dev_save(void *d, struct state_out *out) { return virtio_console_save(d, out); }
static int dev_load(void *d, struct state_in *in, char *err, size_t errlen)
{
	return virtio_console_load(d, in, err, errlen);
}

static unsigned vconsole_instances(void *state, struct device_instance *i)
{
	struct vconsole *v = state;

	if (!v->dev)
		return 0;
	*i = (struct device_instance){ "vconsole", v->dev, virtio_attach_transport(v->a) };
	return 1;
}

static const struct device_instance_ops vconsole_state_ops = { dev_save, dev_load, vconsole_instances };

static int vconsole_save(void *state, struct state_out *out)
{
	return device_state_save_module(&vconsole_state_ops, state, out);
}

static int vconsole_load(void *state, struct state_in *in, char *err, size_t errlen)
{
	return device_state_load_module(&vconsole_state_ops, state, in, err, errlen);
}

/* The boot door: the guest finds the device on its command line. */
static int vconsole_announce(void *state, struct machine *m, char *err, size_t errlen)
{
	struct vconsole *v = state;

	return v->dev ? virtio_attach_announce(v->a, m, err, errlen) : 0;
}

const struct device_module vconsole_module = {
	.name = "vconsole",
	.setup = vconsole_setup,
	.stop = vconsole_stop,
	.fds = vconsole_fds,
	.announce = vconsole_announce,
	.save = vconsole_save,
	.load = vconsole_load,
	.state_version = 1,
};
