/*
 * The pure parts of serving files over HTTP (apps/httpd.c root=PATH):
 * turning a request target into a path under the served root, resolving
 * its symlinks so the result provably stays under that root, the
 * Content-Type of a name, and escaping names for a directory listing.
 * Freestanding and hosted (tests/unit/test_webpath.c): no I/O of its
 * own, the filesystem comes in through struct webpath_fs.
 */
#ifndef GUEST_LIB_WEBPATH_H
#define GUEST_LIB_WEBPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEBPATH_MAX 1024   /* bytes of any path here, NUL included (VFS_PATH_MAX) */

/*
 * The path part of target (origin form, "/a/b%20c?q" : the query is
 * dropped), percent-decoded and split at '/', as the segments joined by
 * '/' without a leading one ("" for the root itself) into out (cap
 * bytes).  Empty and "." segments are dropped.  *dir_slash: the path
 * ended in '/'.  0, or -EINVAL for a target that is not one: not
 * starting with '/', a ".." segment, a bad or NUL-producing %-escape, an
 * escaped '/', a raw control byte or space; -ENAMETOOLONG past cap.
 */
int webpath_from_target(const char *target, char *out, size_t cap, bool *dir_slash);

/* The filesystem the resolver asks: both return 0/length or -errno. */
struct webpath_fs {
	void *ctx;
	int (*lstat)(void *ctx, const char *path, uint32_t *mode);     /* S_IF* | permissions */
	int64_t (*readlink)(void *ctx, const char *path, char *buf, size_t len);
};

/*
 * root (absolute, no trailing '/' unless it is "/") joined with rel (as
 * webpath_from_target makes it), every symlink on the way replaced by
 * its target the way the kernel would, into out (cap bytes): a path
 * with no symlink left, so opening it follows none.  *mode is the final
 * node's.  0; -ENOENT/-ENOTDIR/... from fs; -ELOOP past 40 links;
 * -ENAMETOOLONG; -EACCES if the result is not root or below it.
 */
int webpath_resolve(const char *root, const char *rel, const struct webpath_fs *fs,
		    char *out, size_t cap, uint32_t *mode);

/* root as given on the command line, made absolute-normalised ("/www/" -> "/www"); 0 or -EINVAL. */
int webpath_root(const char *arg, char *out, size_t cap);

/* The Content-Type for a file name, by its extension (case-insensitive). */
const char *webpath_mime(const char *name);

/*
 * name escaped into out (cap bytes, NUL always written when cap > 0):
 * for HTML text (&<>"' as entities) or for a URL path segment (all but
 * unreserved bytes as %XX).  The length it needed, NUL excluded: a
 * result >= cap means out was cut short.
 */
size_t webpath_html_escape(const char *name, char *out, size_t cap);
size_t webpath_url_escape(const char *name, char *out, size_t cap);

#endif
