/* Attaching to an existing tap interface (for [net.NAME]); no KVM needed. */
#ifndef FLINT_TAP_H
#define FLINT_TAP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Opens /dev/net/tun and attaches to the persistent tap `name` with
 * IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, a 12-byte virtio-net header and
 * O_NONBLOCK.  Never creates an interface: a missing one, one another
 * process holds, or one that is not a tap is an error (in err, without
 * the interface's name in front, with what to do).  *offload: the tap
 * took TUNSETOFFLOAD (its offloads are left off: see tap.c).
 * Returns the descriptor or -1.
 */
int tap_open(const char *name, bool *offload, char *err, size_t errlen);

#endif
