/*
 * lwIP's network interface over virtio-net: frames are copied from the
 * driver's receive buffers into pbufs (so the buffers go straight back to
 * the device) and from lwIP's pbuf chains into a transmit slot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flint.h>

#include "arch/x86_64/cpu.h"
#include "kernel/clock.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "net/netif.h"
#include "netif/ethernet.h"

#define RX_BATCH 64   /* frames per poll before lwIP's timers get a turn */

static struct netif nif;
static struct net_dev *dev;
static uint64_t rx_no_pbuf;

static err_t linkoutput(struct netif *n, struct pbuf *p)
{
	void *buf = net_tx_buf(dev, p->tot_len);

	(void)n;
	if (!buf) {
		LINK_STATS_INC(link.lenerr);
		return ERR_BUF;
	}
	pbuf_copy_partial(p, buf, p->tot_len, 0);
	net_tx_commit(dev, p->tot_len);
	LINK_STATS_INC(link.xmit);
	return ERR_OK;
}

static err_t nif_init(struct netif *n)
{
	n->name[0] = 'e';
	n->name[1] = 't';
	n->hwaddr_len = ETH_HWADDR_LEN;
	net_mac(dev, n->hwaddr);
	n->mtu = (u16_t)net_mtu(dev);
	n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	n->output = etharp_output;
	n->linkoutput = linkoutput;
	return ERR_OK;
}

/* Field `i` (from 0) of a colon-separated ip= value, copied into out. */
static bool field(const char *v, unsigned i, char *out, size_t cap)
{
	const char *end;

	for (; i; i--) {
		v = strchr(v, ':');
		if (!v) {
			out[0] = '\0';
			return true;
		}
		v++;
	}
	end = strchr(v, ':');
	if (!end)
		end = v + strlen(v);
	if ((size_t)(end - v) >= cap)
		return false;
	memcpy(out, v, (size_t)(end - v));
	out[end - v] = '\0';
	return true;
}

static bool parse_ip(const char *v, ip4_addr_t *addr, ip4_addr_t *gw, ip4_addr_t *mask,
		     unsigned *index)
{
	char a[16], g[16], m[16], devname[16], autoconf[16];
	char *end;

	if (!field(v, 0, a, sizeof(a)) || !field(v, 2, g, sizeof(g)) || !field(v, 3, m, sizeof(m)) ||
	    !field(v, 5, devname, sizeof(devname)) || !field(v, 6, autoconf, sizeof(autoconf)))
		return false;
	if (!ip4addr_aton(a, addr))
		return false;
	if (!g[0])
		ip4_addr_set_zero(gw);
	else if (!ip4addr_aton(g, gw))
		return false;
	if (!m[0])
		IP4_ADDR(mask, 255, 255, 255, 0);
	else if (!ip4addr_aton(m, mask))
		return false;
	*index = 0;
	if (devname[0]) {
		if (strncmp(devname, "eth", 3) || !devname[3])
			return false;
		*index = (unsigned)strtoul(devname + 3, &end, 10);
		if (*end)
			return false;
	}
	return !autoconf[0] || !strcmp(autoconf, "off") || !strcmp(autoconf, "none") ||
	       !strcmp(autoconf, "static");
}

struct netif *flint_net_init(void)
{
	const char *v = cmdline_param("ip");
	ip4_addr_t addr, gw, mask;
	unsigned index;
	char sa[16], sg[16], sm[16];

	if (!v) {
		printf("net: no ip= on the kernel command line; give e.g. "
		       "ip=10.0.0.2::10.0.0.1:255.255.255.0::eth0:off\n");
		return NULL;
	}
	if (!parse_ip(v, &addr, &gw, &mask, &index)) {
		printf("net: cannot use ip=%s: want <client>::<gateway>:<netmask>::eth<N>:off "
		       "(static addresses only)\n", v);
		return NULL;
	}
	dev = net_open(index);
	if (!dev) {
		printf("net: no virtio-net device #%u for ip=%s (give the VM a network device)\n",
		       index, v);
		return NULL;
	}
	lwip_init();
	if (!netif_add(&nif, &addr, &mask, &gw, NULL, nif_init, ethernet_input)) {
		printf("net: lwIP refused the interface\n");
		return NULL;
	}
	netif_set_default(&nif);
	netif_set_up(&nif);
	if (net_link_up(dev))
		netif_set_link_up(&nif);
	ip4addr_ntoa_r(&addr, sa, sizeof(sa));
	ip4addr_ntoa_r(&gw, sg, sizeof(sg));
	ip4addr_ntoa_r(&mask, sm, sizeof(sm));
	printf("net: eth%u %02x:%02x:%02x:%02x:%02x:%02x %s netmask %s gateway %s mtu %u link %s\n",
	       index, nif.hwaddr[0], nif.hwaddr[1], nif.hwaddr[2], nif.hwaddr[3], nif.hwaddr[4],
	       nif.hwaddr[5], sa, sm, sg, nif.mtu, netif_is_link_up(&nif) ? "up" : "down");
	return &nif;
}

static void input(struct net_frame *f)
{
	/* A frame is at most NET_RX_MAX_PARTS 2 KiB buffers: it fits a pbuf's 16-bit length. */
	struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)f->total, PBUF_POOL);
	uint32_t off = 0;

	if (!p) {
		rx_no_pbuf++;
		LINK_STATS_INC(link.memerr);
		net_rx_end(dev, f);
		return;
	}
	for (unsigned k = 0; k < f->nparts; k++) {
		pbuf_take_at(p, f->part[k], (u16_t)f->len[k], (u16_t)off);
		off += f->len[k];
	}
	net_rx_end(dev, f);
	LINK_STATS_INC(link.recv);
	if (nif.input(p, &nif) != ERR_OK)
		pbuf_free(p);
}

/*
 * lwIP's next local TCP and UDP ports are counters drawn from LWIP_RAND
 * once, at lwip_init: after a restore every clone of the snapshot would go
 * on from the same one.  tcp_init and udp_init do nothing but draw them
 * again (lwIP 2.1.3), from a generator the restore has rekeyed.
 */
static void redraw_ports_after_restore(void)
{
	static uint32_t seq;
	uint32_t now = flint_seq();

	if (now == seq)
		return;
	if (seq) {
		tcp_init();
		udp_init();
	}
	seq = now;
}

bool flint_net_poll(void)
{
	struct net_frame f;
	unsigned n = 0;

	redraw_ports_after_restore();
	while (n < RX_BATCH && net_rx_begin(dev, &f)) {
		input(&f);
		n++;
	}
	if (net_link_up(dev) != !!netif_is_link_up(&nif)) {
		if (netif_is_link_up(&nif))
			netif_set_link_down(&nif);
		else
			netif_set_link_up(&nif);
	}
	sys_check_timeouts();
	return n > 0;
}

_Noreturn void flint_net_serve(void)
{
	for (;;) {
		u32_t ms;
		uint64_t deadline;

		if (flint_net_poll())
			continue;
		ms = sys_timeouts_sleeptime();
		deadline = ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? UINT64_MAX :
			   rdtsc() + clock_ns_to_tsc((uint64_t)ms * 1000000);
		net_wait(dev, deadline);
	}
}

const struct net_stats *flint_net_stats(void)
{
	return net_stats(dev);
}

uint64_t flint_net_rx_no_pbuf(void)
{
	return rx_no_pbuf;
}
