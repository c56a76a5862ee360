/*
 * The guest's filesystem code, hosted: SHA-256 against FIPS 180-2 vectors,
 * the cpio reader and the VFS on the image mkimage builds
 * (build/rootfs/example.cpio, compared file by file with the folder it
 * came from, build/rootfs/tree), crafted corrupt archives, every
 * truncation of a real one, mounts and the block-device helpers.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fs/blockdev.h"
#include "fs/cpio.h"
#include "fs/vfs.h"
#include "lib/sha256.h"

#define IMAGE "build/rootfs/example.cpio"
#define TREE  "build/rootfs/tree"

static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void hex_of(const void *data, size_t len, char out[65])
{
	struct sha256 s;
	uint8_t d[32];

	sha256_init(&s);
	sha256_update(&s, data, len);
	sha256_final(&s, d);
	sha256_hex(d, out);
}

TEST(sha256_vectors)
{
	char h[65];
	static char million[1000000];

	hex_of("", 0, h);
	CHECK(!strcmp(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	hex_of("abc", 3, h);
	CHECK(!strcmp(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, h);
	CHECK(!strcmp(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
	memset(million, 'a', sizeof(million));
	hex_of(million, sizeof(million), h);
	CHECK(!strcmp(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
}

TEST(sha256_incremental_equals_one_shot)
{
	uint8_t msg[300], d1[32], d2[32];
	struct sha256 s;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 1);
	for (size_t len = 0; len <= sizeof(msg); len += 37)
		for (size_t cut = 0; cut <= len; cut += 13) {
			sha256_init(&s);
			sha256_update(&s, msg, len);
			sha256_final(&s, d1);
			sha256_init(&s);
			sha256_update(&s, msg, cut);
			sha256_update(&s, msg + cut, len - cut);
			sha256_final(&s, d2);
			CHECK(!memcmp(d1, d2, 32));
		}
}

/* ---- a tiny newc writer for crafted archives ---- */

struct arch {
	char buf[1 << 16];
	size_t len;
	unsigned ino;
};

static void add(struct arch *a, const char *name, uint32_t mode, const char *data, size_t dlen)
{
	size_t nl = strlen(name) + 1;

	a->len += (size_t)sprintf(a->buf + a->len, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X",
				  ++a->ino, mode, 0u, 0u, 1u, 0u, dlen, 0u, 0u, 0u, 0u, nl, 0u);
	memcpy(a->buf + a->len, name, nl);
	a->len += nl;
	while (a->len % 4)
		a->buf[a->len++] = 0;
	memcpy(a->buf + a->len, data, dlen);
	a->len += dlen;
	while (a->len % 4)
		a->buf[a->len++] = 0;
}

static void finish(struct arch *a)
{
	add(a, "TRAILER!!!", 0, "", 0);
}

static int mount_mem(const char *at, const void *mem, size_t len)
{
	struct vfs_source src = { .mem = mem, .len = len };

	return vfs_mount(at, &cpio_backend, &src);
}

static int try_archive(const void *mem, size_t len)
{
	void *fs;
	uint64_t root;
	struct vfs_source src = { .mem = mem, .len = len };
	int rc = cpio_backend.mount(&src, &fs, &root);

	if (rc == 0)
		cpio_backend.unmount(fs);
	return rc;
}

/* ---- the example image against the folder it was made from ---- */

static int compared;

static void compare_tree(const char *rel)
{
	char host[2048], guest[VFS_PATH_MAX];
	DIR *d;
	struct dirent *de;
	int fd, nhost = 0, nguest = 0;
	struct vfs_dirent ve;

	snprintf(host, sizeof(host), TREE "/%s", rel);
	snprintf(guest, sizeof(guest), "/%s", rel);
	d = opendir(host);
	CHECK(d != NULL);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char hp[4096], gp[2 * VFS_PATH_MAX], sub[2 * VFS_PATH_MAX];
		struct stat st;
		struct vfs_stat vs;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		nhost++;
		snprintf(hp, sizeof(hp), "%s/%s", host, de->d_name);
		snprintf(gp, sizeof(gp), "%s%s%s", guest, rel[0] ? "/" : "", de->d_name);
		snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
		CHECK(lstat(hp, &st) == 0);
		CHECK(vfs_lstat(gp, &vs) == 0);
		CHECK((vs.mode & S_IFMT) == (st.st_mode & S_IFMT));
		if (S_ISDIR(st.st_mode)) {
			compare_tree(sub);
		} else if (S_ISLNK(st.st_mode)) {
			char ht[1024], gt[1024];
			ssize_t hn = readlink(hp, ht, sizeof(ht));
			int64_t gn = vfs_readlink(gp, gt, sizeof(gt));

			CHECK(hn == gn && !memcmp(ht, gt, (size_t)hn));
			compared++;
		} else {
			size_t hl;
			char *want = slurp(hp, &hl), *got = malloc(hl + 1);
			int64_t n;

			CHECK(vs.size == (uint64_t)st.st_size);
			fd = vfs_open(gp, O_RDONLY);
			CHECK(fd >= 0);
			/* in odd-sized pieces, then one pread in the middle */
			size_t off = 0;
			while ((n = vfs_read(fd, got + off, 4093)) > 0)
				off += (size_t)n;
			CHECK(n == 0 && off == hl && !memcmp(want, got, hl));
			if (hl > 10) {
				char piece[7];

				CHECK(vfs_pread(fd, piece, 7, hl / 2) == 7 && !memcmp(piece, want + hl / 2, 7));
			}
			CHECK(vfs_close(fd) == 0);
			free(want);
			free(got);
			compared++;
		}
	}
	closedir(d);
	fd = vfs_open(guest[1] ? guest : "/", O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	while (vfs_readdir(fd, &ve) == 1)
		nguest += rel[0] || strcmp(ve.name, "lost+found");   /* mke2fs's, not the folder's */
	vfs_close(fd);
	CHECK(nguest == nhost);
}

TEST(example_image_matches_its_folder)
{
	size_t len;
	void *img = slurp(IMAGE, &len);

	CHECK(img != NULL);
	if (!img)
		return;
	CHECK(mount_mem("/", img, len) == 0);
	compared = 0;
	compare_tree("");
	CHECK(compared >= 8);   /* the examples and big.bin: the walk really ran */
	vfs_unmount_all();
	free(img);
}

#if __has_include("fs/ext4.h")
/* Once the ext4 reader is in the tree: the ext4 image of the same folder, through the same VFS. */
TEST(example_ext4_image_matches_its_folder)
{
	struct blockdev bd;
	struct vfs_source src = { .bdev = &bd };
	size_t len;
	void *img = slurp("build/rootfs/example.ext4", &len);

	CHECK(img != NULL && vfs_block_backend() != NULL);
	if (!img)
		return;
	blockdev_mem_init(&bd, img, len, 4096);
	CHECK(vfs_mount("/", vfs_block_backend(), &src) == 0);
	compared = 0;
	compare_tree("");
	CHECK(compared >= 8);
	vfs_unmount_all();
	free(img);
}
#endif

TEST(paths_symlinks_and_errors)
{
	size_t len;
	void *img = slurp(IMAGE, &len);
	struct vfs_stat st;
	char buf[64];
	int fd;

	CHECK(img && mount_mem("/", img, len) == 0);
	CHECK(vfs_stat("/docs/notes/../list.txt", &st) == 0 && st.size == 14);
	CHECK(vfs_stat("docs//./notes/deep.txt", &st) == 0 && st.size == 25);
	CHECK(vfs_stat("/../../hello.txt", &st) == 0);               /* ".." stops at / */
	CHECK(vfs_stat("/notes/up", &st) == 0 && S_ISREG(st.mode));  /* a link through a link */
	CHECK(vfs_lstat("/notes", &st) == 0 && S_ISLNK(st.mode));
	CHECK(vfs_stat("/notes/", &st) == 0 && S_ISDIR(st.mode));
	CHECK(vfs_stat("/notes/../hello.txt", &st) == -ENOENT);      /* ".." of docs/notes is docs */
	CHECK(vfs_stat("/notes/../list.txt", &st) == 0);
	CHECK(vfs_stat("/nope", &st) == -ENOENT);
	CHECK(vfs_stat("/hello.txt/x", &st) == -ENOTDIR);
	CHECK(vfs_stat("/hello.txt/", &st) == -ENOTDIR);
	CHECK(vfs_stat("", &st) == -ENOENT);
	CHECK(vfs_readlink("/greeting", buf, sizeof(buf)) == 9 && !memcmp(buf, "hello.txt", 9));
	CHECK(vfs_readlink("/greeting", buf, 4) == 4);               /* truncates like readlink(2) */
	CHECK(vfs_readlink("/hello.txt", buf, sizeof(buf)) == -EINVAL);
	fd = vfs_open("/docs", O_RDONLY);
	CHECK(fd >= 0 && vfs_read(fd, buf, 1) == -EISDIR);
	vfs_close(fd);
	CHECK(vfs_open("/hello.txt", O_RDONLY | O_DIRECTORY) == -ENOTDIR);
	CHECK(vfs_open("/hello.txt", O_WRONLY) == -EROFS);
	fd = vfs_open("/hello.txt", O_RDONLY);
	CHECK(vfs_lseek(fd, -3, SEEK_END) == 26 && vfs_read(fd, buf, 10) == 3 && !memcmp(buf, "d.\n", 3));
	CHECK(vfs_lseek(fd, -100, SEEK_CUR) == -EINVAL);
	CHECK(vfs_lseek(fd, 1000, SEEK_SET) == 1000 && vfs_read(fd, buf, 10) == 0);
	CHECK(vfs_readdir(fd, (struct vfs_dirent[1]){ 0 }) == -ENOTDIR);
	CHECK(vfs_close(fd) == 0 && vfs_close(fd) == -EBADF);
	CHECK(vfs_read(99, buf, 1) == -EBADF);
	/* The descriptor table is finite and says so. */
	int fds[VFS_FILES_MAX];
	for (int i = 0; i < VFS_FILES_MAX; i++)
		CHECK((fds[i] = vfs_open("/README", O_RDONLY)) >= 0);
	CHECK(vfs_open("/README", O_RDONLY) == -EMFILE);
	for (int i = 0; i < VFS_FILES_MAX; i++)
		vfs_close(fds[i]);
	vfs_unmount_all();
	CHECK(vfs_stat("/", &st) == -ENOENT);                        /* nothing mounted */
	free(img);
}

TEST(symlink_loops_end_in_eloop)
{
	static struct arch a;
	struct vfs_stat st;

	memset(&a, 0, sizeof(a));
	add(&a, "a", S_IFLNK | 0777, "b", 1);
	add(&a, "b", S_IFLNK | 0777, "/a", 2);
	add(&a, "self", S_IFLNK | 0777, "self/x", 6);
	finish(&a);
	CHECK(mount_mem("/", a.buf, a.len) == 0);
	CHECK(vfs_stat("/a", &st) == -ELOOP);
	CHECK(vfs_stat("/self", &st) == -ELOOP || vfs_stat("/self", &st) == -ENAMETOOLONG);
	CHECK(vfs_lstat("/a", &st) == 0 && S_ISLNK(st.mode));
	vfs_unmount_all();
}

TEST(second_mount_and_dotdot_across_it)
{
	static struct arch outer, inner;
	struct vfs_stat st;
	struct vfs_dirent de;
	int fd, n = 0;

	memset(&outer, 0, sizeof(outer));
	memset(&inner, 0, sizeof(inner));
	add(&outer, "mnt", S_IFDIR | 0755, "", 0);
	add(&outer, "mnt/hidden", S_IFREG | 0644, "under", 5);
	add(&outer, "top", S_IFREG | 0644, "top!", 4);
	finish(&outer);
	add(&inner, ".", S_IFDIR | 0700, "", 0);
	add(&inner, "file", S_IFREG | 0644, "inner", 5);
	finish(&inner);
	CHECK(mount_mem("/", outer.buf, outer.len) == 0);
	CHECK(mount_mem("/mnt", inner.buf, inner.len) == 0);
	CHECK(mount_mem("/mnt", inner.buf, inner.len) == -EBUSY);
	CHECK(mount_mem("/", inner.buf, inner.len) == -EBUSY);
	CHECK(mount_mem("/top", inner.buf, inner.len) == -ENOTDIR);
	CHECK(vfs_stat("/mnt/file", &st) == 0 && st.size == 5);
	CHECK(vfs_stat("/mnt/hidden", &st) == -ENOENT);
	CHECK(vfs_stat("/mnt", &st) == 0 && (st.mode & 07777) == 0700);   /* the inner root's "." */
	CHECK(vfs_stat("/mnt/../top", &st) == 0 && st.size == 4);
	fd = vfs_open("/mnt", O_RDONLY | O_DIRECTORY);
	while (vfs_readdir(fd, &de) == 1) {
		CHECK(!strcmp(de.name, "file") && de.type == S_IFREG);
		n++;
	}
	CHECK(n == 1);
	CHECK(vfs_lseek(fd, 0, SEEK_SET) == 0 && vfs_readdir(fd, &de) == 1);   /* rewind */
	vfs_close(fd);
	vfs_unmount_all();
}

TEST(later_entries_replace_earlier_ones)
{
	static struct arch a;
	struct vfs_stat st;
	char buf[8];
	int fd;

	memset(&a, 0, sizeof(a));
	add(&a, "./d", S_IFDIR | 0755, "", 0);
	add(&a, "d/f", S_IFREG | 0644, "old", 3);
	add(&a, "d", S_IFDIR | 0711, "", 0);        /* again: kept, children stay */
	add(&a, "d/f", S_IFREG | 0644, "newer", 5);
	finish(&a);
	CHECK(mount_mem("/", a.buf, a.len) == 0);
	CHECK(vfs_stat("/d", &st) == 0 && (st.mode & 0777) == 0711);
	fd = vfs_open("/d/f", O_RDONLY);
	CHECK(vfs_read(fd, buf, sizeof(buf)) == 5 && !memcmp(buf, "newer", 5));
	vfs_close(fd);
	vfs_unmount_all();
}

TEST(hard_links_share_the_data_of_their_set)
{
	static struct arch a;
	struct vfs_stat st;
	char buf[16];
	int fd;

	memset(&a, 0, sizeof(a));
	/* As GNU cpio writes them: the same inode number, nlink 3, data in the last. */
	const char *rec[] = { "one", "two", "three" };
	for (int i = 0; i < 3; i++) {
		size_t nl = strlen(rec[i]) + 1, dl = i == 2 ? 5 : 0;

		a.len += (size_t)sprintf(a.buf + a.len, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X",
					 42u, (unsigned)(S_IFREG | 0644), 0u, 0u, 3u, 0u, dl, 0u, 1u, 0u, 0u, nl, 0u);
		memcpy(a.buf + a.len, rec[i], nl);
		a.len += nl;
		while (a.len % 4)
			a.buf[a.len++] = 0;
		memcpy(a.buf + a.len, "hello", dl);
		a.len += dl;
		while (a.len % 4)
			a.buf[a.len++] = 0;
	}
	a.ino = 100;
	add(&a, "lonely", S_IFREG | 0644, "", 0);   /* nlink 1, empty: stays empty */
	finish(&a);
	CHECK(mount_mem("/", a.buf, a.len) == 0);
	for (int i = 0; i < 3; i++) {
		char path[16];

		snprintf(path, sizeof(path), "/%s", rec[i]);
		CHECK(vfs_stat(path, &st) == 0 && st.size == 5);
		fd = vfs_open(path, O_RDONLY);
		CHECK(vfs_read(fd, buf, sizeof(buf)) == 5 && !memcmp(buf, "hello", 5));
		vfs_close(fd);
	}
	CHECK(vfs_stat("/lonely", &st) == 0 && st.size == 0);
	vfs_unmount_all();
}

TEST(corrupt_archives_are_refused)
{
	static struct arch a;
	char big[300];

#define ARCHIVE(...) do { memset(&a, 0, sizeof(a)); __VA_ARGS__; finish(&a); } while (0)
	ARCHIVE(add(&a, "x/y", S_IFREG | 0644, "", 0));                  /* no parent */
	CHECK(try_archive(a.buf, a.len) == -EUCLEAN);
	ARCHIVE(add(&a, "f", S_IFREG | 0644, "", 0); add(&a, "f/y", S_IFREG | 0644, "", 0));
	CHECK(try_archive(a.buf, a.len) == -EUCLEAN);                   /* parent not a dir */
	ARCHIVE(add(&a, "../etc", S_IFREG | 0644, "", 0));
	CHECK(try_archive(a.buf, a.len) == -EUCLEAN);
	ARCHIVE(add(&a, "odd", 0170644, "", 0));                        /* unknown type */
	CHECK(try_archive(a.buf, a.len) == -EUCLEAN);
	ARCHIVE(add(&a, ".", S_IFREG | 0644, "", 0));                    /* root not a dir */
	CHECK(try_archive(a.buf, a.len) == -EUCLEAN);
	memset(big, 'n', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	ARCHIVE(add(&a, big, S_IFREG | 0644, "", 0));                    /* component > 255 */
	CHECK(try_archive(a.buf, a.len) == -EUCLEAN);
	ARCHIVE(add(&a, "ok", S_IFREG | 0644, "data", 4));
	CHECK(try_archive(a.buf, a.len) == 0);
	CHECK(try_archive(a.buf, a.len - 120) == -EUCLEAN);             /* no trailer */
	a.buf[3] = '8';                                                  /* bad magic */
	CHECK(try_archive(a.buf, a.len) == -EUCLEAN);
	a.buf[3] = '7';
	a.buf[6 + 8 * 6 + 2] = 'g';                                      /* filesize not hex */
	CHECK(try_archive(a.buf, a.len) == -EUCLEAN);
	a.buf[6 + 8 * 6 + 2] = 'F';                                      /* filesize past the end */
	CHECK(try_archive(a.buf, a.len) == -EUCLEAN);
	a.buf[6 + 8 * 6 + 2] = '0';
	a.buf[110 + 2] = 'X';                                            /* name loses its NUL */
	CHECK(try_archive(a.buf, a.len) == -EUCLEAN);
	CHECK(try_archive(NULL, 0) == -EINVAL);
	CHECK(try_archive("", 0) == -EUCLEAN);
}

TEST(every_truncation_and_byte_flip_is_survived)
{
	size_t len;
	uint8_t *img = slurp(IMAGE, &len), *copy;
	int ok = 0;

	CHECK(img != NULL);
	if (!img)
		return;
	/* Every cut through the headers before big.bin: refused or mounted, never a crash (ASan). */
	for (size_t cut = 0; cut < 1400 && cut < len; cut++) {
		copy = malloc(cut ? cut : 1);
		memcpy(copy, img, cut);
		ok += try_archive(copy, cut) == 0;
		free(copy);
	}
	CHECK(ok == 0);   /* no prefix holds a trailer */
	copy = malloc(len);
	for (size_t i = 0; i < 1400; i++) {
		memcpy(copy, img, len);
		copy[i] ^= 0x41;
		try_archive(copy, len);
	}
	free(copy);
	CHECK(try_archive(img, len) == 0);
	free(img);
}

TEST(blockdev_pread_any_alignment)
{
	static uint8_t disk[8192];
	struct blockdev bd;
	uint8_t out[3000];

	for (size_t i = 0; i < sizeof(disk); i++)
		disk[i] = (uint8_t)(i * 31 + 7);
	blockdev_mem_init(&bd, disk, sizeof(disk) + 100, 1024);
	CHECK(bd.nblocks == 8);
	CHECK(blockdev_pread(&bd, out, 3000, 1000) == 0 && !memcmp(out, disk + 1000, 3000));
	CHECK(blockdev_pread(&bd, out, 2048, 2048) == 0 && !memcmp(out, disk + 2048, 2048));
	CHECK(blockdev_pread(&bd, out, 1, 8191) == 0 && out[0] == disk[8191]);
	CHECK(blockdev_pread(&bd, out, 2, 8191) == -ERANGE);
	CHECK(blockdev_pread(&bd, out, 1, UINT64_MAX) == -ERANGE);
	CHECK(bd.read(&bd, 7, 2, out) == -ERANGE);
	bd.block_size = 1000;
	CHECK(blockdev_pread(&bd, out, 1, 0) == -EINVAL);
}

CHECK_MAIN()
