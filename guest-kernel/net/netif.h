/*
 * The guest's network: lwIP (NO_SYS, raw API) over the virtio-net driver.
 *
 * Addresses come from the kernel command line in Linux's form, which is
 * what Flint's monitor passes:
 *     ip=<client>::<gw>:<netmask>::eth<i>:off
 * (fields: client, server, gateway, netmask, hostname, device, autoconf;
 * server and hostname are ignored, the device picks the i-th virtio-net
 * device, autoconf must be off/none/static or empty: there is no DHCP).
 * One interface: the first ip= word.
 */
#ifndef GUEST_NET_NETIF_H
#define GUEST_NET_NETIF_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio_net.h"

struct netif;

/*
 * lwip_init(), the device, the address from ip=, netif up and default.
 * Prints one line describing the interface; on failure prints why (what
 * to put on the command line) and returns NULL.
 */
struct netif *flint_net_init(void);

/* Hands every received frame to lwIP and runs its due timers; true if any frame came. */
bool flint_net_poll(void);

/*
 * Serves for ever: poll, then halt until the next frame or lwIP's next
 * timer (a second at most when idle, from ARP's timer), never spinning.
 */
_Noreturn void flint_net_serve(void);

/* The driver's counters and the ones this port keeps. */
const struct net_stats *flint_net_stats(void);
uint64_t flint_net_rx_no_pbuf(void);   /* frames dropped for want of a pbuf */

#endif
