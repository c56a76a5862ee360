/*
 * A bounded walk of everything an ext4 image holds, through the VFS
 * backend: every entry stat'ed, files read, symlinks read, directories
 * entered.  Shared by the unit test's corruption runs and the fuzzer: on
 * a hostile image each call may fail, but none may crash, hang or return
 * a value outside its contract (abort() then, which both treat as a bug).
 */
#ifndef FLINT_TESTS_EXT4_WALK_H
#define FLINT_TESTS_EXT4_WALK_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/ext4.h"

struct ext4_walk {
	void *fs;
	int budget;                     /* calls left */
	uint8_t buf[70000];
};

static void ext4_walk_node(struct ext4_walk *w, uint64_t ino, int depth)
{
	const struct vfs_backend *b = &ext4_backend;
	struct vfs_stat st;
	struct vfs_dirent de;
	uint64_t cookie = 0, found;
	int64_t n;
	int rc;

	if (w->budget-- <= 0 || depth > 6 || b->stat(w->fs, ino, &st) < 0)
		return;
	if (S_ISREG(st.mode)) {
		/* a large read (direct path), then a small one (read-ahead path), then the tail */
		n = b->read(w->fs, ino, 0, w->buf, sizeof(w->buf));
		if (n > (int64_t)sizeof(w->buf) || (n >= 0 && (uint64_t)n > st.size))
			abort();
		n = b->read(w->fs, ino, 1000, w->buf, 3000);
		if (n > 3000)
			abort();
		if (st.size > 10)
			(void)b->read(w->fs, ino, st.size - 10, w->buf, 100);
	} else if (S_ISLNK(st.mode)) {
		n = b->readlink(w->fs, ino, (char *)w->buf, 4096);
		if (n > 4096)
			abort();
	} else if (S_ISDIR(st.mode)) {
		/* lookups scan the directory: only for the first entries */
		for (int i = 0; w->budget-- > 0 && (rc = b->readdir(w->fs, ino, &cookie, &de)) > 0; i++) {
			size_t len = strlen(de.name);

			if (len == 0 || len > VFS_NAME_MAX)
				abort();
			if (i < 8)
				(void)b->lookup(w->fs, ino, de.name, len, &found);
			ext4_walk_node(w, de.ino, depth + 1);
		}
	}
}

/* Mounts src, walks it within budget calls, unmounts.  The mount's result. */
static int ext4_walk_image(const struct vfs_source *src, int budget)
{
	static struct ext4_walk w;
	uint64_t root;
	int rc = ext4_backend.mount(src, &w.fs, &root);

	if (rc < 0)
		return rc;
	w.budget = budget;
	ext4_walk_node(&w, root, 0);
	ext4_backend.unmount(w.fs);
	return 0;
}

#endif
