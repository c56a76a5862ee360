/* The CPUID cache: a file is used only when it is ours, intact and for this host. */
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "cpuid_cache.h"

#define MAX 16

static char dir[64], path[128];
static struct cpuid_cache_key key;
static union {
	struct kvm_cpuid2 c;
	char room[sizeof(struct kvm_cpuid2) + MAX * sizeof(struct kvm_cpuid_entry2)];
} in, out;

static void setup(void)
{
	strcpy(dir, "/tmp/flint-cpuid-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/cache", dir);
	CHECK(cpuid_cache_key(&key, 12) == 0);
	memset(&in, 0, sizeof(in));
	in.c.nent = 3;
	for (unsigned i = 0; i < 3; i++)
		in.c.entries[i] = (struct kvm_cpuid_entry2){ .function = i, .eax = 0x1000 + i, .edx = ~i };
	memset(&out, 0, sizeof(out));
}

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
}

/* Flips one byte of the file at off. */
static void corrupt(off_t off)
{
	int fd = open(path, O_RDWR);
	unsigned char b = 0;

	CHECK(fd >= 0 && pread(fd, &b, 1, off) == 1);
	b ^= 0x40;
	CHECK(pwrite(fd, &b, 1, off) == 1);
	close(fd);
}

TEST(round_trip)
{
	setup();
	CHECK(cpuid_cache_store(path, &key, &in.c) == 0);
	CHECK(cpuid_cache_load(path, &key, &out.c, MAX) == 0);
	CHECK(out.c.nent == 3 && !memcmp(out.c.entries, in.c.entries, 3 * sizeof(in.c.entries[0])));
	teardown();
}

TEST(key_includes_boot_and_kernel)
{
	setup();
	CHECK(strstr(key.text, "boot ") && strstr(key.text, " kernel ") && strstr(key.text, " api 12"));
	teardown();
}

/*
 * `ip netns exec` mounts a sysfs of its own, whose inodes are made anew:
 * a key taken there must match, or every run in a namespace misses the
 * cache and rewrites it for the next run outside to miss again.  Needs
 * root (a new mount and network namespace); elsewhere it checks nothing.
 */
TEST(same_key_under_another_sysfs_mount)
{
	int p[2], st;
	pid_t pid;

	setup();
	if (geteuid() != 0) {
		teardown();
		return;
	}
	CHECK(pipe(p) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct cpuid_cache_key k;
		int ok = unshare(CLONE_NEWNS | CLONE_NEWNET) == 0 &&
			 mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
			 mount("sysfs", "/sys", "sysfs", 0, NULL) == 0 && cpuid_cache_key(&k, 12) == 0;

		_exit(ok && write(p[1], k.text, sizeof(k.text)) == (ssize_t)sizeof(k.text) ? 0 : 1);
	}
	{
		struct cpuid_cache_key there = { { 0 } };

		close(p[1]);
		CHECK(read(p[0], there.text, sizeof(there.text)) == (ssize_t)sizeof(there.text));
		close(p[0]);
		CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
		CHECK(!strcmp(there.text, key.text));
		if (strcmp(there.text, key.text))
			fprintf(stderr, "  here:  %s\n  there: %s\n", key.text, there.text);
	}
	teardown();
}

TEST(other_host_is_a_miss)
{
	struct cpuid_cache_key other = key;

	setup();
	other = key;
	other.text[5] ^= 1; /* another boot id */
	CHECK(cpuid_cache_store(path, &key, &in.c) == 0);
	CHECK(cpuid_cache_load(path, &other, &out.c, MAX) < 0);
	CHECK(out.c.nent == 0);
	teardown();
}

TEST(corrupt_entry_is_a_miss)
{
	struct stat st;

	setup();
	CHECK(cpuid_cache_store(path, &key, &in.c) == 0);
	CHECK(stat(path, &st) == 0);
	corrupt(st.st_size - 5);
	CHECK(cpuid_cache_load(path, &key, &out.c, MAX) < 0 && out.c.nent == 0);
	teardown();
}

TEST(truncated_or_grown_is_a_miss)
{
	struct stat st;
	int fd;

	setup();
	CHECK(cpuid_cache_store(path, &key, &in.c) == 0);
	CHECK(stat(path, &st) == 0);
	CHECK(truncate(path, st.st_size - 1) == 0);
	CHECK(cpuid_cache_load(path, &key, &out.c, MAX) < 0);
	CHECK(cpuid_cache_store(path, &key, &in.c) == 0);
	fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "x", 1) == 1);
	close(fd);
	CHECK(cpuid_cache_load(path, &key, &out.c, MAX) < 0 && out.c.nent == 0);
	teardown();
}

TEST(too_many_entries_for_caller_is_a_miss)
{
	setup();
	CHECK(cpuid_cache_store(path, &key, &in.c) == 0);
	CHECK(cpuid_cache_load(path, &key, &out.c, 2) < 0 && out.c.nent == 0);
	teardown();
}

TEST(writable_by_others_is_not_trusted)
{
	setup();
	CHECK(cpuid_cache_store(path, &key, &in.c) == 0);
	CHECK(chmod(path, 0622) == 0);
	CHECK(cpuid_cache_load(path, &key, &out.c, MAX) < 0);
	CHECK(chmod(path, 0600) == 0 && chmod(dir, 0777) == 0);
	CHECK(cpuid_cache_load(path, &key, &out.c, MAX) < 0);
	CHECK(chmod(dir, 0700) == 0);
	CHECK(cpuid_cache_load(path, &key, &out.c, MAX) == 0);
	teardown();
}

TEST(foreign_owner_is_not_trusted)
{
	setup();
	CHECK(cpuid_cache_store(path, &key, &in.c) == 0);
	if (geteuid() == 0) {
		CHECK(chown(path, 65534, 65534) == 0);
		CHECK(cpuid_cache_load(path, &key, &out.c, MAX) < 0 && out.c.nent == 0);
	}
	teardown();
}

TEST(symlink_is_not_followed)
{
	char target[160];

	setup();
	snprintf(target, sizeof(target), "%s/real", dir);
	CHECK(cpuid_cache_store(target, &key, &in.c) == 0);
	CHECK(symlink(target, path) == 0);
	CHECK(cpuid_cache_load(path, &key, &out.c, MAX) < 0);
	unlink(target);
	teardown();
}

TEST(path_from_environment)
{
	char p[256];

	setenv("FLINT_CPUID_CACHE", "off", 1);
	CHECK(!cpuid_cache_path(p, sizeof(p)));
	setenv("FLINT_CPUID_CACHE", "", 1);
	CHECK(!cpuid_cache_path(p, sizeof(p)));
	setenv("FLINT_CPUID_CACHE", "/x/y", 1);
	CHECK(cpuid_cache_path(p, sizeof(p)) && !strcmp(p, "/x/y"));
	unsetenv("FLINT_CPUID_CACHE");
}

CHECK_MAIN()
