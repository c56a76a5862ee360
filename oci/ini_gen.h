#ifndef FLINT_OCI_INI_GEN_H
#define FLINT_OCI_INI_GEN_H

#include <stdint.h>

#include "net.h"
#include "bundle.h"
#include "state.h"

/*
 * Writes ROOT/ID/flint.ini: memory (org.flint.memory, else the limit in
 * MiB up to 3G, else 64 MiB plus the initrd), vCPUs, the guest ELF as
 * /proc/self/fd/kernel_fd, the initrd and its arguments file, the console,
 * the control socket and, with net->present, [net.eth0].  Values are
 * written as given: flint checks them as it checks any INI file.
 */
int write_ini(struct container *c, const struct spec *s, int kernel_fd, uint64_t initrd,
	      const struct net_info *net, char *err, size_t errlen);

#endif
