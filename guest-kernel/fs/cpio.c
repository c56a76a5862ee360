/*
 * cpio newc, read in place: the archive stays where the monitor put it
 * (the initrd module) and file reads are memcpy from it, no device I/O.
 *
 * Mount walks the archive once and checks every header field, name and
 * size against the archive's bounds before anything points into it;
 * what it builds (one node per entry plus the root, a hash table of
 * paths) lives on the heap.  Names are normalized ("./a//b" -> "a/b");
 * a ".." component, a parent that is missing or not a directory, an
 * unknown file type or a bad field makes the archive corrupt (-EUCLEAN).
 * A later entry with the same path replaces an earlier one, as the
 * kernel's initramfs unpacker does (a directory is updated in place).
 * The "070702" variant's checksum is not verified: the bounds checks are
 * what keep the guest safe, and summing every byte at mount would cost
 * what reading in place saves.  Hard links (regular files with nlink > 1
 * sharing an inode and device number) get the data of the one entry of
 * the set that carries it, as newc writers put it in only one.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fs/cpio.h"

#define HDR_LEN   110
#define TRAILER   "TRAILER!!!"

struct node {
	const char *path;         /* normalized, in cp->names; "" for the root */
	uint32_t pathlen;
	uint32_t namepos;         /* start of the last component in path */
	uint32_t parent;          /* node index */
	uint32_t hash;            /* of path */
	bool live;                /* not replaced by a later entry */
	uint32_t mode, uid, gid, nlink;
	uint64_t ino;             /* the archive's inode number */
	uint64_t dev;             /* and device (major << 32 | minor): hard links share both */
	int64_t mtime;
	const uint8_t *data;      /* inside the archive */
	uint64_t size;
};

struct cpio {
	struct node *nodes;       /* n entries, then the root at index n */
	uint32_t n;
	uint32_t *table;          /* open addressing: node index + 1, 0 = empty */
	uint32_t mask;
	char *names;
};

static uint32_t fnv(uint32_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}
#define FNV_INIT 2166136261u

/* One 8-digit hex field; false unless all eight are hex digits. */
static bool hex8(const uint8_t *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		uint8_t c = p[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		v = v << 4 | d;
	}
	*out = v;
	return true;
}

static uint64_t align4(uint64_t v)
{
	return (v + 3) & ~(uint64_t)3;
}

static bool known_type(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR:
	case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		return true;
	}
	return false;
}

struct entry {
	uint32_t f[13];           /* ino mode uid gid nlink mtime filesize devmaj devmin rdevmaj rdevmin namesize check */
	const char *name;         /* namesize - 1 bytes, NUL after */
	const uint8_t *data;
	uint64_t next;            /* offset of the next header */
};
enum { F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_SIZE, F_DEVMAJOR, F_DEVMINOR, F_NAMESIZE = 11 };

/* Parses the header at off: 0, or -EUCLEAN if anything lies outside [0, len) or is malformed. */
static int parse_entry(const uint8_t *a, uint64_t len, uint64_t off, struct entry *e)
{
	uint64_t name_end, data_off, data_end;

	if (off > len || len - off < HDR_LEN)
		return -EUCLEAN;
	if (memcmp(a + off, "07070", 5) || (a[off + 5] != '1' && a[off + 5] != '2'))
		return -EUCLEAN;
	for (int i = 0; i < 13; i++)
		if (!hex8(a + off + 6 + 8 * i, &e->f[i]))
			return -EUCLEAN;
	if (e->f[F_NAMESIZE] < 2 || e->f[F_NAMESIZE] > VFS_PATH_MAX)
		return -EUCLEAN;
	name_end = off + HDR_LEN + e->f[F_NAMESIZE];
	if (name_end > len)
		return -EUCLEAN;
	e->name = (const char *)a + off + HDR_LEN;
	if (e->name[e->f[F_NAMESIZE] - 1] != '\0' || memchr(e->name, '\0', e->f[F_NAMESIZE] - 1))
		return -EUCLEAN;
	data_off = align4(name_end);
	if (data_off > len || len - data_off < e->f[F_SIZE])
		return -EUCLEAN;
	data_end = data_off + e->f[F_SIZE];
	e->data = a + data_off;
	/* The archive may end without the last entry's padding (or be padded with zeros after). */
	e->next = align4(data_end);
	return 0;
}

/* "./a//b/" -> "a/b" into out (room for len + 1); -EUCLEAN for ".." or an over-long component. */
static int normalize(const char *in, size_t len, char *out, uint32_t *outlen, uint32_t *namepos)
{
	size_t o = 0, i = 0;

	*namepos = 0;
	while (i < len) {
		size_t j = i;

		while (j < len && in[j] != '/')
			j++;
		size_t clen = j - i;
		if (clen == 0 || (clen == 1 && in[i] == '.')) {
			i = j + 1;
			continue;
		}
		if (clen == 2 && in[i] == '.' && in[i + 1] == '.')
			return -EUCLEAN;
		if (clen > VFS_NAME_MAX)
			return -EUCLEAN;
		if (o)
			out[o++] = '/';
		*namepos = (uint32_t)o;
		memcpy(out + o, in + i, clen);
		o += clen;
		i = j + 1;
	}
	out[o] = '\0';
	*outlen = (uint32_t)o;
	return 0;
}

/* The live node with exactly this path, or -1; *slot is where it is or would go. */
static int64_t find(const struct cpio *cp, uint32_t hash, uint32_t parent, const char *name,
		    size_t namelen, uint32_t *slot)
{
	for (uint32_t s = hash & cp->mask;; s = (s + 1) & cp->mask) {
		uint32_t v = cp->table[s];
		const struct node *nd;

		if (!v) {
			*slot = s;
			return -1;
		}
		nd = &cp->nodes[v - 1];
		if (nd->hash == hash && nd->parent == parent && nd->pathlen - nd->namepos == namelen &&
		    !memcmp(nd->path + nd->namepos, name, namelen)) {
			*slot = s;
			return v - 1;
		}
	}
}

static uint32_t child_hash(const struct cpio *cp, uint32_t dir, const char *name, size_t namelen)
{
	const struct node *d = &cp->nodes[dir];
	uint32_t h = fnv(FNV_INIT, d->path, d->pathlen);

	if (d->pathlen)
		h = fnv(h, "/", 1);
	return fnv(h, name, namelen);
}

static void cpio_unmount(void *fs)
{
	struct cpio *cp = fs;

	if (!cp)
		return;
	free(cp->nodes);
	free(cp->table);
	free(cp->names);
	free(cp);
}

/* Pass 1: counts entries and name bytes up to the trailer, checking every header. */
static int count_entries(const uint8_t *a, uint64_t len, uint32_t *count, uint64_t *namebytes)
{
	uint64_t off = 0;
	struct entry e;

	*count = 0;
	*namebytes = 0;
	for (;;) {
		int rc = parse_entry(a, len, off, &e);

		if (rc < 0)
			return rc;
		if (e.f[F_NAMESIZE] == sizeof(TRAILER) && !memcmp(e.name, TRAILER, sizeof(TRAILER)))
			return 0;
		if (*count == CPIO_ENTRIES_MAX)
			return -E2BIG;
		(*count)++;
		*namebytes += e.f[F_NAMESIZE];
		off = e.next;
	}
}

static int add_entry(struct cpio *cp, uint32_t idx, const struct entry *e, char **namep)
{
	struct node *nd = &cp->nodes[idx];
	uint32_t plen, npos, slot, parent = cp->n;
	int64_t old, pidx;
	int rc;

	rc = normalize(e->name, e->f[F_NAMESIZE] - 1, *namep, &plen, &npos);
	if (rc < 0)
		return rc;
	if (!known_type(e->f[F_MODE]))
		return -EUCLEAN;
	if (plen == 0) {
		/* "." : the root's own metadata; it must be a directory. */
		if (!S_ISDIR(e->f[F_MODE]))
			return -EUCLEAN;
		struct node *root = &cp->nodes[cp->n];
		root->mode = e->f[F_MODE];
		root->uid = e->f[F_UID];
		root->gid = e->f[F_GID];
		root->mtime = e->f[F_MTIME];
		root->ino = e->f[F_INO];
		root->nlink = e->f[F_NLINK];
		return 0;
	}
	if (npos) {
		/* Walk the parent's components from the root: each must be a directory already. */
		uint32_t i = 0, end = npos - 1;

		while (i < end) {
			uint32_t j = i;

			while (j < end && (*namep)[j] != '/')
				j++;
			pidx = find(cp, child_hash(cp, parent, *namep + i, j - i), parent, *namep + i,
				    j - i, &slot);
			if (pidx < 0 || !S_ISDIR(cp->nodes[pidx].mode))
				return -EUCLEAN;
			parent = (uint32_t)pidx;
			i = j + 1;
		}
	}
	*nd = (struct node){
		.path = *namep,
		.pathlen = plen,
		.namepos = npos,
		.parent = parent,
		.hash = fnv(FNV_INIT, *namep, plen),
		.live = true,
		.mode = e->f[F_MODE],
		.uid = e->f[F_UID],
		.gid = e->f[F_GID],
		.nlink = e->f[F_NLINK],
		.ino = e->f[F_INO],
		.dev = (uint64_t)e->f[F_DEVMAJOR] << 32 | e->f[F_DEVMINOR],
		.mtime = e->f[F_MTIME],
		.data = e->data,
		.size = e->f[F_SIZE],
	};
	*namep += plen + 1;
	old = find(cp, nd->hash, parent, nd->path + npos, plen - npos, &slot);
	if (old >= 0 && S_ISDIR(cp->nodes[old].mode) && S_ISDIR(nd->mode)) {
		/* mkdir of an existing directory: keep it (its children point at it), take the metadata. */
		struct node *o = &cp->nodes[old];
		o->mode = nd->mode;
		o->uid = nd->uid;
		o->gid = nd->gid;
		o->mtime = nd->mtime;
		nd->live = false;
		return 0;
	}
	if (old >= 0)
		cp->nodes[old].live = false;
	cp->table[slot] = idx + 1;
	return 0;
}

static bool linked(const struct node *nd)
{
	return S_ISREG(nd->mode) && nd->nlink > 1;
}

/* Hard links: each empty member of a set takes the data of the member that has it. */
static int join_links(struct cpio *cp)
{
	uint32_t *t = calloc(cp->mask + 1, sizeof(*t)), s;

	if (!t)
		return -ENOMEM;
	for (uint32_t i = 0; i < cp->n; i++) {
		const struct node *nd = &cp->nodes[i];

		if (!linked(nd) || !nd->size)
			continue;
		for (s = fnv(fnv(FNV_INIT, (const char *)&nd->ino, 8), (const char *)&nd->dev, 8) & cp->mask;
		     t[s] && (cp->nodes[t[s] - 1].ino != nd->ino || cp->nodes[t[s] - 1].dev != nd->dev);
		     s = (s + 1) & cp->mask)
			;
		t[s] = i + 1;
	}
	for (uint32_t i = 0; i < cp->n; i++) {
		struct node *nd = &cp->nodes[i];

		if (!linked(nd) || nd->size)
			continue;
		for (s = fnv(fnv(FNV_INIT, (const char *)&nd->ino, 8), (const char *)&nd->dev, 8) & cp->mask;
		     t[s]; s = (s + 1) & cp->mask) {
			const struct node *o = &cp->nodes[t[s] - 1];

			if (o->ino == nd->ino && o->dev == nd->dev) {
				nd->data = o->data;
				nd->size = o->size;
				break;
			}
		}
	}
	free(t);
	return 0;
}

static int cpio_mount(const struct vfs_source *src, void **fs, uint64_t *root)
{
	const uint8_t *a = src->mem;
	uint64_t len = src->len, namebytes, off = 0;
	uint32_t count, tsize = 1;
	struct cpio *cp;
	char *namep;
	int rc;

	if (!a || src->bdev)
		return -EINVAL;
	rc = count_entries(a, len, &count, &namebytes);
	if (rc < 0)
		return rc;
	while (tsize < 2 * (count + 1))
		tsize <<= 1;
	cp = calloc(1, sizeof(*cp));
	if (!cp)
		return -ENOMEM;
	cp->n = count;
	cp->nodes = calloc((size_t)count + 1, sizeof(*cp->nodes));
	cp->table = calloc(tsize, sizeof(*cp->table));
	cp->names = malloc(namebytes + 1);
	cp->mask = tsize - 1;
	if (!cp->nodes || !cp->table || !cp->names) {
		cpio_unmount(cp);
		return -ENOMEM;
	}
	/* The root exists even if the archive has no "." entry. */
	cp->nodes[count] = (struct node){ .path = "", .parent = count, .live = true,
					  .mode = S_IFDIR | 0755, .nlink = 2, .hash = FNV_INIT };
	namep = cp->names;
	for (uint32_t i = 0; i < count; i++) {
		struct entry e;

		rc = parse_entry(a, len, off, &e);
		if (rc == 0)
			rc = add_entry(cp, i, &e, &namep);
		if (rc < 0) {
			cpio_unmount(cp);
			return rc;
		}
		off = e.next;
	}
	rc = join_links(cp);
	if (rc < 0) {
		cpio_unmount(cp);
		return rc;
	}
	*fs = cp;
	*root = count;
	return 0;
}

static const struct node *node(const struct cpio *cp, uint64_t ino)
{
	if (ino > cp->n)
		return NULL;
	const struct node *nd = &cp->nodes[ino];
	return nd->live ? nd : NULL;
}

static int cpio_lookup(void *fs, uint64_t dir, const char *name, size_t namelen, uint64_t *ino)
{
	struct cpio *cp = fs;
	const struct node *d = node(cp, dir);
	uint32_t slot;
	int64_t i;

	if (!d)
		return -ENOENT;
	if (!S_ISDIR(d->mode))
		return -ENOTDIR;
	if (namelen == 0 || namelen > VFS_NAME_MAX)
		return namelen ? -ENAMETOOLONG : -ENOENT;
	i = find(cp, child_hash(cp, (uint32_t)dir, name, namelen), (uint32_t)dir, name, namelen, &slot);
	if (i < 0)
		return -ENOENT;
	*ino = (uint64_t)i;
	return 0;
}

static int cpio_stat(void *fs, uint64_t ino, struct vfs_stat *st)
{
	const struct node *nd = node(fs, ino);

	if (!nd)
		return -ENOENT;
	*st = (struct vfs_stat){
		.ino = ino,
		.mode = nd->mode,
		.nlink = nd->nlink,
		.uid = nd->uid,
		.gid = nd->gid,
		.size = S_ISDIR(nd->mode) ? 0 : nd->size,
		.mtime = nd->mtime,
	};
	return 0;
}

static int64_t cpio_read(void *fs, uint64_t ino, uint64_t off, void *buf, size_t len)
{
	const struct node *nd = node(fs, ino);

	if (!nd)
		return -ENOENT;
	if (S_ISDIR(nd->mode))
		return -EISDIR;
	if (!S_ISREG(nd->mode))
		return -EINVAL;
	if (off >= nd->size)
		return 0;
	if (len > nd->size - off)
		len = (size_t)(nd->size - off);
	if (len > INT64_MAX)
		len = INT64_MAX;
	memcpy(buf, nd->data + off, len);
	return (int64_t)len;
}

static int cpio_readdir(void *fs, uint64_t ino, uint64_t *cookie, struct vfs_dirent *out)
{
	struct cpio *cp = fs;
	const struct node *d = node(cp, ino);

	if (!d)
		return -ENOENT;
	if (!S_ISDIR(d->mode))
		return -ENOTDIR;
	/* Entries in archive order; the cookie is the next index to look at. */
	for (uint64_t i = *cookie; i < cp->n; i++) {
		const struct node *nd = &cp->nodes[i];

		if (!nd->live || nd->parent != ino)
			continue;
		out->ino = i;
		out->type = nd->mode & S_IFMT;
		memcpy(out->name, nd->path + nd->namepos, nd->pathlen - nd->namepos);
		out->name[nd->pathlen - nd->namepos] = '\0';
		*cookie = i + 1;
		return 1;
	}
	*cookie = cp->n;
	return 0;
}

static int64_t cpio_readlink(void *fs, uint64_t ino, char *buf, size_t len)
{
	const struct node *nd = node(fs, ino);

	if (!nd)
		return -ENOENT;
	if (!S_ISLNK(nd->mode))
		return -EINVAL;
	if (nd->size > len)
		return -ERANGE;
	memcpy(buf, nd->data, nd->size);
	return (int64_t)nd->size;
}

const struct vfs_backend cpio_backend = {
	.name = "cpio",
	.mount = cpio_mount,
	.unmount = cpio_unmount,
	.lookup = cpio_lookup,
	.stat = cpio_stat,
	.read = cpio_read,
	.readdir = cpio_readdir,
	.readlink = cpio_readlink,
};
