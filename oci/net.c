/* eth0 <-> tap inside the container's network namespace (net.h). */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_tun.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef ETH_P_ALL
#define ETH_P_ALL 0x0003
#endif

/* One request, one acknowledgement. */
static int rtnl(struct nlmsghdr *nlh, char *err, size_t errlen, const char *what)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned seq = nlh->nlmsg_seq = (unsigned)time(NULL), port;
	int rc = -1;
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		goto out;
	}
	port = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ||
	    (n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) < 0 ||
	    mnl_cb_run(buf, (size_t)n, seq, port, NULL, NULL) < 0) {
		snprintf(err, errlen, "%s: %s", what, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (nl)
		mnl_socket_close(nl);
	return rc;
}

static struct nlmsghdr *tc_msg(char *buf, int type, unsigned flags, unsigned ifindex, uint32_t parent,
			       uint32_t handle, uint32_t info)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tcmsg *t;

	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = (uint16_t)flags;
	t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));
	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = (int)ifindex;
	t->tcm_parent = parent;
	t->tcm_handle = handle;
	t->tcm_info = info;
	return nlh;
}

static int add_ingress(unsigned ifindex, const char *dev, char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], what[64];
	struct nlmsghdr *nlh = tc_msg(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex, TC_H_INGRESS,
				      TC_H_MAKE(TC_H_INGRESS, 0), 0);

	mnl_attr_put_strz(nlh, TCA_KIND, "ingress");
	snprintf(what, sizeof(what), "ingress qdisc on %s", dev);
	return rtnl(nlh, err, errlen, what);
}

/* u32 match-all on from's ingress, action mirred egress redirect to `to`. */
static int add_redirect(unsigned from, unsigned to, const char *dev, char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], what[64];
	/* a selector with one key of mask 0: matches every frame */
	unsigned char sel[sizeof(struct tc_u32_sel) + sizeof(struct tc_u32_key)] = { 0 };
	struct tc_u32_sel head = { .flags = TC_U32_TERMINAL, .nkeys = 1 };
	struct tc_mirred m = { .action = TC_ACT_STOLEN, .eaction = TCA_EGRESS_REDIR, .ifindex = to };
	struct nlmsghdr *nlh = tc_msg(buf, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, from,
				      TC_H_MAKE(TC_H_INGRESS, 0), 0, TC_H_MAKE(1u << 16, htons(ETH_P_ALL)));
	struct nlattr *opts, *acts, *act, *aopts;

	memcpy(sel, &head, sizeof(head));
	mnl_attr_put_strz(nlh, TCA_KIND, "u32");
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_U32_SEL, sizeof(sel), &sel);
	acts = mnl_attr_nest_start(nlh, TCA_U32_ACT);
	act = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_strz(nlh, TCA_ACT_KIND, "mirred");
	aopts = mnl_attr_nest_start(nlh, TCA_ACT_OPTIONS);
	mnl_attr_put(nlh, TCA_MIRRED_PARMS, sizeof(m), &m);
	mnl_attr_nest_end(nlh, aopts);
	mnl_attr_nest_end(nlh, act);
	mnl_attr_nest_end(nlh, acts);
	mnl_attr_nest_end(nlh, opts);
	snprintf(what, sizeof(what), "tc redirect from %s", dev);
	return rtnl(nlh, err, errlen, what);
}

/* eth0's default gateway from /proc/net/route (this namespace's). */
static void read_gateway(char *gw, size_t len)
{
	FILE *f = fopen("/proc/net/route", "re");
	char line[256], ifname[32];
	unsigned dst, g, flags;

	gw[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %x %x %x", ifname, &dst, &g, &flags) == 4 && !strcmp(ifname, "eth0") &&
		    dst == 0 && (flags & 0x2)) {
			struct in_addr a = { .s_addr = g };

			inet_ntop(AF_INET, &a, gw, (socklen_t)len);
			break;
		}
	fclose(f);
}

static int read_eth0(int s, struct net_info *n)
{
	struct ifreq r = { 0 };
	unsigned char *m;
	uint32_t mask;
	char addr[16];

	strcpy(r.ifr_name, "eth0");
	if (ioctl(s, SIOCGIFHWADDR, &r) < 0)
		return -1;
	m = (unsigned char *)r.ifr_hwaddr.sa_data;
	snprintf(n->mac, sizeof(n->mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	n->mtu = ioctl(s, SIOCGIFMTU, &r) == 0 ? r.ifr_mtu : 1500;
	if (ioctl(s, SIOCGIFADDR, &r) == 0) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&r.ifr_addr)->sin_addr, addr, sizeof(addr));
		if (ioctl(s, SIOCGIFNETMASK, &r) == 0) {
			mask = ntohl(((struct sockaddr_in *)&r.ifr_netmask)->sin_addr.s_addr);
			snprintf(n->ip, sizeof(n->ip), "%s/%d", addr, __builtin_popcount(mask));
		}
	}
	read_gateway(n->gateway, sizeof(n->gateway));
	return 0;
}

static int make_tap(int s, int mtu, char *err, size_t errlen)
{
	struct ifreq r = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	strcpy(r.ifr_name, NET_TAP);
	if (fd < 0 || ioctl(fd, TUNSETIFF, &r) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0) {
		snprintf(err, errlen, "creating tap %s: %s", NET_TAP, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd); /* persistent: flint attaches to it by name */
	memset(&r, 0, sizeof(r));
	strcpy(r.ifr_name, NET_TAP);
	r.ifr_mtu = mtu;
	if (ioctl(s, SIOCSIFMTU, &r) < 0 || ioctl(s, SIOCGIFFLAGS, &r) < 0 ||
	    (r.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &r) < 0)) {
		snprintf(err, errlen, "bringing up tap %s: %s", NET_TAP, strerror(errno));
		return -1;
	}
	return 0;
}

int net_setup(struct net_info *n, char *err, size_t errlen)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unsigned eth0, tap;
	int rc = -1;

	memset(n, 0, sizeof(*n));
	if (s < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (!if_nametoindex("eth0") || read_eth0(s, n) < 0) {
		close(s);
		return 0; /* --network none: no NIC */
	}
	n->present = true;
	if (make_tap(s, n->mtu, err, errlen) < 0)
		goto out;
	eth0 = if_nametoindex("eth0");
	tap = if_nametoindex(NET_TAP);
	if (add_ingress(eth0, "eth0", err, errlen) < 0 || add_ingress(tap, NET_TAP, err, errlen) < 0 ||
	    add_redirect(eth0, tap, "eth0", err, errlen) < 0 || add_redirect(tap, eth0, NET_TAP, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	close(s);
	if (rc < 0)
		net_teardown();
	return rc;
}

void net_teardown(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], err[256];
	unsigned eth0 = if_nametoindex("eth0"), tap = if_nametoindex(NET_TAP);
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (eth0)
		rtnl(tc_msg(buf, RTM_DELQDISC, 0, eth0, TC_H_INGRESS, TC_H_MAKE(TC_H_INGRESS, 0), 0), err,
		     sizeof(err), "");
	if (!tap)
		return;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_DELLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)tap;
	rtnl(nlh, err, sizeof(err), "");
}

int netns_enter(const char *path, int *back, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*back = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || *back < 0 || setns(fd, CLONE_NEWNET) < 0) {
		snprintf(err, errlen, "network namespace %.200s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		if (*back >= 0)
			close(*back);
		*back = -1;
		return -1;
	}
	close(fd);
	return 0;
}

void netns_leave(int back)
{
	if (back >= 0) {
		setns(back, CLONE_NEWNET);
		close(back);
	}
}
