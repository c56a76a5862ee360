#include "cpuid_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define CACHE_MAGIC "flint-cpuid-cache 1\n"
#define CACHE_MAX_ENTRIES 1024

/* On disk: header, key text (key_len bytes), nent entries, then nothing. */
struct cache_header {
	char magic[sizeof(CACHE_MAGIC) - 1];
	uint32_t key_len;
	uint32_t nent;
	uint64_t checksum;   /* FNV-1a of key text and entries */
};

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t checksum(const struct cpuid_cache_key *k, const struct kvm_cpuid_entry2 *e, uint32_t nent)
{
	uint64_t h = fnv1a(0xcbf29ce484222325ull, k->text, strlen(k->text));

	return fnv1a(h, e, (size_t)nent * sizeof(*e));
}

static int read_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

int cpuid_cache_key(struct cpuid_cache_key *k, int kvm_api_version)
{
	static const char *const modules[] = { "kvm", "kvm_intel", "kvm_amd", "kvm_pvm" };
	char boot_id[64];
	struct utsname u;
	size_t n;
	int w;

	if (read_line("/proc/sys/kernel/random/boot_id", boot_id, sizeof(boot_id)) < 0 || uname(&u) < 0)
		return -1;
	w = snprintf(k->text, sizeof(k->text), "boot %s kernel %s %s api %d", boot_id, u.release,
		     u.version, kvm_api_version);
	if (w < 0 || (size_t)w >= sizeof(k->text))
		return -1;
	n = (size_t)w;
	/* A module reloaded within one boot gets a new sysfs folder, with a
	 * new inode number (kernfs never reuses one soon).  Not its times:
	 * those are made when an inode is instantiated, so each sysfs mount
	 * (every `ip netns exec`) showed new ones, and runs in and out of a
	 * namespace missed each other's cache and rewrote it (3+ ms). */
	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		char p[64];
		struct stat st;

		snprintf(p, sizeof(p), "/sys/module/%s", modules[i]);
		if (stat(p, &st) < 0)
			continue;
		w = snprintf(k->text + n, sizeof(k->text) - n, " %s %llu", modules[i],
			     (unsigned long long)st.st_ino);
		if (w < 0 || (size_t)w >= sizeof(k->text) - n)
			return -1;
		n += (size_t)w;
	}
	return 0;
}

bool cpuid_cache_path(char *buf, size_t len)
{
	const char *env = getenv("FLINT_CPUID_CACHE"), *run;
	int w;

	if (env)
		w = *env && strcmp(env, "off") ? snprintf(buf, len, "%s", env) : -1;
	else if (geteuid() == 0)
		w = snprintf(buf, len, "/run/flint/cpuid-0");
	else if ((run = getenv("XDG_RUNTIME_DIR")) && run[0] == '/')
		w = snprintf(buf, len, "%s/flint-cpuid", run);
	else
		w = -1;
	return w > 0 && (size_t)w < len;
}

/* Ours and nobody else's to write: the folder too, or another user could
 * swap the file under the name we check. */
static bool trusted(const struct stat *st, bool dir)
{
	uid_t me = geteuid();

	if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode))
		return false;
	if (st->st_uid != me && !(dir && st->st_uid == 0))
		return false;
	return !(st->st_mode & (S_IWGRP | S_IWOTH));
}

static bool folder_trusted(const char *path)
{
	char copy[4096];
	struct stat st;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return false;
	return stat(dirname(copy), &st) == 0 && trusted(&st, true);
}

int cpuid_cache_load(const char *path, const struct cpuid_cache_key *k, struct kvm_cpuid2 *c,
		     unsigned max)
{
	size_t key_len = strlen(k->text), body;
	struct cache_header h;
	struct kvm_cpuid_entry2 *e = NULL;
	struct stat st;
	char *key = NULL;
	int fd, rc = -1;

	if (!folder_trusted(path))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !trusted(&st, false) || read(fd, &h, sizeof(h)) != sizeof(h) ||
	    memcmp(h.magic, CACHE_MAGIC, sizeof(h.magic)) || h.key_len != key_len ||
	    h.nent == 0 || h.nent > max || h.nent > CACHE_MAX_ENTRIES)
		goto out;
	body = key_len + (size_t)h.nent * sizeof(*e);
	if ((uint64_t)st.st_size != sizeof(h) + body)
		goto out;
	key = malloc(key_len + 1);
	e = malloc((size_t)h.nent * sizeof(*e));
	if (!key || !e || read(fd, key, key_len) != (ssize_t)key_len ||
	    read(fd, e, (size_t)h.nent * sizeof(*e)) != (ssize_t)((size_t)h.nent * sizeof(*e)))
		goto out;
	key[key_len] = 0;
	if (strcmp(key, k->text) || checksum(k, e, h.nent) != h.checksum)
		goto out;
	c->nent = h.nent;
	memcpy(c->entries, e, (size_t)h.nent * sizeof(*e));
	rc = 0;
out:
	free(key);
	free(e);
	close(fd);
	return rc;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *b = p;

	while (n) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

int cpuid_cache_store(const char *path, const struct cpuid_cache_key *k, const struct kvm_cpuid2 *c)
{
	struct cache_header h = { .key_len = (uint32_t)strlen(k->text), .nent = c->nent };
	char tmp[4096], dir[4096];
	int fd, ok;

	if (c->nent == 0 || c->nent > CACHE_MAX_ENTRIES ||
	    snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) >= (int)sizeof(tmp) ||
	    snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -1;
	if (mkdir(dirname(dir), 0700) < 0 && errno != EEXIST)
		return -1;
	if (!folder_trusted(path))
		return -1;
	memcpy(h.magic, CACHE_MAGIC, sizeof(h.magic));
	h.checksum = checksum(k, c->entries, c->nent);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	ok = write_all(fd, &h, sizeof(h)) == 0 && write_all(fd, k->text, h.key_len) == 0 &&
	     write_all(fd, c->entries, (size_t)c->nent * sizeof(c->entries[0])) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}
