/*
 * [net.NAME]: one virtio-net device per section (virtio/net.c) over an
 * existing tap.  What is net's own lives here: the tap (opened and
 * checked before the sandbox, vmm/machine/devices/tap.c), watching it, the guest's ip=
 * parameter and the counters for --stats; the transport, queues and
 * interrupt come from the common attach path (vmm/machine/devices/virtio_attach.c).
 *
 * The tap is watched edge-triggered: on readiness the RX queue is served
 * once (virtio_attach_serve), and the device reads until the tap is empty,
 * the guest has no buffer, or its slice ends (then the queue is re-armed).
 * A tap left readable for want of buffers needs no new edge: the guest's
 * notify when it posts buffers serves RX again.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "device_state.h"
#include "machine.h"
#include "net.h"
#include "net_module.h"
#include "stats.h"
#include "tap.h"
#include "teardown.h"
#include "virtio_attach.h"

struct net_if {
	char name[48];
	int tap;
	bool offload, watched;
	struct virtio_net *dev;
	struct virtio_attach *a;
};

struct nets {
	struct machine *m;
	struct net_if n[CONFIG_NETS_MAX];
	unsigned count;
};

static void ipv4_str(uint32_t a, char *buf, size_t len)
{
	struct in_addr in = { .s_addr = htonl(a) };

	inet_ntop(AF_INET, &in, buf, (socklen_t)len);
}

int net_ip_param(const struct config_net *n, unsigned index, char *buf, size_t len)
{
	char ip[16], gw[16] = "", mask[16];
	int r;

	if (!n->has_ip) {
		if (len)
			buf[0] = 0;
		return len ? 0 : -1;
	}
	ipv4_str(n->ip, ip, sizeof(ip));
	ipv4_str(n->prefix ? ~0u << (32 - n->prefix) : 0, mask, sizeof(mask));
	if (n->has_gateway)
		ipv4_str(n->gateway, gw, sizeof(gw));
	/* ip=<client>:<server>:<gw>:<netmask>:<hostname>:<device>:<autoconf> */
	r = snprintf(buf, len, "ip=%s::%s:%s::eth%u:off", ip, gw, mask, index);
	return r < 0 || (size_t)r >= len ? -1 : 0;
}

/* "config.ini:12: [net.eth0] tap = "t0": why", the form config errors take. */
static void tap_error(const struct flint_spec *cfg, unsigned index, const char *why, char *err, size_t errlen)
{
	const struct config_net *c = &cfg->nets[index];

	snprintf(err, errlen, "%s: [net.%s] tap = \"%s\": %s", spec_where(cfg, "net", "tap", index),
		 c->name, c->tap, why);
}

static void on_tap(void *ctx, uint32_t events)
{
	struct net_if *n = ctx;

	(void)events;
	virtio_attach_serve(n->a, VIRTIO_NET_RXQ);
}

static int net_setup_one(struct machine *m, struct net_if *n, const struct config_net *c,
			 char *err, size_t errlen)
{
	struct virtio_net_params p = { .mtu = c->mtu };
	char why[512];

	snprintf(n->name, sizeof(n->name), "net.%s", c->name);
	n->tap = tap_open(c->tap, &n->offload, why, sizeof(why));
	if (n->tap < 0) {
		tap_error(m->cfg, (unsigned)(c - m->cfg->nets), why, err, errlen);
		return -1;
	}
	teardown_helper_close_first(n->tap);
	memcpy(p.mac, c->mac, sizeof(p.mac));
	p.offload = n->offload;
	n->dev = virtio_net_create(&p, n->tap);
	if (!n->dev) {
		snprintf(err, errlen, "[%s]: cannot create the virtio-net device: %m", n->name);
		return -1;
	}
	n->a = virtio_attach(m, n->name, &virtio_net_ops, n->dev, err, errlen);
	if (!n->a)
		return -1;
	/*
	 * RX work arrives on the tap, which the loop watches: nothing to poll
	 * there.  What RX delivers, the guest answers on TX: poll TX then
	 * (idle host: UDP round trip 29 -> 18 us).  A sent frame brings no
	 * new one of itself: no poll after TX.
	 */
	virtio_attach_poll_after(n->a, VIRTIO_NET_RXQ, VIRTIO_NET_TXQ);
	virtio_attach_set_poll(n->a, VIRTIO_NET_TXQ, false);
	if (ev_add(&m->el, n->tap, EPOLLIN | EPOLLET, on_tap, n) < 0) {
		snprintf(err, errlen, "[%s]: event loop: %m", n->name);
		return -1;
	}
	n->watched = true;
	return 0;
}

static void nets_stop(void *state);

static void *nets_setup(struct machine *m, char *err, size_t errlen)
{
	struct nets *ns = calloc(1, sizeof(*ns));

	if (!ns) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ns->m = m;
	for (unsigned i = 0; i < m->cfg->nnets; i++) {
		ns->n[i].tap = -1;
		ns->count++;
		if (net_setup_one(m, &ns->n[i], &m->cfg->nets[i], err, errlen) < 0) {
			nets_stop(ns);
			return NULL;
		}
	}
	return ns;
}

/* Copied for --stats, which main prints after every device is gone. */
static void keep_stats(struct stats *s, const struct net_if *n)
{
	struct stats_net *sn;

	if (!s || !n->dev || s->nnets == STATS_MAX_NETS)
		return;
	sn = &s->nets[s->nnets++];
	snprintf(sn->name, sizeof(sn->name), "%s", n->name);
	sn->s = *virtio_net_stats(n->dev);
}

static void nets_stop(void *state)
{
	struct nets *ns = state;

	for (unsigned i = 0; i < ns->count; i++) {
		struct net_if *n = &ns->n[i];

		keep_stats(ns->m->vm.stats, n);
		if (n->watched)
			ev_del(&ns->m->el, n->tap);
		/* The transport first: it may call into the device as it goes. */
		virtio_attach_destroy(n->a);
		if (n->dev)
			virtio_net_destroy(n->dev);
		/* Closing a tap waits for an RCU grace period (tun_detach's
		 * synchronize_net: ~1 ms here).  The teardown helper closes it
		 * with the VM's descriptors, off the path the parent waits for;
		 * tap_open() waits briefly for a tap still being let go. */
		if (n->tap >= 0 && !teardown_helper_running())
			close(n->tap);
	}
	free(ns);
}

static int nets_fds(void *state, int *fds, int max)
{
	struct nets *ns = state;
	int n = 0;

	for (unsigned i = 0; i < ns->count && n < max; i++) {
		int k = virtio_attach_fds(ns->n[i].a, fds + n + 1, max - n - 1);

		if (!k)
			break;
		fds[n] = ns->n[i].tap;
		n += k + 1;
	}
	return n;
}

/* Each interface's window, then its ip= (the guest pairs them by order). */
static int nets_announce(void *state, struct machine *m, char *err, size_t errlen)
{
	struct nets *ns = state;
	char param[96];

	for (unsigned i = 0; i < ns->count; i++) {
		if (virtio_attach_announce(ns->n[i].a, m, err, errlen) < 0)
			return -1;
		if (net_ip_param(&m->cfg->nets[i], i, param, sizeof(param)) < 0 ||
		    (param[0] && machine_add_param(m, "%s", param) < 0)) {
			snprintf(err, errlen, "[%s]: kernel command line full", ns->n[i].name);
			return -1;
		}
	}
	return 0;
}

/* Snapshots: per interface, net's record, then its transport's.  The tap
 * is the spec's: frames waiting in it are read after the restore. */
static int net_save(void *n, struct state_out *out) { return virtio_net_save(n, out); }
static int net_load(void *n, struct state_in *in, char *err, size_t errlen)
{
	return virtio_net_load(n, in, err, errlen);
}

static unsigned net_instances(void *state, struct device_instance *v)
{
	struct nets *ns = state;

	for (unsigned i = 0; i < ns->count; i++)
		v[i] = (struct device_instance){ ns->n[i].name, ns->n[i].dev,
						 virtio_attach_transport(ns->n[i].a) };
	return ns->count;
}

_Static_assert(CONFIG_NETS_MAX <= DEVICE_STATE_INSTANCES_MAX, "every net fits one module record");

static const struct device_instance_ops net_state_ops = { net_save, net_load, net_instances };

static int nets_save(void *state, struct state_out *out)
{
	return device_state_save_module(&net_state_ops, state, out);
}

static int nets_load(void *state, struct state_in *in, char *err, size_t errlen)
{
	return device_state_load_module(&net_state_ops, state, in, err, errlen);
}

const struct device_module net_module = {
	.name = "net",
	.setup = nets_setup,
	.announce = nets_announce,
	.stop = nets_stop,
	.fds = nets_fds,
	.save = nets_save,
	.load = nets_load,
	.state_version = 1,
};

int net_check(const struct flint_spec *cfg, FILE *out, FILE *errs)
{
	bool offload[CONFIG_NETS_MAX];
	int status = 0;

	for (unsigned i = 0; i < cfg->nnets; i++) {
		char why[512], err[1024];
		int fd = tap_open(cfg->nets[i].tap, &offload[i], why, sizeof(why));

		if (fd < 0) {
			tap_error(cfg, i, why, err, sizeof(err));
			fprintf(errs, "flint: %s\n", err);
			status = -1;
			continue;
		}
		close(fd);
	}
	if (status < 0)
		return -1;
	for (unsigned i = 0; i < cfg->nnets; i++) {
		const struct config_net *n = &cfg->nets[i];
		char param[96];

		fprintf(out, "  [net.%s] tap %s (offloads %s), mac %02x:%02x:%02x:%02x:%02x:%02x, mtu %u", n->name,
			n->tap, offload[i] ? "yes" : "no", n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4],
			n->mac[5], n->mtu);
		if (net_ip_param(n, i, param, sizeof(param)) == 0 && param[0])
			fprintf(out, ", guest %s", param);
		fprintf(out, "\n");
	}
	return 0;
}
