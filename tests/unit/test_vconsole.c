/*
 * virtio-console end to end: a fake guest driver brings the device up
 * through the register file and posts receive and transmit buffers; the
 * input and output are non-blocking pipes.  Hostile rings (readable
 * receive buffers, writable transmit buffers, empty buffers, addresses
 * outside RAM, descriptor loops) reset the device; a guest that posts no
 * receive buffer leaves the input in the pipe and the handler idle; a
 * stalled reader holds the guest's buffer, a vanished one drops (and
 * counts) the rest.  Guest memory has guard bytes after it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "check.h"
#include "console.h"
#include "device_state.h"
#include "guarded_mem.h"
#include "state.h"
#include "virtio.h"

#define MEM_SIZE (4u << 20)
#define QN 128
#define RING(q) (0x1000u + 0x4000u * (q)) /* desc, then avail +0x1000, used +0x2000 */
#define BUFS 0x100000u
#define BUFLEN 4096u
#define F(bit) (1ull << (bit))

static struct guest_mem mem;
#include "mmio_regs.h"
static struct virtio_console *dev;
static int in[2], out[2];   /* [0] read end, [1] write end */
static uint16_t posted[2];
static int blocked_calls, failed_calls, done_calls, interrupts;

static void host_irq(void *ctx) { (void)ctx; interrupts++; }
static const struct virtio_host host = { .interrupt = host_irq };
static void on_blocked(void *ctx) { (void)ctx; blocked_calls++; }
static void on_failed(void *ctx, int err) { (void)ctx, (void)err; failed_calls++; }
static void on_done(void *ctx) { (void)ctx; done_calls++; }


/* in_fd/out_fd: -2 means "a fresh non-blocking pipe". */
static void setup_fds(int in_fd, int out_fd, uint64_t features)
{
	struct virtio_console_params p = { .out_blocked = on_blocked, .out_failed = on_failed,
					   .in_done = on_done };

	mem = guarded_mem_new(MEM_SIZE);
	posted[0] = posted[1] = 0;
	blocked_calls = failed_calls = done_calls = interrupts = 0;
	in[0] = in[1] = out[0] = out[1] = -1;
	if (in_fd == -2)
		CHECK(pipe2(in, O_NONBLOCK | O_CLOEXEC) == 0);
	if (out_fd == -2)
		CHECK(pipe2(out, O_NONBLOCK | O_CLOEXEC) == 0);
	p.in_fd = in_fd == -2 ? in[0] : in_fd;
	p.out_fd = out_fd == -2 ? out[1] : out_fd;
	dev = virtio_console_create(&p);
	CHECK(dev != NULL);
	t = virtio_mmio_create(&mem, "console", &virtio_console_ops, dev, &host);
	CHECK(t != NULL);
	mmio_bring_up(features, 2, QN, RING(0), RING(1) - RING(0));
}

static void setup(void)
{
	setup_fds(-2, -2, F(VIRTIO_F_VERSION_1));
}

static void teardown(void)
{
	CHECK(guarded_mem_intact(&mem));
	virtio_mmio_destroy(t);
	virtio_console_destroy(dev);
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	free(mem.host);
}

static bool needs_reset(void)
{
	return rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

static uint64_t buf_addr(unsigned q, uint16_t i)
{
	return BUFS + 0x80000u * q + BUFLEN * i;
}

static void put_desc(unsigned q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	struct vring_desc d = { addr, len, flags, next };

	memcpy(mem.host + RING(q) + 16u * i, &d, sizeof(d));
}

static void publish(unsigned q, uint16_t head)
{
	struct vring_avail *a = (struct vring_avail *)(mem.host + RING(q) + 0x1000);

	a->ring[posted[q] % QN] = head;
	__atomic_store_n(&a->idx, ++posted[q], __ATOMIC_RELEASE);
}

/* One buffer of len bytes at descriptor i (its own slot of guest memory), in the right direction. */
static void post(unsigned q, uint16_t i, uint32_t len)
{
	put_desc(q, i, buf_addr(q, i), len, q == VIRTIO_CONSOLE_RXQ ? VRING_DESC_F_WRITE : 0, 0);
	publish(q, i);
}

static struct vring_used *used(unsigned q)
{
	return (struct vring_used *)(mem.host + RING(q) + 0x2000);
}

static uint16_t used_idx(unsigned q)
{
	return __atomic_load_n(&used(q)->idx, __ATOMIC_ACQUIRE);
}

static bool serve(unsigned q)
{
	return virtio_mmio_notify(t, q);
}

static int pipe_bytes(int fd)
{
	int n = -1;

	CHECK(ioctl(fd, FIONREAD, &n) == 0);
	return n;
}

static const struct virtio_console_stats *st(void)
{
	return virtio_console_stats(dev);
}

TEST(device_id_features_and_config)
{
	uint8_t cfg[sizeof(struct virtio_console_config)];

	setup();
	CHECK(rd(VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_CONSOLE);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	/* No size, no multiport, no emergency write: one plain port. */
	CHECK(rd(VIRTIO_MMIO_DEVICE_FEATURES) == (F(VIRTIO_RING_F_INDIRECT_DESC) | F(VIRTIO_RING_F_EVENT_IDX)));
	memset(cfg, 0xff, sizeof(cfg));
	virtio_console_ops.config_read(dev, 0, cfg, sizeof(cfg));
	for (size_t i = 0; i < sizeof(cfg); i++)
		CHECK(cfg[i] == 0);
	teardown();
}

TEST(create_refuses_a_blocking_pipe)
{
	int p[2];
	struct virtio_console_params prm = { .in_fd = -1, .out_fd = -1 };

	CHECK(pipe(p) == 0);
	prm.in_fd = p[0];
	errno = 0;
	CHECK(virtio_console_create(&prm) == NULL && errno == EINVAL);
	prm.in_fd = -1;
	prm.out_fd = p[1];
	CHECK(virtio_console_create(&prm) == NULL && errno == EINVAL);
	prm.out_fd = -5;
	CHECK(virtio_console_create(&prm) == NULL);
	close(p[0]);
	close(p[1]);
}

TEST(rx_input_lands_in_guest_buffer)
{
	setup();
	post(VIRTIO_CONSOLE_RXQ, 0, BUFLEN);
	CHECK(write(in[1], "hello\0\xff", 7) == 7);
	CHECK(!serve(VIRTIO_CONSOLE_RXQ));
	CHECK(used_idx(0) == 1 && used(0)->ring[0].id == 0 && used(0)->ring[0].len == 7);
	CHECK(!memcmp(mem.host + buf_addr(0, 0), "hello\0\xff", 7));
	CHECK(st()->in_bytes == 7 && interrupts == 1);
	/* Nothing more to read: the buffer posted next stays the guest's. */
	post(VIRTIO_CONSOLE_RXQ, 1, BUFLEN);
	CHECK(!serve(VIRTIO_CONSOLE_RXQ));
	CHECK(used_idx(0) == 1 && done_calls == 0);
	teardown();
}

/*
 * A guest that never posts a receive buffer while input keeps coming: the
 * handler reads nothing (the bytes stay in the pipe: no loss), says it has
 * no work (no spin), and once buffers come every byte arrives in order.
 */
TEST(rx_no_buffers_leaves_input_in_pipe_without_spinning)
{
	static uint8_t data[60000], got[60000];
	size_t have = 0;

	setup();
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + (i >> 8));
	CHECK(write(in[1], data, sizeof(data)) == (ssize_t)sizeof(data));
	for (int i = 0; i < 5; i++)
		CHECK(!serve(VIRTIO_CONSOLE_RXQ));
	CHECK(pipe_bytes(in[0]) == (int)sizeof(data));
	CHECK(st()->in_bytes == 0 && st()->rx_no_buffer == 5 && used_idx(0) == 0);
	CHECK(!needs_reset());
	/* With EVENT_IDX off the device asked to be notified of the next buffer. */
	CHECK(!(used(0)->flags & VRING_USED_F_NO_NOTIFY));
	for (uint16_t round = 0; have < sizeof(data); round++) {
		uint16_t before = used_idx(0);

		CHECK(round < 100);
		if (round >= 100)
			break;
		post(VIRTIO_CONSOLE_RXQ, (uint16_t)(round % QN), BUFLEN);
		serve(VIRTIO_CONSOLE_RXQ);
		CHECK(used_idx(0) == (uint16_t)(before + 1));
		{
			struct vring_used_elem e = used(0)->ring[before % QN];

			CHECK(e.len > 0 && e.len <= BUFLEN && have + e.len <= sizeof(got));
			memcpy(got + have, mem.host + buf_addr(0, (uint16_t)e.id), e.len);
			have += e.len;
		}
	}
	CHECK(have == sizeof(data) && !memcmp(got, data, sizeof(data)));
	CHECK(st()->in_bytes == sizeof(data));
	teardown();
}

TEST(rx_end_of_input_is_one_empty_buffer)
{
	setup();
	post(VIRTIO_CONSOLE_RXQ, 0, BUFLEN);
	post(VIRTIO_CONSOLE_RXQ, 1, BUFLEN);
	post(VIRTIO_CONSOLE_RXQ, 2, BUFLEN);
	CHECK(write(in[1], "last", 4) == 4);
	close(in[1]);
	in[1] = -1;
	CHECK(!serve(VIRTIO_CONSOLE_RXQ));
	CHECK(used_idx(0) == 2);
	CHECK(used(0)->ring[0].len == 4 && used(0)->ring[1].len == 0);
	CHECK(done_calls == 1 && virtio_console_input_ended(dev));
	/* After the end, buffers stay the guest's and nothing is said twice. */
	post(VIRTIO_CONSOLE_RXQ, 3, BUFLEN);
	CHECK(!serve(VIRTIO_CONSOLE_RXQ));
	CHECK(used_idx(0) == 2 && done_calls == 1);
	teardown();
}

TEST(rx_without_input_ends_at_once)
{
	setup_fds(-1, -2, F(VIRTIO_F_VERSION_1));
	post(VIRTIO_CONSOLE_RXQ, 0, BUFLEN);
	CHECK(!serve(VIRTIO_CONSOLE_RXQ));
	CHECK(used_idx(0) == 1 && used(0)->ring[0].len == 0 && done_calls == 1);
	teardown();
}

TEST(rx_budget_says_more_then_resumes)
{
	static uint8_t data[VIRTIO_CONSOLE_BUDGET * 16 + 100];

	setup();
	memset(data, 'x', sizeof(data));
	CHECK(write(in[1], data, sizeof(data)) == (ssize_t)sizeof(data));
	for (uint16_t i = 0; i < 100; i++)
		post(VIRTIO_CONSOLE_RXQ, i, 16);
	/* One call serves a bounded slice, then says there is more. */
	CHECK(serve(VIRTIO_CONSOLE_RXQ));
	CHECK(used_idx(0) == VIRTIO_CONSOLE_BUDGET && st()->in_bytes == VIRTIO_CONSOLE_BUDGET * 16);
	CHECK(!serve(VIRTIO_CONSOLE_RXQ));
	CHECK(used_idx(0) == VIRTIO_CONSOLE_BUDGET + 7 && st()->in_bytes == sizeof(data));
	teardown();
}

TEST(rx_readable_buffer_resets_device)
{
	setup();
	put_desc(0, 0, buf_addr(0, 0), BUFLEN, 0, 0);
	publish(0, 0);
	CHECK(write(in[1], "x", 1) == 1);
	serve(VIRTIO_CONSOLE_RXQ);
	CHECK(needs_reset());
	CHECK(pipe_bytes(in[0]) == 1); /* nothing read into a buffer the device may not write */
	teardown();
}

TEST(rx_empty_buffer_resets_device)
{
	setup();
	put_desc(0, 0, buf_addr(0, 0), 0, VRING_DESC_F_WRITE, 0);
	publish(0, 0);
	CHECK(write(in[1], "x", 1) == 1);
	serve(VIRTIO_CONSOLE_RXQ);
	CHECK(needs_reset() && done_calls == 0 && !virtio_console_input_ended(dev));
	teardown();
}

TEST(rx_buffer_outside_ram_resets_device)
{
	setup();
	put_desc(0, 0, MEM_SIZE - 8, 64, VRING_DESC_F_WRITE, 0);
	publish(0, 0);
	CHECK(write(in[1], "0123456789", 10) == 10);
	serve(VIRTIO_CONSOLE_RXQ);
	CHECK(needs_reset());
	teardown();
}

TEST(tx_chain_goes_out_in_order)
{
	char got[64] = "";

	setup();
	memcpy(mem.host + buf_addr(1, 0), "first ", 6);
	memcpy(mem.host + buf_addr(1, 1), "second", 6);
	put_desc(1, 0, buf_addr(1, 0), 6, VRING_DESC_F_NEXT, 1);
	put_desc(1, 1, buf_addr(1, 1), 6, 0, 0);
	publish(1, 0);
	memcpy(mem.host + buf_addr(1, 2), "\0bin\n", 5);
	post(VIRTIO_CONSOLE_TXQ, 2, 5);
	CHECK(!serve(VIRTIO_CONSOLE_TXQ));
	CHECK(used_idx(1) == 2 && used(1)->ring[0].id == 0 && used(1)->ring[1].id == 2);
	CHECK(read(out[0], got, sizeof(got)) == 17 && !memcmp(got, "first second\0bin\n", 17));
	CHECK(st()->out_bytes == 17 && st()->out_dropped == 0);
	teardown();
}

TEST(tx_writable_buffer_resets_device)
{
	setup();
	put_desc(1, 0, buf_addr(1, 0), 16, VRING_DESC_F_WRITE, 0);
	publish(1, 0);
	serve(VIRTIO_CONSOLE_TXQ);
	CHECK(needs_reset() && pipe_bytes(out[0]) == 0);
	teardown();
}

TEST(tx_descriptor_loop_resets_device)
{
	setup();
	put_desc(1, 0, buf_addr(1, 0), 16, VRING_DESC_F_NEXT, 1);
	put_desc(1, 1, buf_addr(1, 1), 16, VRING_DESC_F_NEXT, 0);
	publish(1, 0);
	serve(VIRTIO_CONSOLE_TXQ);
	CHECK(needs_reset() && pipe_bytes(out[0]) == 0);
	teardown();
}

TEST(tx_length_past_ram_resets_device)
{
	setup();
	put_desc(1, 0, buf_addr(1, 0), 0xffffffffu, 0, 0);
	publish(1, 0);
	serve(VIRTIO_CONSOLE_TXQ);
	CHECK(needs_reset() && pipe_bytes(out[0]) == 0);
	teardown();
}

/* A reader that stalls: the buffer stays in hand until it can be written, nothing lost. */
TEST(tx_blocked_reader_holds_the_buffer)
{
	static uint8_t sink[1 << 17];
	int cap;
	size_t total = 0;
	ssize_t r;

	setup();
	cap = fcntl(out[1], F_GETPIPE_SZ);
	CHECK(cap > 0);
	memset(mem.host + buf_addr(1, 0), 'a', 0x40000);
	put_desc(1, 0, buf_addr(1, 0), (uint32_t)cap + 1000, 0, 0);
	publish(1, 0);
	CHECK(!serve(VIRTIO_CONSOLE_TXQ));
	CHECK(used_idx(1) == 0 && blocked_calls == 1 && st()->out_blocked == 1);
	CHECK(pipe_bytes(out[0]) == cap);
	/* Served again while still blocked: no progress, no spin, no loss. */
	CHECK(!serve(VIRTIO_CONSOLE_TXQ));
	CHECK(used_idx(1) == 0 && blocked_calls == 2);
	while ((r = read(out[0], sink, sizeof(sink))) > 0)
		total += (size_t)r;
	CHECK(!serve(VIRTIO_CONSOLE_TXQ));
	CHECK(used_idx(1) == 1);
	while ((r = read(out[0], sink, sizeof(sink))) > 0)
		total += (size_t)r;
	CHECK(total == (size_t)cap + 1000 && st()->out_bytes == total && st()->out_dropped == 0);
	teardown();
}

TEST(tx_reader_gone_drops_and_counts)
{
	signal(SIGPIPE, SIG_IGN); /* as flint's main() does */
	setup();
	close(out[0]);
	out[0] = -1;
	post(VIRTIO_CONSOLE_TXQ, 0, 100);
	post(VIRTIO_CONSOLE_TXQ, 1, 50);
	CHECK(!serve(VIRTIO_CONSOLE_TXQ));
	/* The guest gets its buffers back; the failure is said once. */
	CHECK(used_idx(1) == 2 && failed_calls == 1);
	CHECK(st()->out_dropped == 150 && st()->out_errno == EPIPE);
	teardown();
}

TEST(tx_without_output_discards)
{
	setup_fds(-2, -1, F(VIRTIO_F_VERSION_1));
	post(VIRTIO_CONSOLE_TXQ, 0, 100);
	CHECK(!serve(VIRTIO_CONSOLE_TXQ));
	CHECK(used_idx(1) == 1 && st()->out_bytes == 100 && st()->out_dropped == 0);
	teardown();
}

TEST(tx_budget_says_more)
{
	setup_fds(-2, -1, F(VIRTIO_F_VERSION_1) | F(VIRTIO_RING_F_EVENT_IDX));
	for (uint16_t i = 0; i < 80; i++)
		post(VIRTIO_CONSOLE_TXQ, i, 8);
	CHECK(serve(VIRTIO_CONSOLE_TXQ));
	CHECK(used_idx(1) == VIRTIO_CONSOLE_BUDGET);
	CHECK(!serve(VIRTIO_CONSOLE_TXQ));
	CHECK(used_idx(1) == 80 && st()->out_bytes == 640);
	teardown();
}

static int dev_save(void *d, struct state_out *o) { return virtio_console_save(d, o); }
static int dev_load(void *d, struct state_in *i, char *err, size_t errlen)
{
	return virtio_console_load(d, i, err, errlen);
}

static const struct device_instance_ops state_ops = { dev_save, dev_load, NULL };

/* A save while the reader stalls finishes the buffer in hand (dropping its rest, counted). */
TEST(save_load_round_trip)
{
	struct device_instance v;
	struct state_out a = { 0 }, b = { 0 };
	struct state_in in;
	char err[256] = "";
	struct virtio_console *dev1;
	struct virtio_mmio *t1;
	int cap;

	setup();
	cap = fcntl(out[1], F_GETPIPE_SZ);
	post(VIRTIO_CONSOLE_TXQ, 0, (uint32_t)cap + 10);
	CHECK(!serve(VIRTIO_CONSOLE_TXQ) && used_idx(1) == 0);
	post(VIRTIO_CONSOLE_RXQ, 0, BUFLEN);
	v = (struct device_instance){ "vconsole", dev, t };
	CHECK(device_state_save(&v, 1, &state_ops, &a) == 0);
	CHECK(used_idx(1) == 1 && st()->out_dropped == 10);

	/* Into a fresh device on other pipes: the same record comes back out. */
	dev1 = dev;
	t1 = t;
	{
		struct virtio_console_params p = { .in_fd = -1, .out_fd = -1 };

		dev = virtio_console_create(&p);
		t = virtio_mmio_create(&mem, "console", &virtio_console_ops, dev, &host);
	}
	v = (struct device_instance){ "vconsole", dev, t };
	in = state_in_make(a.buf, a.len);
	CHECK(device_state_load(&v, 1, &state_ops, &in, err, sizeof(err)) == 0);
	if (err[0])
		fprintf(stderr, "  load: %s\n", err);
	CHECK(device_state_save(&v, 1, &state_ops, &b) == 0);
	CHECK(a.len == b.len && !memcmp(a.buf, b.buf, a.len));
	/* The restored device serves the receive buffer the guest had posted. */
	CHECK(!serve(VIRTIO_CONSOLE_RXQ));
	CHECK(used_idx(0) == 1 && used(0)->ring[0].len == 0); /* no input here: end of input */

	/* A record with other features, or cut short, is refused. */
	{
		struct state_out bad = { 0 };
		uint8_t cfg[12] = { 0 };

		state_put_u64(&bad, 1);
		state_put_bytes(&bad, cfg, sizeof(cfg));
		in = state_in_make(bad.buf, bad.len);
		CHECK(virtio_console_load(dev, &in, err, sizeof(err)) < 0 && strstr(err, "features differ"));
		in = state_in_make(bad.buf, 5);
		CHECK(virtio_console_load(dev, &in, err, sizeof(err)) < 0);
		cfg[4] = 1;
		state_out_free(&bad);
		bad = (struct state_out){ 0 };
		state_put_u64(&bad, 0);
		state_put_bytes(&bad, cfg, sizeof(cfg));
		in = state_in_make(bad.buf, bad.len);
		CHECK(virtio_console_load(dev, &in, err, sizeof(err)) < 0 && strstr(err, "configuration"));
		state_out_free(&bad);
	}
	virtio_mmio_destroy(t);
	virtio_console_destroy(dev);
	dev = dev1;
	t = t1;
	state_out_free(&a);
	state_out_free(&b);
	teardown();
}

CHECK_MAIN()
