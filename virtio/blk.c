#include "blk.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/falloc.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#define SECTOR 512
#define QUEUE_SIZE 256
/* A request is header + data + status, so data gets the rest of a chain. */
#define SEG_MAX (VIRTQ_SIZE_MAX - 2)
#define RANGES_MAX 32               /* discard / write-zeroes ranges per request */
#define RANGE_SECTORS_MAX (1u << 22) /* 2 GiB per range: bounds one fallocate */
/*
 * Zeroing can fall back to writing zeros (no FALLOC_FL_ZERO_RANGE, e.g.
 * tmpfs): 2 MiB per range keeps one request at 64 MiB of writes, and its
 * bytes count against the call's budget.
 */
#define ZERO_SECTORS_MAX (1u << 12)
/*
 * The most one queue_notify call does before it returns to the event loop
 * (which serves the stop eventfd and signals, then calls again): a guest
 * that keeps its ring full, or sends one huge request, cannot hold the
 * monitor.  A read or write longer than the byte budget is moved in
 * slices over several calls; 8 MiB takes a few ms at the slowest.
 */
#define CALL_REQUESTS 64
#define CALL_BYTES (8u << 20)

/* An IN or OUT request whose data is still being moved (b->chain holds it). */
struct transfer {
	bool active;
	bool write;
	uint64_t pos;     /* image byte offset of the request's first sector */
	uint64_t data;    /* offset of the data in its part of the chain */
	uint64_t len, done;
};

struct virtio_blk {
	int fd;
	bool readonly;
	uint64_t capacity;              /* sectors */
	char id[VIRTIO_BLK_ID_BYTES];
	struct virtio_blk_config cfg;   /* little-endian, as the guest reads it */
	struct virtq_chain chain;       /* one queue, served by one thread at a time */
	struct transfer xfer;           /* chain's request, if it spans calls */
};

static int open_error(char *err, size_t errlen, const char *path, bool readonly, int e)
{
	switch (e) {
	case ENOENT:
		snprintf(err, errlen, "image %s: no such file (check the drive's path)", path);
		break;
	case EACCES:
	case EPERM:
		snprintf(err, errlen, "image %s: permission denied (need %s access)", path,
			 readonly ? "read" : "read and write");
		break;
	case EROFS:
		snprintf(err, errlen, "image %s is on a read-only filesystem (open the drive read-only)",
			 path);
		break;
	default:
		snprintf(err, errlen, "image %s: cannot open: %s", path, strerror(e));
	}
	return -1;
}

/* The size in bytes of a regular file or a block device, or -1. */
static int image_size(int fd, const char *path, uint64_t *size, char *err, size_t errlen)
{
	struct stat st;
	off_t end;

	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "image %s: cannot stat: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		snprintf(err, errlen, "image %s is not a regular file or block device", path);
		return -1;
	}
	/* lseek also measures block devices, whose st_size is 0. */
	end = lseek(fd, 0, SEEK_END);
	if (end < 0) {
		snprintf(err, errlen, "image %s: cannot find its size: %s", path, strerror(errno));
		return -1;
	}
	if (end < SECTOR) {
		snprintf(err, errlen,
			 "image %s is %s (%lld bytes): a drive needs at least one 512-byte sector",
			 path, end ? "smaller than one sector" : "empty", (long long)end);
		return -1;
	}
	/* The guest sees whole sectors only: a tail would be silently out of
	 * its reach (QEMU rounds down without a word). */
	if (end % SECTOR) {
		snprintf(err, errlen,
			 "image %s is %lld bytes, not a whole number of 512-byte sectors: the last %lld "
			 "bytes would be out of the guest's reach (pad it: truncate -s %lld %s)",
			 path, (long long)end, (long long)(end % SECTOR),
			 (long long)(end - end % SECTOR + SECTOR), path);
		return -1;
	}
	*size = (uint64_t)end;
	return 0;
}

static int clear_nonblock(int fd, const char *path, char *err, size_t errlen)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		snprintf(err, errlen, "image %s: fcntl: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * An OFD lock (not flock, not a process lock): it belongs to this open
 * file, so even two drives in one monitor conflict, and it goes away with
 * the descriptor however the monitor dies.
 */
static int lock_image(int fd, const char *path, bool readonly, char *err, size_t errlen)
{
	struct flock fl = { .l_type = readonly ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	if (errno == EAGAIN || errno == EACCES)
		snprintf(err, errlen, "image %s is in use by another VM (locked)", path);
	else
		snprintf(err, errlen, "image %s: cannot lock: %s", path, strerror(errno));
	return -1;
}

static void fill_config(struct virtio_blk *b)
{
	struct virtio_blk_config *c = &b->cfg;

	c->capacity = htole64(b->capacity);
	c->seg_max = htole32(SEG_MAX);
	c->blk_size = htole32(SECTOR);
	c->max_discard_sectors = htole32(RANGE_SECTORS_MAX);
	c->max_discard_seg = htole32(RANGES_MAX);
	c->discard_sector_alignment = htole32(1);
	c->max_write_zeroes_sectors = htole32(ZERO_SECTORS_MAX);
	c->max_write_zeroes_seg = htole32(RANGES_MAX);
	c->write_zeroes_may_unmap = 1;
}

struct virtio_blk *virtio_blk_open(const char *path, bool readonly, char *err, size_t errlen)
{
	struct virtio_blk *b;
	const char *base = strrchr(path, '/');
	uint64_t size;
	int fd;

	/*
	 * O_NONBLOCK: opening a FIFO read-only would wait for a writer (and
	 * hang flint before the guest starts); image_size refuses anything but
	 * a regular file or block device, then blocking I/O is restored.
	 */
	fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		open_error(err, errlen, path, readonly, errno);
		return NULL;
	}
	if (image_size(fd, path, &size, err, errlen) < 0 || clear_nonblock(fd, path, err, errlen) < 0 ||
	    lock_image(fd, path, readonly, err, errlen) < 0) {
		close(fd);
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "image %s: out of memory", path);
		close(fd);
		return NULL;
	}
	b->fd = fd;
	b->readonly = readonly;
	b->capacity = size / SECTOR;
	/* GET_ID: the file name, so the guest can tell its drives apart. */
	base = base ? base + 1 : path;
	memcpy(b->id, base, strnlen(base, sizeof(b->id))); /* NUL-padded by calloc, not terminated */
	fill_config(b);
	return b;
}

void virtio_blk_close(struct virtio_blk *b)
{
	if (!b)
		return;
	close(b->fd);
	free(b);
}

int virtio_blk_fd(const struct virtio_blk *b)
{
	return b->fd;
}

uint64_t virtio_blk_capacity(const struct virtio_blk *b)
{
	return b->capacity;
}

/* Sector range check, overflow-proof: [sector, sector + n) on the disk. */
static bool in_range(const struct virtio_blk *b, uint64_t sector, uint64_t n)
{
	uint64_t end;

	return !__builtin_add_overflow(sector, n, &end) && end <= b->capacity;
}

/* preadv/pwritev until done; short transfers only happen at EOF or signals. */
static int rw_all(int fd, bool write, struct iovec *iov, int n, off_t off)
{
	while (n > 0) {
		ssize_t r = write ? pwritev(fd, iov, n, off) : preadv(fd, iov, n, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1; /* an error, or the image shrank under us */
		off += r;
		for (; n > 0 && (size_t)r >= iov->iov_len; iov++, n--)
			r -= iov->iov_len;
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= r;
		}
	}
	return 0;
}

/*
 * Checks an IN or OUT request and makes it the transfer in progress.
 * Returns VIRTIO_BLK_S_OK when it started, or the status to fail it with.
 */
static uint8_t start_rw(struct virtio_blk *b, bool write, uint64_t sector, uint64_t len)
{
	if (len % SECTOR || !in_range(b, sector, len / SECTOR))
		return VIRTIO_BLK_S_IOERR;
	if (write && b->readonly)
		return VIRTIO_BLK_S_IOERR;
	/*
	 * The used ring reports a read's length (data + status) in 32 bits: a
	 * longer one cannot be completed truthfully, so it fails whole.
	 */
	if (!write && len + 1 > UINT32_MAX)
		return VIRTIO_BLK_S_IOERR;
	/* OUT data follows the header in the readable part; IN data leads the writable part. */
	b->xfer = (struct transfer){ .active = true, .write = write, .pos = sector * SECTOR,
				     .data = write ? sizeof(struct virtio_blk_outhdr) : 0,
				     .len = len };
	return VIRTIO_BLK_S_OK;
}

/* Moves up to *budget bytes of the transfer: true once it is over (its status
 * in *st), false when the budget ran out first. */
static bool transfer_slice(struct virtio_blk *b, uint64_t *budget, uint8_t *st)
{
	struct transfer *x = &b->xfer;
	struct iovec iov[VIRTQ_SIZE_MAX];
	uint64_t n = x->len - x->done < *budget ? x->len - x->done : *budget;
	int nv;

	*budget -= n;
	if (n) {
		nv = virtq_chain_iov(&b->chain, !x->write, x->data + x->done, n, iov, VIRTQ_SIZE_MAX);
		if (nv < 0 || rw_all(b->fd, x->write, iov, nv, (off_t)(x->pos + x->done)) < 0) {
			*st = VIRTIO_BLK_S_IOERR;
			return true;
		}
		x->done += n;
	}
	*st = VIRTIO_BLK_S_OK;
	return x->done == x->len;
}

static int write_zeroes_slow(int fd, off_t off, uint64_t len)
{
	static const uint8_t zero[64 << 10];

	while (len) {
		size_t n = len < sizeof(zero) ? len : sizeof(zero);
		ssize_t r = pwrite(fd, zero, n, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		off += r;
		len -= r;
	}
	return 0;
}

static int zero_range(int fd, bool unmap, off_t off, uint64_t len)
{
	/* A punched hole reads back as zeros: the cheapest zeroing there is. */
	if (unmap && fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) == 0)
		return 0;
	if (fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off, len) == 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL)
		return -1;
	return write_zeroes_slow(fd, off, len);
}

/* *budget: the call's byte budget, charged with the bytes zeroed. */
static uint8_t do_ranges(struct virtio_blk *b, bool discard, uint64_t bytes, uint64_t *budget)
{
	uint32_t per_range = discard ? RANGE_SECTORS_MAX : ZERO_SECTORS_MAX;
	struct virtio_blk_discard_write_zeroes r[RANGES_MAX];
	uint64_t n = bytes / sizeof(r[0]);
	uint32_t bad_flags = discard ? ~0u : ~(uint32_t)VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;

	if (b->readonly || bytes % sizeof(r[0]) || n == 0 || n > RANGES_MAX)
		return VIRTIO_BLK_S_IOERR;
	/* Copy and check every range before touching the file. */
	virtq_chain_read(&b->chain, sizeof(struct virtio_blk_outhdr), r, n * sizeof(r[0]));
	for (uint64_t i = 0; i < n; i++) {
		if (le32toh(r[i].flags) & bad_flags)
			return VIRTIO_BLK_S_UNSUPP;
		if (le32toh(r[i].num_sectors) > per_range ||
		    !in_range(b, le64toh(r[i].sector), le32toh(r[i].num_sectors)))
			return VIRTIO_BLK_S_IOERR;
	}
	for (uint64_t i = 0; i < n; i++) {
		off_t off = (off_t)(le64toh(r[i].sector) * SECTOR);
		uint64_t len = (uint64_t)le32toh(r[i].num_sectors) * SECTOR;

		if (len == 0)
			continue;
		if (discard) {
			/* Discard is a hint: a filesystem without holes just keeps the data. */
			if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) < 0 &&
			    errno != EOPNOTSUPP && errno != ENOSYS)
				return VIRTIO_BLK_S_IOERR;
		} else {
			*budget -= len < *budget ? len : *budget;
			if (zero_range(b->fd, le32toh(r[i].flags) & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP,
				       off, len) < 0)
				return VIRTIO_BLK_S_IOERR;
		}
	}
	return VIRTIO_BLK_S_OK;
}

/* Writes the status byte and hands the chain back: `data` bytes written before it. */
static void complete(struct virtio_blk *b, struct virtq *q, uint8_t st, uint64_t data)
{
	const struct virtq_chain *c = &b->chain;

	virtq_chain_write(c, c->write_bytes - 1, &st, 1);
	/* data + 1 <= write_bytes, which start_rw keeps within 32 bits for reads. */
	virtq_push(q, c->head, data + 1);
}

/*
 * Takes the request in b->chain.  Everything but IN and OUT is served at
 * once (1; zeroing charges *budget); IN and OUT become b->xfer (0); -1
 * after a protocol violation (the queue is then broken).
 */
static int take(struct virtio_blk *b, struct virtq *q, uint64_t *budget)
{
	const struct virtq_chain *c = &b->chain;
	struct virtio_blk_outhdr h;
	uint64_t out, in, written = 0;
	uint32_t type;
	uint8_t st;

	if (c->read_bytes < sizeof(h) || c->write_bytes < 1) {
		virtq_fail(q, "blk request at head %u needs a %zu-byte readable header and a writable status byte (has %llu readable, %llu writable bytes)",
			   c->head, sizeof(h), (unsigned long long)c->read_bytes,
			   (unsigned long long)c->write_bytes);
		return -1;
	}
	virtq_chain_read(c, 0, &h, sizeof(h));
	type = le32toh(h.type);
	out = c->read_bytes - sizeof(h); /* data the driver gave us */
	in = c->write_bytes - 1;         /* room for data we give back */
	/* Data in the wrong direction would be silently dropped: refuse it. */
	if ((type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID) ? out != 0
	    : (type == VIRTIO_BLK_T_OUT || type == VIRTIO_BLK_T_DISCARD ||
	       type == VIRTIO_BLK_T_WRITE_ZEROES) ? in != 0 : false) {
		virtq_fail(q, "blk request type %u at head %u has data in the wrong direction (%llu readable, %llu writable bytes)",
			   type, c->head, (unsigned long long)out, (unsigned long long)in);
		return -1;
	}
	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		st = start_rw(b, type == VIRTIO_BLK_T_OUT, le64toh(h.sector),
			      type == VIRTIO_BLK_T_OUT ? out : in);
		if (st == VIRTIO_BLK_S_OK)
			return 0;
		break;
	case VIRTIO_BLK_T_FLUSH:
		st = fdatasync(b->fd) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID:
		in = in < sizeof(b->id) ? in : sizeof(b->id);
		written = virtq_chain_write(c, 0, b->id, in);
		st = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		st = do_ranges(b, type == VIRTIO_BLK_T_DISCARD, out, budget);
		break;
	default:
		st = VIRTIO_BLK_S_UNSUPP;
	}
	complete(b, q, st, written);
	return 1;
}

/*
 * At most CALL_REQUESTS requests and CALL_BYTES of data per call (see
 * there); a transfer cut by the budget resumes at the next call.
 */
static bool blk_queue_notify(void *dev, struct virtq *q)
{
	struct virtio_blk *b = dev;
	uint64_t bytes = CALL_BYTES;
	unsigned requests = CALL_REQUESTS;
	bool more = true;
	uint8_t st;
	int r;

	virtq_disable_notify(q);
	for (;;) {
		if (b->xfer.active) {
			if (!transfer_slice(b, &bytes, &st))
				break; /* budget spent mid-request */
			b->xfer.active = false;
			complete(b, q, st,
				 st == VIRTIO_BLK_S_OK && !b->xfer.write ? b->xfer.len : 0);
			requests--;
		}
		if (!requests || !bytes)
			break;
		r = virtq_pop(q, &b->chain);
		if (r < 0) {
			more = false;
			break;
		}
		if (r == 0) {
			/* One interrupt per batch, not per request. */
			virtq_notify_driver(q);
			if (virtq_enable_notify(q)) {
				virtq_disable_notify(q);
				continue;
			}
			return false;
		}
		r = take(b, q, &bytes);
		if (r < 0) {
			more = false;
			break;
		}
		requests -= r;
	}
	virtq_notify_driver(q);
	return more;
}

/* The transport forgets the rings: a transfer in progress goes with them. */
static void blk_reset(void *dev)
{
	struct virtio_blk *b = dev;

	b->xfer.active = false;
}

/*
 * Before a snapshot: the transfer that the call budget cut short is
 * finished now, whole, and returned to the driver; nothing new is taken.
 */
static void blk_quiesce(void *dev, struct virtq *q)
{
	struct virtio_blk *b = dev;
	uint64_t unlimited = UINT64_MAX;
	uint8_t st;

	if (!b->xfer.active)
		return;
	transfer_slice(b, &unlimited, &st);
	b->xfer.active = false;
	complete(b, q, st, st == VIRTIO_BLK_S_OK && !b->xfer.write ? b->xfer.len : 0);
	virtq_notify_driver(q);
}

bool virtio_blk_readonly(const struct virtio_blk *b)
{
	return b->readonly;
}

static uint64_t blk_features(void *dev)
{
	const struct virtio_blk *b = dev;
	uint64_t f = 1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_BLK_SIZE |
		     1ull << VIRTIO_BLK_F_FLUSH;

	if (b->readonly)
		return f | 1ull << VIRTIO_BLK_F_RO;
	return f | 1ull << VIRTIO_BLK_F_DISCARD | 1ull << VIRTIO_BLK_F_WRITE_ZEROES;
}

static void blk_config_read(void *dev, uint32_t off, uint8_t *data, uint32_t len)
{
	const struct virtio_blk *b = dev;

	memcpy(data, (const uint8_t *)&b->cfg + off, len);
}

const struct virtio_dev_ops virtio_blk_ops = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.queue_max = QUEUE_SIZE,
	.config_size = sizeof(struct virtio_blk_config),
	.features = blk_features,
	.config_read = blk_config_read,
	.queue_notify = blk_queue_notify,
	.reset = blk_reset,
	.quiesce = blk_quiesce,
};
