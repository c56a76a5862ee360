/* [net.NAME] interfaces (vmm/net.c): what `flint check` and tests use. */
#ifndef FLINT_NET_MODULE_H
#define FLINT_NET_MODULE_H

#include <stdio.h>

#include "config.h"

/*
 * Attaches to every [net.NAME] tap and lets go again, as `flint run`
 * would before booting, and prints one line per interface on out.
 * Returns -1 after a line "flint: config.ini:12: [net.eth0] tap = ...: why"
 * on errs for each bad tap (the status is then 2), printing nothing on out.
 */
int net_check(const struct config *cfg, FILE *out, FILE *errs);

/*
 * The guest's address in Linux's ip= syntax for interface eth<index>:
 * "ip=10.0.0.2::10.0.0.1:255.255.255.0::eth0:off"; "" without [net] ip.
 * Returns -1 if buf is too small.
 */
int net_ip_param(const struct config_net *n, unsigned index, char *buf, size_t len);

#endif
