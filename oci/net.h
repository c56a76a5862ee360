#ifndef FLINT_OCI_NET_H
#define FLINT_OCI_NET_H

/*
 * The container's network namespace handed to the guest, as urunc and
 * Kata's tcfilter model do: a persistent tap NET_TAP beside eth0, and tc
 * ingress filters redirecting every frame eth0 -> tap and tap -> eth0
 * (u32 match-all, mirred egress redirect), built as netlink messages with
 * libmnl.  The guest takes eth0's MAC, address, prefix, gateway and MTU,
 * so the engine's port forwarding and routes reach it unchanged.
 * The caller has already joined the namespace (setns).
 */
#include <stdbool.h>
#include <stddef.h>

#define NET_TAP "flint-eth0"

struct net_info {
	bool present;     /* eth0 exists: the guest gets a NIC */
	char mac[18];
	char ip[24];      /* A.B.C.D/N, empty if eth0 has no IPv4 address */
	char gateway[16]; /* empty if no default route through eth0 */
	int mtu;
};

/* Reads eth0, makes the tap and the redirects; -1 with a message in err. */
int net_setup(struct net_info *n, char *err, size_t errlen);

/*
 * Joins the network namespace at path, keeping the current one in *back;
 * netns_leave(*back) returns.  -1 with a message in err.
 */
int netns_enter(const char *path, int *back, char *err, size_t errlen);
void netns_leave(int back);

/* Removes the tap and eth0's ingress qdisc (with its filter); quiet if gone. */
void net_teardown(void);

#endif
