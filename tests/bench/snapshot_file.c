/*
 * What the snapshot file and vCPU state cost (make bench): medians over
 * RUNS, each next to its floor measured in the same run, interleaved.
 *
 *   write   snap_write of a 64 MiB guest that touched 2 MiB, one page in
 *           32 (mincore skips the rest), vs the floor: a pwrite of each of
 *           those pages at its offset in a new file; and the same save
 *           without mincore (every page read)
 *   size    the file's allocated bytes vs the bytes the guest touched
 *   open    snap_read + snap_check + snap_map_memory, vs the floor: open,
 *           fstat and mmap of the same file
 *   vcpu    vcpu_state_save and vcpu_state_load of one vCPU (needs KVM)
 *
 * Usage: snapshot_file DIR (the files go there: use the disk snapshots
 * will live on, not tmpfs, for write figures that mean something).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "snapshot_file.h"
#include "state.h"
#include "vcpu.h"
#include "vcpu_state.h"
#include "vm.h"

#define RUNS 21
#define MEM (64u << 20)
#define TOUCHED (2u << 20)

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[n / 2];
}

static int new_file(const char *dir, const char *name, char *path, size_t n)
{
	int fd;

	snprintf(path, n, "%s/bench-%d-%s.snap", dir, (int)getpid(), name);
	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "snapshot_file: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static void die(const char *what, const char *err)
{
	fprintf(stderr, "snapshot_file: %s: %s\n", what, err);
	exit(1);
}

static void bench_vcpu(void)
{
	static struct vm vm;
	static struct vcpu v;
	struct vcpu_state_caps caps;
	double save[RUNS], load[RUNS];
	char err[256];
	size_t len = 0;

	if (access("/dev/kvm", R_OK | W_OK) < 0) {
		printf("vcpu: no /dev/kvm, not measured\n");
		return;
	}
	if (vm_create(&vm, 2u << 20, 1, err, sizeof(err)) < 0 || vm_wait_cpuid(&vm, err, sizeof(err)) < 0 ||
	    vcpu_create(&vm, &v, 0, err, sizeof(err)) < 0 || vcpu_set_cpuid(&v, err, sizeof(err)) < 0 ||
	    vcpu_state_caps_probe(vm.kvm_fd, vm.vm_fd, &caps, err, sizeof(err)) < 0 ||
	    vcpu_set_pvh_entry(&v, 0x1000, 0, err, sizeof(err)) < 0)
		die("setting up a VM", err);
	for (int i = 0; i < RUNS; i++) {
		struct state_out o = { 0 };
		struct state_in in;
		double t0 = now_us(), t1, t2;

		if (vcpu_state_save(&v, &caps, &o, err, sizeof(err)) < 0)
			die("vcpu_state_save", err);
		t1 = now_us();
		in = state_in_make(o.buf, o.len);
		if (vcpu_state_load(&v, &caps, &in, NULL, err, sizeof(err)) < 0)
			die("vcpu_state_load", err);
		t2 = now_us();
		save[i] = t1 - t0;
		load[i] = t2 - t1;
		len = o.len;
		state_out_free(&o);
	}
	printf("vcpu: save %.1f us, load %.1f us, record %zu bytes (median of %d)\n", median(save, RUNS),
	       median(load, RUNS), len, RUNS);
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

int main(int argc, char **argv)
{
	static const uint8_t rec[4096];
	struct snap_record vr = { .version = 1, .data = rec, .len = sizeof(rec) };
	struct snapshot s = { .host = { .cpu_vendor = "GenuineIntel" }, .mem_size = MEM, .nvcpus = 1, .vcpus = &vr };
	double w_snap[RUNS], w_full[RUNS], w_floor[RUNS], o_snap[RUNS], o_floor[RUNS];
	uint8_t *mem, *mem_read, *scratch;
	char path[4096], err[256];
	long long alloc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: snapshot_file DIR\n");
		return 2;
	}
	mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	/* A second guest for the save that reads every page: reading maps the
	 * zero page, which mincore then reports present. */
	mem_read = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	scratch = malloc(TOUCHED);
	if (mem == MAP_FAILED || mem_read == MAP_FAILED || !scratch)
		return 1;
	/* Touched pages spread over the guest, as a kernel's heap and stacks are. */
	for (uint64_t off = 0; off < TOUCHED; off += 4096) {
		memset(mem + off * (MEM / TOUCHED), 0x5a, 4096);
		memset(mem_read + off * (MEM / TOUCHED), 0x5a, 4096);
	}
	memset(scratch, 0x5a, TOUCHED);

	for (int i = 0; i < RUNS; i++) {
		struct snap_write_stats st;
		struct snapshot got;
		struct stat sb;
		double t0, t1;
		void *p;
		int fd;

		/* The three saves in turn, each one first every third run. */
		for (int k = 0; k < 3; k++) {
			char other[4096];

			switch ((k + i) % 3) {
			case 0: /* the floor */
				fd = new_file(argv[1], "floor", other, sizeof(other));
				t0 = now_us();
				for (uint64_t off = 0; off < TOUCHED; off += 4096)
					if (pwrite(fd, scratch, 4096, (off_t)(4096 + off * (MEM / TOUCHED))) != 4096)
						die("pwrite", strerror(errno));
				w_floor[i] = now_us() - t0;
				close(fd);
				unlink(other);
				break;
			case 1: /* every page read */
				fd = new_file(argv[1], "full", other, sizeof(other));
				t0 = now_us();
				if (snap_write(fd, &s, mem_read, false, &st, err, sizeof(err)) < 0)
					die("snap_write", err);
				w_full[i] = now_us() - t0;
				close(fd);
				unlink(other);
				break;
			default: /* mincore: the file the open test reads */
				fd = new_file(argv[1], "snap", path, sizeof(path));
				t0 = now_us();
				if (snap_write(fd, &s, mem, true, &st, err, sizeof(err)) < 0)
					die("snap_write", err);
				w_snap[i] = now_us() - t0;
				if (fstat(fd, &sb) == 0)
					alloc = (long long)sb.st_blocks * 512;
				close(fd);
			}
		}

		/* Interleaved, each going first every other run. */
		for (int k = 0; k < 2; k++) {
			if ((k + i) % 2 == 0) {
				t0 = now_us();
				fd = open(path, O_RDONLY | O_CLOEXEC);
				if (fd < 0 || fstat(fd, &sb) < 0)
					die("open", strerror(errno));
				p = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd, 4096);
				t1 = now_us();
				o_floor[i] = t1 - t0;
			} else {
				t0 = now_us();
				fd = open(path, O_RDONLY | O_CLOEXEC);
				if (fd < 0 || snap_read(fd, path, &got, err, sizeof(err)) < 0 ||
				    snap_check(&got, path, &s.host, MEM, 1, NULL, 0, err, sizeof(err)) < 0 ||
				    !(p = snap_map_memory(fd, &got, NULL, err, sizeof(err))))
					die("restore side", err);
				o_snap[i] = now_us() - t0;
				snap_free(&got);
			}
			munmap(p, MEM);
			close(fd);
		}
		unlink(path);
	}
	printf("write: 64 MiB guest, 2 MiB touched: %.0f us (mincore) / %.0f us (every page read); "
	       "floor: a pwrite per touched page %.0f us: %.2fx floor (median of %d)\n",
	       median(w_snap, RUNS), median(w_full, RUNS), median(w_floor, RUNS),
	       median(w_snap, RUNS) / median(w_floor, RUNS), RUNS);
	printf("size: %lld KiB allocated for %u KiB touched\n", alloc / 1024, TOUCHED / 1024);
	printf("open: read + check + map %.1f us; floor open + fstat + mmap %.1f us (median of %d)\n",
	       median(o_snap, RUNS), median(o_floor, RUNS), RUNS);
	bench_vcpu();
	return 0;
}
