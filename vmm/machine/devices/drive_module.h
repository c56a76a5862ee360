/* [drive.NAME] disks (vmm/machine/devices/drive.c): what `flint check` shares with `flint run`. */
#ifndef FLINT_DRIVE_MODULE_H
#define FLINT_DRIVE_MODULE_H

#include <stddef.h>

#include "blk.h"
#include "config.h"

/*
 * Opens drive d's image as `flint run` does (read-only when the drive is,
 * with its lock).  On failure returns NULL with
 * "config.ini: [drive.data] path = data.img: why" in err.
 */
struct virtio_blk *drive_open(const struct flint_spec *cfg, const struct config_drive *d, char *err,
			      size_t errlen);

#endif
