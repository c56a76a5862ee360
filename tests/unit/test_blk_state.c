/*
 * virtio-blk snapshots (virtio/blk_state.c and the transport's record):
 * a drive saved with a request in flight, restored onto another image of
 * the same size, keeps serving; a record that does not fit the drive is
 * refused.  The records are composed as vmm/drive.c composes them
 * (vmm/device_state.c: a named instance, blk's record, the transport's).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "blk.h"
#include "check.h"
#include "device_state.h"
#include "guarded_mem.h"
#include "state.h"
#include "virtio.h"

#define MiB (1ull << 20)
#define QN 8
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define HDR 0x8000
#define STATUS_AT 0x9000
#define DATA 0x100000
#define BIG (10 * MiB)  /* more than one handler call moves (CALL_BYTES) */
#define MEM (DATA + BIG + MiB)
#define IMAGE (16 * MiB)

static struct guest_mem mem;
#include "mmio_regs.h"
static uint16_t posted;

/* A sparse image of IMAGE bytes whose first sector and the one at BIG - 512 hold `fill`. */
static void make_image(char *path, uint8_t fill, uint64_t size)
{
	uint8_t sec[512];
	int fd;

	strcpy(path, "/tmp/flint-blkstate-XXXXXX");
	fd = mkstemp(path);
	memset(sec, fill, sizeof(sec));
	CHECK(fd >= 0 && ftruncate(fd, (off_t)size) == 0);
	CHECK(pwrite(fd, sec, 512, 0) == 512 && pwrite(fd, sec, 512, BIG - 512) == 512);
	close(fd);
}

static struct virtio_blk *open_image(const char *path, bool ro)
{
	char err[256];
	struct virtio_blk *b = virtio_blk_open(path, ro, err, sizeof(err));

	if (!b)
		fprintf(stderr, "  open: %s\n", err);
	return b;
}

static void bring_up(void)
{
	static const uint32_t steps[] = { 1, 3 };

	for (unsigned i = 0; i < 2; i++)
		wr(VIRTIO_MMIO_STATUS, steps[i]);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(VIRTIO_MMIO_STATUS, 3 | VIRTIO_CONFIG_S_FEATURES_OK);
	wr(VIRTIO_MMIO_QUEUE_NUM, QN);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, DESC);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, AVAIL);
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, USED);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	wr(VIRTIO_MMIO_STATUS, 3 | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

/* Posts an IN request for len bytes at sector 0 into DATA (header, data, status). */
static void post_read(uint32_t len)
{
	struct virtio_blk_outhdr h = { VIRTIO_BLK_T_IN, 0, 0 };
	struct vring_desc d[3] = {
		{ HDR, sizeof(h), VRING_DESC_F_NEXT, 1 },
		{ DATA, len, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2 },
		{ STATUS_AT, 1, VRING_DESC_F_WRITE, 0 },
	};
	struct vring_avail *a = (struct vring_avail *)(mem.host + AVAIL);

	memcpy(mem.host + HDR, &h, sizeof(h));
	memcpy(mem.host + DESC, d, sizeof(d));
	mem.host[STATUS_AT] = 0xee;
	a->ring[posted % QN] = 0;
	a->idx = ++posted;
}

static uint16_t used_idx(void)
{
	return ((struct vring_used *)(mem.host + USED))->idx;
}

/* The drive's record as vmm/drive.c makes it: one named instance, blk's record then the transport's. */
static int blk_save(void *b, struct state_out *o) { return virtio_blk_save(b, o); }
static int blk_load(void *b, struct state_in *in, char *err, size_t errlen)
{
	return virtio_blk_load(b, in, err, errlen);
}

static const struct device_instance_ops ops = { blk_save, blk_load, NULL };

static struct state_out drive_record(struct virtio_blk *b, struct virtio_mmio *x)
{
	struct device_instance v = { "drive.root", b, x };
	struct state_out o = { 0 };

	CHECK(device_state_save(&v, 1, &ops, &o) == 0);
	return o;
}

static int drive_load(struct virtio_blk *b, struct virtio_mmio *x, const struct state_out *r,
		      char *err, size_t errlen)
{
	struct device_instance v = { "drive.root", b, x };
	struct state_in in = state_in_make(r->buf, r->len);

	return device_state_load(&v, 1, &ops, &in, err, errlen);
}

TEST(save_finishes_request_in_flight_and_restore_serves_on_new_image)
{
	char p1[32], p2[32], err[256] = "";
	struct virtio_blk *b1, *b2;
	struct virtio_mmio *t1;
	struct state_out r1, r2;

	mem = guarded_mem_new(MEM);
	posted = 0;
	make_image(p1, 0x11, IMAGE);
	make_image(p2, 0x22, IMAGE);
	b1 = open_image(p1, false);
	t = t1 = virtio_mmio_create(&mem, "drive.root", &virtio_blk_ops, b1, NULL);
	bring_up();
	post_read(BIG);
	CHECK(virtio_mmio_notify(t, 0)); /* budget spent mid-request */
	CHECK(used_idx() == 0);
	r1 = drive_record(b1, t1);
	/* The save completed it: nothing half-served is in the record. */
	CHECK(used_idx() == 1 && mem.host[STATUS_AT] == VIRTIO_BLK_S_OK);
	CHECK(mem.host[DATA] == 0x11 && mem.host[DATA + BIG - 1] == 0x11);
	CHECK(((struct vring_used *)(mem.host + USED))->ring[0].len == BIG + 1);
	virtio_mmio_destroy(t1);
	virtio_blk_close(b1);

	/* Restore onto a copy (another file, same size), as a clone would. */
	b2 = open_image(p2, false);
	t = virtio_mmio_create(&mem, "drive.root", &virtio_blk_ops, b2, NULL);
	CHECK(drive_load(b2, t, &r1, err, sizeof(err)) == 0);
	if (err[0])
		fprintf(stderr, "  load: %s\n", err);
	r2 = drive_record(b2, t);
	CHECK(r2.len == r1.len && !memcmp(r1.buf, r2.buf, r1.len));
	CHECK(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK);
	post_read(512);
	CHECK(!virtio_mmio_notify(t, 0));
	CHECK(used_idx() == 2 && mem.host[STATUS_AT] == VIRTIO_BLK_S_OK);
	CHECK(mem.host[DATA] == 0x22); /* the new image's data */
	CHECK(guarded_mem_intact(&mem));
	state_out_free(&r1);
	state_out_free(&r2);
	virtio_mmio_destroy(t);
	virtio_blk_close(b2);
	unlink(p1);
	unlink(p2);
	free(mem.host);
}

TEST(record_that_does_not_fit_the_drive_refused)
{
	char p1[32], p2[32], err[256];
	struct virtio_blk *b1, *b2;
	struct state_out r;

	mem = guarded_mem_new(MEM);
	posted = 0;
	make_image(p1, 0x11, IMAGE);
	make_image(p2, 0x22, IMAGE + 512);
	b1 = open_image(p1, false);
	t = virtio_mmio_create(&mem, "drive.root", &virtio_blk_ops, b1, NULL);
	bring_up();
	r = drive_record(b1, t);
	virtio_mmio_destroy(t);
	virtio_blk_close(b1);

	/* A bigger image (the guest knows its disk's size), or read-only now
	 * (the guest negotiated a writable disk). */
	for (int i = 0; i < 2; i++) {
		b2 = open_image(i ? p1 : p2, i == 1);
		t = virtio_mmio_create(&mem, "drive.root", &virtio_blk_ops, b2, NULL);
		CHECK(drive_load(b2, t, &r, err, sizeof(err)) < 0);
		CHECK_CONTAINS(err, i ? "drive.root: the drive is read-only here but was read-write"
				      : "drive.root: the image has 32769 sectors, the snapshot's guest knows 32768");
		virtio_mmio_destroy(t);
		virtio_blk_close(b2);
	}

	/* The same drive again: every cut of the record is refused, and it is left fresh. */
	b2 = open_image(p1, false);
	t = virtio_mmio_create(&mem, "drive.root", &virtio_blk_ops, b2, NULL);
	for (size_t len = 0; len < r.len; len++) {
		struct state_out cut = { 0 };

		state_put_bytes(&cut, r.buf, len);
		CHECK(drive_load(b2, t, &cut, err, sizeof(err)) < 0);
		state_out_free(&cut);
	}
	CHECK(rd(VIRTIO_MMIO_STATUS) == 0);
	CHECK(drive_load(b2, t, &r, err, sizeof(err)) == 0);
	virtio_mmio_destroy(t);
	virtio_blk_close(b2);
	state_out_free(&r);
	unlink(p1);
	unlink(p2);
	free(mem.host);
}

CHECK_MAIN()
