/*
 * virtio-blk end to end: a fake guest driver sets the device up through
 * the register file, puts requests on the ring and notifies; the backend is
 * a temporary image file.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "blk.h"
#include "check.h"
#include "guarded_mem.h"
#include "virtio.h"

#define MEM_SIZE (1u << 20)
#define QSIZE 16
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define HDR 0x8000
#define DATA 0x10000
#define STATUS_BYTE 0x9000
#define SECTORS 64

static uint8_t *buf;
static struct guest_mem mem;
static struct virtio_blk *blk;
#include "mmio_regs.h"
static char path[64];
static uint16_t avail_idx;
static int interrupts;
static uint16_t qsize = QSIZE;   /* the queue size driver_init sets up */
static void (*on_interrupt)(void); /* a test's guest reacting to an interrupt */

static void host_irq(void *ctx)
{
	(void)ctx;
	interrupts++;
	if (on_interrupt)
		on_interrupt();
}

static const struct virtio_host host = { .interrupt = host_irq };

/* A sector's worth of bytes identifying sector s. */
static uint8_t pattern(uint64_t s, unsigned i)
{
	return (uint8_t)(s * 7 + i);
}

static void make_image(uint64_t bytes)
{
	uint8_t sec[512];
	int fd;

	strcpy(path, "/tmp/flint-blk-test-XXXXXX");
	fd = mkstemp(path);
	for (uint64_t s = 0; s * 512 < bytes; s++) {
		uint64_t n = bytes - s * 512 < 512 ? bytes - s * 512 : 512;

		for (unsigned i = 0; i < 512; i++)
			sec[i] = pattern(s, i);
		CHECK(pwrite(fd, sec, n, s * 512) == (ssize_t)n);
	}
	close(fd);
}

/* The driver's side of bring-up: takes every feature offered. */
static void driver_init(void)
{
	uint32_t lo, hi;

	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	lo = rd(VIRTIO_MMIO_DEVICE_FEATURES);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	hi = rd(VIRTIO_MMIO_DEVICE_FEATURES);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, lo & ~(1u << VIRTIO_RING_F_EVENT_IDX));
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, hi);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				       VIRTIO_CONFIG_S_FEATURES_OK);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, qsize);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, DESC);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, AVAIL);
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, USED);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				       VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

static void setup_with(uint64_t image_bytes, bool readonly)
{
	char err[256];

	mem = guarded_mem_new(MEM_SIZE);
	buf = mem.host;
	avail_idx = 0;
	interrupts = 0;
	make_image(image_bytes);
	blk = virtio_blk_open(path, readonly, err, sizeof(err));
	if (!blk)
		fprintf(stderr, "  open: %s\n", err);
	t = virtio_mmio_create(&mem, "drive.test", &virtio_blk_ops, blk, &host);
	driver_init();
	CHECK(!(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET));
}

static void setup(void)
{
	setup_with(SECTORS * 512, false);
}

static void teardown(void)
{
	CHECK(guarded_mem_intact(&mem));
	virtio_mmio_destroy(t);
	virtio_blk_close(blk);
	unlink(path);
	free(buf);
	qsize = QSIZE;
	on_interrupt = NULL;
}

struct seg {
	uint64_t addr;
	uint32_t len;
	bool write;
};

/* Writes one chain made of segs at head 0 and posts it, without notifying. */
static void post_chain(const struct seg *s, int n)
{
	struct vring_avail *a = (struct vring_avail *)(buf + AVAIL);

	for (int i = 0; i < n; i++) {
		struct vring_desc d = { s[i].addr, s[i].len,
					(uint16_t)((s[i].write ? VRING_DESC_F_WRITE : 0) |
						   (i + 1 < n ? VRING_DESC_F_NEXT : 0)),
					(uint16_t)(i + 1) };

		memcpy(buf + DESC + 16 * i, &d, sizeof(d));
	}
	a->ring[avail_idx % qsize] = 0;
	a->idx = ++avail_idx;
}

/* Posts one chain made of segs and notifies; returns the used length. */
static uint32_t submit(const struct seg *s, int n)
{
	struct vring_used *u = (struct vring_used *)(buf + USED);
	uint16_t before = u->idx;

	post_chain(s, n);
	virtio_mmio_notify(t, 0);
	if (u->idx == before)
		return UINT32_MAX;
	return u->ring[before % qsize].len;
}

static void header(uint32_t type, uint64_t sector)
{
	struct virtio_blk_outhdr h = { type, 0, sector };

	memcpy(buf + HDR, &h, sizeof(h));
	buf[STATUS_BYTE] = 0xee;
}

/* The usual three-part request: header, data, status. */
static uint32_t request(uint32_t type, uint64_t sector, uint32_t len, bool data_writable)
{
	struct seg s[3] = { { HDR, 16, false }, { DATA, len, data_writable },
			    { STATUS_BYTE, 1, true } };

	header(type, sector);
	if (len)
		return submit(s, 3);
	s[1] = s[2];
	return submit(s, 2);
}

static void read_file(uint64_t off, void *out, size_t n)
{
	int fd = open(path, O_RDONLY);

	CHECK(pread(fd, out, n, off) == (ssize_t)n);
	close(fd);
}

static bool file_sector_is_pattern(uint64_t s)
{
	uint8_t sec[512];

	read_file(s * 512, sec, 512);
	for (unsigned i = 0; i < 512; i++)
		if (sec[i] != pattern(s, i))
			return false;
	return true;
}

static bool file_sector_is_zero(uint64_t s)
{
	uint8_t sec[512], zero[512] = { 0 };

	read_file(s * 512, sec, 512);
	return memcmp(sec, zero, 512) == 0;
}

static bool needs_reset(void)
{
	return rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

TEST(config_and_features)
{
	struct virtio_blk_config c;

	setup();
	for (unsigned i = 0; i < sizeof(c); i += 4) {
		uint32_t v = rd(VIRTIO_MMIO_CONFIG + i);

		memcpy((uint8_t *)&c + i, &v, sizeof(c) - i < 4 ? sizeof(c) - i : 4);
	}
	CHECK(rd(VIRTIO_MMIO_DEVICE_ID) == 2);
	CHECK(c.capacity == SECTORS);
	CHECK(c.blk_size == 512);
	CHECK(c.seg_max >= 1 && c.seg_max <= QSIZE * 16);
	CHECK(c.max_discard_seg >= 1 && c.max_write_zeroes_seg >= 1);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK(rd(VIRTIO_MMIO_DEVICE_FEATURES) & 1u << VIRTIO_BLK_F_DISCARD);
	CHECK(!(rd(VIRTIO_MMIO_DEVICE_FEATURES) & 1u << VIRTIO_BLK_F_RO));
	CHECK(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK);
	teardown();
}

TEST(read_sectors)
{
	setup();
	CHECK(request(VIRTIO_BLK_T_IN, 3, 1024, true) == 1025);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_OK);
	for (unsigned i = 0; i < 1024; i++)
		if (buf[DATA + i] != pattern(3 + i / 512, i % 512)) {
			CHECK(!"data mismatch");
			break;
		}
	CHECK(interrupts == 1);
	teardown();
}

TEST(read_into_scattered_buffers_with_split_header)
{
	struct seg s[6] = {
		{ HDR, 5, false }, { HDR + 5, 11, false },       /* header in two pieces */
		{ DATA, 100, true }, { DATA + 0x1000, 412, true }, /* one sector in two */
		{ DATA + 0x2000, 512, true }, { STATUS_BYTE, 1, true },
	};

	setup();
	header(VIRTIO_BLK_T_IN, 10);
	CHECK(submit(s, 6) == 1025);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_OK);
	CHECK(buf[DATA + 99] == pattern(10, 99));
	CHECK(buf[DATA + 0x1000] == pattern(10, 100));
	CHECK(buf[DATA + 0x2000 + 511] == pattern(11, 511));
	teardown();
}

TEST(status_byte_at_end_of_last_writable_segment)
{
	struct seg s[2] = { { HDR, 16, false }, { DATA, 513, true } };

	setup();
	header(VIRTIO_BLK_T_IN, 1);
	CHECK(submit(s, 2) == 513);
	CHECK(buf[DATA + 512] == VIRTIO_BLK_S_OK);
	CHECK(buf[DATA] == pattern(1, 0));
	teardown();
}

TEST(write_sectors)
{
	setup();
	memset(buf + DATA, 0x5a, 512);
	CHECK(request(VIRTIO_BLK_T_OUT, 5, 512, false) == 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_OK);
	CHECK(file_sector_is_pattern(4) && file_sector_is_pattern(6));
	{
		uint8_t sec[512], want[512];

		memset(want, 0x5a, 512);
		read_file(5 * 512, sec, 512);
		CHECK(memcmp(sec, want, 512) == 0);
	}
	teardown();
}

TEST(flush)
{
	setup();
	CHECK(request(VIRTIO_BLK_T_FLUSH, 0, 0, false) == 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_OK);
	teardown();
}

TEST(get_id)
{
	setup();
	memset(buf + DATA, 0xcc, 32);
	CHECK(request(VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES, true) == VIRTIO_BLK_ID_BYTES + 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_OK);
	/* "flint-blk-test-XXXXXX" is 21 bytes: the id keeps the first 20. */
	CHECK(memcmp(buf + DATA, "flint-blk-test-", 15) == 0);
	CHECK(memcmp(buf + DATA, strrchr(path, '/') + 1, VIRTIO_BLK_ID_BYTES) == 0);
	CHECK(buf[DATA + VIRTIO_BLK_ID_BYTES] == 0xcc);
	teardown();
}

static uint32_t ranges(uint32_t type, uint64_t sector, uint32_t n, uint32_t flags)
{
	struct virtio_blk_discard_write_zeroes r = { sector, n, flags };

	memcpy(buf + DATA, &r, sizeof(r));
	return request(type, 0, sizeof(r), false);
}

TEST(discard)
{
	struct stat st;

	setup();
	CHECK(ranges(VIRTIO_BLK_T_DISCARD, 8, 8, 0) == 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_OK);
	CHECK(stat(path, &st) == 0 && st.st_size == SECTORS * 512);
	CHECK(file_sector_is_pattern(7) && file_sector_is_pattern(16));
	CHECK(ranges(VIRTIO_BLK_T_DISCARD, 8, 8, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) == 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_UNSUPP);
	CHECK(ranges(VIRTIO_BLK_T_DISCARD, SECTORS - 1, 2, 0) == 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_IOERR);
	teardown();
}

TEST(write_zeroes)
{
	setup();
	CHECK(ranges(VIRTIO_BLK_T_WRITE_ZEROES, 2, 3, 0) == 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_OK);
	CHECK(file_sector_is_pattern(1) && file_sector_is_zero(2) && file_sector_is_zero(4) &&
	      file_sector_is_pattern(5));
	CHECK(ranges(VIRTIO_BLK_T_WRITE_ZEROES, 20, 1, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) == 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_OK);
	CHECK(file_sector_is_zero(20) && file_sector_is_pattern(21));
	CHECK(ranges(VIRTIO_BLK_T_WRITE_ZEROES, UINT64_MAX, 2, 0) == 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_IOERR);
	teardown();
}

TEST(readonly_refuses_writes)
{
	struct stat before, after;

	setup_with(SECTORS * 512, true);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK(rd(VIRTIO_MMIO_DEVICE_FEATURES) & 1u << VIRTIO_BLK_F_RO);
	CHECK(stat(path, &before) == 0);
	memset(buf + DATA, 0x77, 512);
	CHECK(request(VIRTIO_BLK_T_OUT, 0, 512, false) == 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_IOERR);
	CHECK(ranges(VIRTIO_BLK_T_WRITE_ZEROES, 0, 1, 0) == 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_IOERR);
	CHECK(ranges(VIRTIO_BLK_T_DISCARD, 0, 1, 0) == 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_IOERR);
	CHECK(file_sector_is_pattern(0));
	CHECK(stat(path, &after) == 0 && after.st_size == before.st_size);
	CHECK(request(VIRTIO_BLK_T_IN, 0, 512, true) == 513);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_OK);
	teardown();
}

TEST(sector_out_of_range)
{
	setup();
	CHECK(request(VIRTIO_BLK_T_IN, SECTORS, 512, true) == 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_IOERR);
	CHECK(request(VIRTIO_BLK_T_IN, SECTORS - 1, 1024, true) == 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_IOERR);
	CHECK(request(VIRTIO_BLK_T_OUT, UINT64_MAX, 512, false) == 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_IOERR);
	CHECK(request(VIRTIO_BLK_T_IN, UINT64_MAX / 512, 512, true) == 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_IOERR);
	CHECK(request(VIRTIO_BLK_T_IN, SECTORS - 1, 512, true) == 513); /* last one is fine */
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_OK);
	CHECK(!needs_reset());
	teardown();
}

TEST(partial_sector_refused)
{
	setup();
	CHECK(request(VIRTIO_BLK_T_IN, 0, 100, true) == 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_IOERR);
	teardown();
}

TEST(unknown_type_unsupported)
{
	setup();
	CHECK(request(99, 0, 0, false) == 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_UNSUPP);
	CHECK(!needs_reset());
	teardown();
}

TEST(header_in_writable_descriptor)
{
	struct seg s[2] = { { HDR, 16, true }, { STATUS_BYTE, 1, true } };

	setup();
	header(VIRTIO_BLK_T_IN, 0);
	CHECK(submit(s, 2) == UINT32_MAX);
	CHECK(needs_reset());
	teardown();
}

TEST(read_into_readable_buffer)
{
	setup();
	CHECK(request(VIRTIO_BLK_T_IN, 0, 512, false) == UINT32_MAX);
	CHECK(needs_reset());
	for (unsigned i = 0; i < 512; i++)
		if (buf[DATA + i]) {
			CHECK(!"device wrote into a device-readable buffer");
			break;
		}
	teardown();
}

TEST(write_from_writable_buffer)
{
	setup();
	CHECK(request(VIRTIO_BLK_T_OUT, 0, 512, true) == UINT32_MAX);
	CHECK(needs_reset());
	CHECK(file_sector_is_pattern(0));
	teardown();
}

TEST(missing_status_byte)
{
	struct seg s[2] = { { HDR, 16, false }, { DATA, 512, false } };

	setup();
	header(VIRTIO_BLK_T_OUT, 0);
	CHECK(submit(s, 2) == UINT32_MAX);
	CHECK(needs_reset());
	CHECK(file_sector_is_pattern(0));
	teardown();
}

TEST(read_into_own_used_ring_refused)
{
	setup();
	header(VIRTIO_BLK_T_IN, 0);
	{
		struct seg s[3] = { { HDR, 16, false }, { USED, 512, true }, { STATUS_BYTE, 1, true } };

		CHECK(submit(s, 3) == UINT32_MAX);
	}
	CHECK(needs_reset());
	teardown();
}

TEST(batch_gets_one_interrupt)
{
	struct vring_avail *a;
	struct vring_used *u;

	setup();
	a = (struct vring_avail *)(buf + AVAIL);
	u = (struct vring_used *)(buf + USED);
	header(VIRTIO_BLK_T_IN, 0);
	for (uint16_t i = 0; i < 4; i++) {
		struct vring_desc d[3] = {
			{ HDR, 16, VRING_DESC_F_NEXT, (uint16_t)(3 * i + 1) },
			{ DATA + 0x1000u * i, 512, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
			  (uint16_t)(3 * i + 2) },
			{ STATUS_BYTE + 16u * i, 1, VRING_DESC_F_WRITE, 0 },
		};

		memcpy(buf + DESC + 48 * i, d, sizeof(d));
		a->ring[i] = 3 * i;
	}
	a->idx = avail_idx = 4;
	virtio_mmio_notify(t, 0);
	CHECK(u->idx == 4);
	CHECK(interrupts == 1);
	teardown();
}

/* A tail past the last whole sector would be out of the guest's reach:
 * refused with the size and the fix, not rounded down in silence. */
TEST(image_not_whole_sectors_refused)
{
	char err[256];

	make_image(1000);
	CHECK(virtio_blk_open(path, false, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "is 1000 bytes, not a whole number of 512-byte sectors");
	CHECK_CONTAINS(err, "truncate -s 1024");
	unlink(path);
	make_image(3 * 512 + 100);
	CHECK(virtio_blk_open(path, true, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "the last 100 bytes");
	unlink(path);
}

TEST(lock_conflicts)
{
	char err[256];
	struct virtio_blk *b2;

	make_image(4096);
	blk = virtio_blk_open(path, false, err, sizeof(err));
	CHECK(blk != NULL);
	b2 = virtio_blk_open(path, false, err, sizeof(err));
	CHECK(b2 == NULL);
	CHECK_CONTAINS(err, "is in use by another VM (locked)");
	CHECK_CONTAINS(err, path);
	CHECK(virtio_blk_open(path, true, err, sizeof(err)) == NULL);
	virtio_blk_close(blk);
	/* Readers share. */
	blk = virtio_blk_open(path, true, err, sizeof(err));
	b2 = virtio_blk_open(path, true, err, sizeof(err));
	CHECK(blk && b2);
	CHECK(virtio_blk_open(path, false, err, sizeof(err)) == NULL);
	virtio_blk_close(b2);
	virtio_blk_close(blk);
	/* Closing released it. */
	blk = virtio_blk_open(path, false, err, sizeof(err));
	CHECK(blk != NULL);
	virtio_blk_close(blk);
	unlink(path);
}

TEST(bad_images)
{
	char err[256];

	make_image(0);
	CHECK(virtio_blk_open(path, false, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "is empty (0 bytes)");
	unlink(path);
	make_image(100);
	CHECK(virtio_blk_open(path, true, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "smaller than one sector");
	unlink(path);
	CHECK(virtio_blk_open("/nonexistent/disk.img", false, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "image /nonexistent/disk.img: no such file");
	CHECK(virtio_blk_open("/tmp", true, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "not a regular file or block device");
}

/*
 * A FIFO is no disk: opening one read-only used to block until a writer
 * came (flint hung before the guest started).  The child gets 5 s.
 */
TEST(fifo_refused_without_blocking)
{
	char dir[] = "/tmp/flint-blk-fifo-XXXXXX", fifo[64];
	int st = -1;
	pid_t pid;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(fifo, sizeof(fifo), "%s/image", dir);
	CHECK(mkfifo(fifo, 0600) == 0);
	for (int ro = 1; ro >= 0; ro--) {
		pid = fork();
		if (pid == 0) {
			char err[256] = "";
			struct virtio_blk *b;

			alarm(5);
			b = virtio_blk_open(fifo, ro, err, sizeof(err));
			_exit(!b && strstr(err, "not a regular file or block device") ? 0 : 1);
		}
		CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	unlink(fifo);
	rmdir(dir);
}

/* ---- bounded work per notify ---- */

#define MiB (1ull << 20)

/*
 * A guest with mem_bytes of RAM and a sparse image of image_bytes whose
 * sectors at the byte offsets in marks[] (n of them) carry pattern().
 */
static void setup_sparse(uint64_t mem_bytes, uint64_t image_bytes, const uint64_t *marks, int n)
{
	uint8_t sec[512];
	char err[256];
	int fd;

	mem = guarded_mem_new(mem_bytes);
	buf = mem.host;
	avail_idx = 0;
	interrupts = 0;
	strcpy(path, "/tmp/flint-blk-test-XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0 && ftruncate(fd, (off_t)image_bytes) == 0);
	for (int i = 0; i < n; i++) {
		for (unsigned j = 0; j < 512; j++)
			sec[j] = pattern(marks[i] / 512, j);
		CHECK(pwrite(fd, sec, 512, (off_t)marks[i]) == 512);
	}
	close(fd);
	blk = virtio_blk_open(path, false, err, sizeof(err));
	if (!blk)
		fprintf(stderr, "  open: %s\n", err);
	t = virtio_mmio_create(&mem, "drive.test", &virtio_blk_ops, blk, &host);
	driver_init();
}

/* Calls the handler until it says the queue is drained; returns the calls. */
static int notify_until_done(int max)
{
	int calls = 0;

	while (calls < max && virtio_mmio_notify(t, 0))
		calls++;
	return calls + 1;
}

/*
 * 254 chained 17 MiB buffers (all the same guest memory) make a read of
 * 4 527 751 168 bytes: more than the used ring's 32-bit length can say.
 * The device must fail it, not report the length modulo 2^32.
 */
TEST(read_longer_than_used_len_fails)
{
	enum { DATA_SEGS = 254 };
	const uint64_t seg = 17 * MiB, total = DATA_SEGS * seg;
	struct vring_used *u;
	struct seg s[DATA_SEGS + 2];

	qsize = 256;
	setup_sparse(DATA + seg + MiB, total + MiB, NULL, 0);
	u = (struct vring_used *)(buf + USED);
	header(VIRTIO_BLK_T_IN, 0);
	s[0] = (struct seg){ HDR, 16, false };
	for (int i = 1; i <= DATA_SEGS; i++)
		s[i] = (struct seg){ DATA, (uint32_t)seg, true };
	s[DATA_SEGS + 1] = (struct seg){ STATUS_BYTE, 1, true };
	post_chain(s, DATA_SEGS + 2);
	notify_until_done(10000);
	CHECK(u->idx == 1);
	CHECK(u->ring[0].len == 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_IOERR);
	CHECK(!needs_reset());
	teardown();
}

/* A 24 MiB read is served over several calls, each one a bounded slice. */
TEST(big_read_served_in_slices)
{
	const uint64_t len = 24 * MiB, marks[] = { 0, 12 * MiB, len - 512 };
	struct vring_used *u;
	struct seg s[5] = { { HDR, 16, false }, { DATA, 8 * MiB, true },
			    { DATA + 8 * MiB, 8 * MiB, true }, { DATA + 16 * MiB, 8 * MiB, true },
			    { STATUS_BYTE, 1, true } };
	int calls;

	setup_sparse(DATA + len + MiB, 32 * MiB, marks, 3);
	u = (struct vring_used *)(buf + USED);
	header(VIRTIO_BLK_T_IN, 0);
	post_chain(s, 5);
	CHECK(virtio_mmio_notify(t, 0) == true); /* stopped with work left */
	CHECK(u->idx == 0);                       /* the request is not done yet */
	calls = 1 + notify_until_done(100);
	CHECK(calls >= 3);
	CHECK(u->idx == 1);
	CHECK(u->ring[0].len == len + 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_OK);
	for (unsigned m = 0; m < 3; m++)
		for (unsigned i = 0; i < 512; i++)
			if (buf[DATA + marks[m] + i] != pattern(marks[m] / 512, i)) {
				CHECK(!"data mismatch");
				m = 3;
				break;
			}
	teardown();
}

/* The same for a write: every slice lands where it belongs. */
TEST(big_write_served_in_slices)
{
	const uint64_t len = 20 * MiB;
	struct seg s[3] = { { HDR, 16, false }, { DATA, (uint32_t)len, false },
			    { STATUS_BYTE, 1, true } };
	uint8_t sec[512];

	setup_sparse(DATA + len + MiB, 32 * MiB, NULL, 0);
	for (uint64_t off = 0; off < len; off += 512)
		for (unsigned i = 0; i < 512; i++)
			buf[DATA + off + i] = pattern(8 + off / 512, i);
	header(VIRTIO_BLK_T_OUT, 8);
	post_chain(s, 3);
	CHECK(virtio_mmio_notify(t, 0) == true);
	CHECK(notify_until_done(100) >= 2);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_OK);
	CHECK(((struct vring_used *)(buf + USED))->ring[0].len == 1);
	for (uint64_t off = 0; off < len; off += 1 * MiB) {
		read_file(8 * 512 + off + MiB - 512, sec, 512);
		if (sec[7] != pattern(8 + (off + MiB - 512) / 512, 7)) {
			CHECK(!"file mismatch");
			break;
		}
	}
	teardown();
}

/* The guest on another vCPU refills the ring whenever it hears back. */
static unsigned refills;

static void refill(void)
{
	struct vring_avail *a = (struct vring_avail *)(buf + AVAIL);
	struct vring_used *u = (struct vring_used *)(buf + USED);

	if (refills >= 1000)
		return;
	refills++;
	/* As a driver does: every completed request is posted again. */
	while ((uint16_t)(avail_idx - u->idx) < QSIZE)
		a->ring[avail_idx++ % QSIZE] = 0;
	a->idx = avail_idx;
}

TEST(refilled_ring_served_in_bounded_batches)
{
	struct seg s[2] = { { HDR, 16, false }, { STATUS_BYTE, 1, true } };
	struct vring_used *u;
	uint16_t served;

	setup();
	u = (struct vring_used *)(buf + USED);
	header(VIRTIO_BLK_T_FLUSH, 0);
	post_chain(s, 2);
	refills = 0;
	on_interrupt = refill;
	CHECK(virtio_mmio_notify(t, 0) == true);
	served = u->idx;
	CHECK(served > 0 && served <= 16 * QSIZE);
	CHECK(refills < 1000);
	on_interrupt = NULL;
	notify_until_done(100000);
	CHECK(u->idx == avail_idx); /* and everything is served in the end */
	teardown();
}

/*
 * Zeroing may fall back to writing zeros (a filesystem without
 * FALLOC_FL_ZERO_RANGE): it counts against a call's byte budget, and the
 * device bounds one write-zeroes range as it advertises.
 */
TEST(write_zeroes_bounded_and_charged)
{
	struct virtio_blk_discard_write_zeroes r[32];
	struct virtio_blk_config c;
	struct vring_avail *a;
	struct vring_used *u;
	struct vring_desc d[4] = {
		{ HDR, 16, VRING_DESC_F_NEXT, 1 },
		{ DATA, sizeof(r), VRING_DESC_F_NEXT, 2 },
		{ STATUS_BYTE, 1, VRING_DESC_F_WRITE, 0 },
	};
	uint32_t per;

	setup_sparse(2 * MiB, 256 * MiB, NULL, 0);
	for (unsigned i = 0; i < sizeof(c); i += 4) {
		uint32_t v = rd(VIRTIO_MMIO_CONFIG + i);

		memcpy((uint8_t *)&c + i, &v, sizeof(c) - i < 4 ? sizeof(c) - i : 4);
	}
	per = c.max_write_zeroes_sectors;
	/* One range over the advertised bound fails whole. */
	CHECK(ranges(VIRTIO_BLK_T_WRITE_ZEROES, 0, per + 1, 0) == 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_IOERR);
	/* The most one request may ask, then a flush behind it. */
	for (unsigned i = 0; i < 32; i++)
		r[i] = (struct virtio_blk_discard_write_zeroes){ (uint64_t)i * per, per, 0 };
	CHECK((uint64_t)32 * per * 512 >= 8 * MiB); /* enough to spend a call's budget */
	memcpy(buf + DATA, r, sizeof(r));
	header(VIRTIO_BLK_T_WRITE_ZEROES, 0);
	memcpy(buf + DESC, d, sizeof(d));
	memcpy(buf + DESC + 48, (struct vring_desc[]){ { HDR + 0x100, 16, VRING_DESC_F_NEXT, 4 },
						   { STATUS_BYTE + 1, 1, VRING_DESC_F_WRITE, 0 } },
	       32);
	((struct virtio_blk_outhdr *)(buf + HDR + 0x100))->type = VIRTIO_BLK_T_FLUSH;
	a = (struct vring_avail *)(buf + AVAIL);
	u = (struct vring_used *)(buf + USED);
	a->ring[avail_idx++ % QSIZE] = 0;
	a->ring[avail_idx++ % QSIZE] = 3;
	a->idx = avail_idx;
	CHECK(virtio_mmio_notify(t, 0) == true); /* the zeroing spent the budget */
	CHECK(u->idx == avail_idx - 1);
	CHECK(buf[STATUS_BYTE] == VIRTIO_BLK_S_OK);
	CHECK(virtio_mmio_notify(t, 0) == false);
	CHECK(u->idx == avail_idx);
	teardown();
}

/* A reset in the middle of a split request forgets it. */
TEST(reset_drops_request_in_progress)
{
	struct seg s[3] = { { HDR, 16, false }, { DATA, 24 * MiB, true },
			    { STATUS_BYTE, 1, true } };
	struct vring_used *u;

	setup_sparse(DATA + 25 * MiB, 32 * MiB, NULL, 0);
	u = (struct vring_used *)(buf + USED);
	header(VIRTIO_BLK_T_IN, 0);
	post_chain(s, 3);
	CHECK(virtio_mmio_notify(t, 0) == true);
	wr(VIRTIO_MMIO_STATUS, 0);
	memset(buf + USED, 0, 0x100);
	avail_idx = 0;
	((struct vring_avail *)(buf + AVAIL))->idx = 0;
	driver_init();
	CHECK(request(VIRTIO_BLK_T_IN, 1, 512, true) == 513);
	CHECK(u->idx == 1);
	CHECK(virtio_mmio_notify(t, 0) == false);
	CHECK(u->idx == 1);
	teardown();
}

CHECK_MAIN()
