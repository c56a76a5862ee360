/*
 * [drive.NAME]: one virtio-blk device per section (virtio/blk.c).  What
 * is blk's own lives here (the image, its descriptor for the sandbox);
 * the transport, notifies, interrupt and guest announcement come from the
 * common attach path (vmm/virtio_attach.c).
 */
#include <stdio.h>
#include <stdlib.h>

#include "device_state.h"
#include "drive_module.h"
#include "machine.h"
#include "virtio_attach.h"

struct drive {
	char name[48];
	struct virtio_blk *blk;
	struct virtio_attach *a;
};

struct drives {
	struct drive d[CONFIG_DRIVES_MAX];
	unsigned n;
};

struct virtio_blk *drive_open(const struct config *cfg, const struct config_drive *d, char *err,
			      size_t errlen)
{
	char e[512];
	struct virtio_blk *b = virtio_blk_open(d->path, d->readonly, e, sizeof(e));

	if (!b)
		snprintf(err, errlen, "%s: [drive.%s] path = %s: %s",
			 spec_where(cfg, "drive", "path", (unsigned)(d - cfg->drives)), d->name, d->path, e);
	return b;
}

static int drive_setup_one(struct machine *m, struct drive *d, const struct config_drive *c,
			   char *err, size_t errlen)
{
	snprintf(d->name, sizeof(d->name), "drive.%s", c->name);
	d->blk = drive_open(m->cfg, c, err, errlen);
	if (!d->blk)
		return -1;
	d->a = virtio_attach(m, d->name, &virtio_blk_ops, d->blk, err, errlen);
	return d->a ? 0 : -1;
}

static void drives_stop(void *state);

static void *drives_setup(struct machine *m, char *err, size_t errlen)
{
	struct drives *ds = calloc(1, sizeof(*ds));

	if (!ds) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (unsigned i = 0; i < m->cfg->ndrives; i++) {
		ds->n++;
		if (drive_setup_one(m, &ds->d[i], &m->cfg->drives[i], err, errlen) < 0) {
			drives_stop(ds);
			return NULL;
		}
	}
	return ds;
}

static void drives_stop(void *state)
{
	struct drives *ds = state;

	for (unsigned i = 0; i < ds->n; i++) {
		/* The transport first: it may call into the device as it goes. */
		virtio_attach_destroy(ds->d[i].a);
		if (ds->d[i].blk)
			virtio_blk_close(ds->d[i].blk);
	}
	free(ds);
}

static int drives_fds(void *state, int *fds, int max)
{
	struct drives *ds = state;
	int n = 0;

	for (unsigned i = 0; i < ds->n && n < max; i++) {
		int k = virtio_attach_fds(ds->d[i].a, fds + n + 1, max - n - 1);

		if (!k)
			break;
		fds[n] = virtio_blk_fd(ds->d[i].blk);
		n += k + 1;
	}
	return n;
}

static int drives_announce(void *state, struct machine *m, char *err, size_t errlen)
{
	struct drives *ds = state;

	for (unsigned i = 0; i < ds->n; i++)
		if (virtio_attach_announce(ds->d[i].a, m, err, errlen) < 0)
			return -1;
	return 0;
}

/* Snapshots: per drive, blk's record, then its transport's. */
static int blk_save(void *b, struct state_out *out) { return virtio_blk_save(b, out); }
static int blk_load(void *b, struct state_in *in, char *err, size_t errlen)
{
	return virtio_blk_load(b, in, err, errlen);
}

static unsigned drive_instances(void *state, struct device_instance *v)
{
	struct drives *ds = state;

	for (unsigned i = 0; i < ds->n; i++)
		v[i] = (struct device_instance){ ds->d[i].name, ds->d[i].blk,
						 virtio_attach_transport(ds->d[i].a) };
	return ds->n;
}

_Static_assert(CONFIG_DRIVES_MAX <= DEVICE_STATE_INSTANCES_MAX, "every drive fits one module record");

static const struct device_instance_ops drive_state_ops = { blk_save, blk_load, drive_instances };

static int drives_save(void *state, struct state_out *out)
{
	return device_state_save_module(&drive_state_ops, state, out);
}

static int drives_load(void *state, struct state_in *in, char *err, size_t errlen)
{
	return device_state_load_module(&drive_state_ops, state, in, err, errlen);
}

const struct device_module drive_module = {
	.name = "drive",
	.setup = drives_setup,
	.announce = drives_announce,
	.stop = drives_stop,
	.fds = drives_fds,
	.save = drives_save,
	.load = drives_load,
	.state_version = 1,
};
