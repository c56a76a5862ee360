/*
 * virtio-console's snapshot record (console.h).  Version 1: u64 feature
 * bits offered, then the config space as the guest reads it (12 bytes).
 * Both come through the ops the transport uses; nothing here reaches into
 * the RX or TX state (a save quiesces TX first, RX holds nothing).
 */
#include "console.h"

#include <stdio.h>
#include <string.h>

#include <linux/virtio_console.h>

#include "state.h"

#define CFG_SIZE sizeof(struct virtio_console_config)

int virtio_console_save(struct virtio_console *c, struct state_out *o)
{
	uint8_t cfg[CFG_SIZE];

	virtio_console_ops.config_read(c, 0, cfg, sizeof(cfg));
	state_put_u64(o, virtio_console_ops.features(c));
	state_put_bytes(o, cfg, sizeof(cfg));
	return o->failed ? -1 : 0;
}

int virtio_console_load(struct virtio_console *c, struct state_in *in, char *err, size_t errlen)
{
	uint8_t cfg[CFG_SIZE], here[CFG_SIZE];
	uint64_t f;

	state_get_u64(in, &f);
	state_get_bytes(in, cfg, sizeof(cfg));
	if (in->why) {
		snprintf(err, errlen, "%s", in->why);
		return -1;
	}
	virtio_console_ops.config_read(c, 0, here, sizeof(here));
	if (f != virtio_console_ops.features(c)) {
		snprintf(err, errlen, "features differ (snapshot 0x%llx, here 0x%llx)", (unsigned long long)f,
			 (unsigned long long)virtio_console_ops.features(c));
		return -1;
	}
	if (memcmp(cfg, here, sizeof(cfg))) {
		snprintf(err, errlen, "the console's configuration space differs from the snapshot's");
		return -1;
	}
	return 0;
}
