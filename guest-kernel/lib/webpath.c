/*
 * Request targets to paths under the served root (see webpath.h).  The
 * URL is hostile: it is decoded once, split into segments, and any
 * segment that could climb (".."), hide a separator (%2F) or end a C
 * string early (%00) refuses the whole request rather than being
 * "cleaned", so what is served is always what a reader of the URL sees.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/webpath.h"

#define LINKS_MAX 40       /* as Linux's MAXSYMLINKS */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int webpath_from_target(const char *target, char *out, size_t cap, bool *dir_slash)
{
	const char *p = target;
	size_t o = 0;

	*dir_slash = false;
	if (!cap)
		return -ENAMETOOLONG;
	out[0] = '\0';
	if (*p != '/')
		return -EINVAL;
	while (*p == '/') {
		size_t seg;

		p++;
		if (o) {
			if (o + 1 >= cap)
				return -ENAMETOOLONG;
			out[o++] = '/';
		}
		seg = o;
		while (*p && *p != '/' && *p != '?' && *p != '#') {
			unsigned char ch = (unsigned char)*p;

			if (ch <= ' ' || ch == 0x7f)
				return -EINVAL;
			if (ch == '%') {
				int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);

				if (hi < 0 || lo < 0)
					return -EINVAL;
				ch = (unsigned char)(hi << 4 | lo);
				if (ch == '\0' || ch == '/')
					return -EINVAL;
				p += 3;
			} else {
				p++;
			}
			if (o + 1 >= cap)
				return -ENAMETOOLONG;
			out[o++] = (char)ch;
		}
		if (o - seg == 2 && out[seg] == '.' && out[seg + 1] == '.')
			return -EINVAL;
		*dir_slash = o == seg || (o - seg == 1 && out[seg] == '.');
		if (*dir_slash)
			o = seg ? seg - 1 : 0;   /* drop the segment and the '/' before it */
	}
	/* Past the path: only a query or fragment may follow, never raw junk. */
	if (*p && *p != '?' && *p != '#')
		return -EINVAL;
	out[o] = '\0';
	return 0;
}

int webpath_root(const char *arg, char *out, size_t cap)
{
	bool slash;
	int rc;

	if (!arg || arg[0] != '/' || strchr(arg, '%') || strchr(arg, '?') || strchr(arg, '#') || cap < 2)
		return -EINVAL;
	out[0] = '/';
	rc = webpath_from_target(arg, out + 1, cap - 1, &slash);
	return rc;
}

/* The path in cur[0..len) for the fs: "" is "/". */
static const char *as_path(char *cur, size_t len)
{
	if (!len) {
		cur[0] = '/';
		cur[1] = '\0';
	} else {
		cur[len] = '\0';
	}
	return cur;
}

int webpath_resolve(const char *root, const char *rel, const struct webpath_fs *fs,
		    char *out, size_t cap, uint32_t *mode)
{
	char todo[WEBPATH_MAX], next[WEBPATH_MAX];
	size_t o, rl = strlen(root), t = 0, len = strlen(rel);
	unsigned links = 0;
	uint32_t m;
	int rc;

	if (root[0] != '/' || cap < 2)
		return -EINVAL;
	/* out[0..o) is the resolved part, "" for "/", never a trailing '/'. */
	o = rl == 1 ? 0 : rl;
	if (o + 2 > cap || len + 1 > sizeof(todo))
		return -ENAMETOOLONG;
	memcpy(out, root, o);
	memcpy(todo, rel, len + 1);
	while (todo[t]) {
		const char *name = todo + t, *slash = strchr(name, '/');
		size_t nl = slash ? (size_t)(slash - name) : strlen(name);

		t += nl + (slash ? 1 : 0);
		if (!nl || (nl == 1 && name[0] == '.'))
			continue;
		if (nl == 2 && name[0] == '.' && name[1] == '.') {
			while (o && out[o - 1] != '/')
				o--;
			if (o)
				o--;
			continue;
		}
		if (o + 1 + nl + 1 > cap)
			return -ENAMETOOLONG;
		out[o] = '/';
		memcpy(out + o + 1, name, nl);
		rc = fs->lstat(fs->ctx, as_path(out, o + 1 + nl), &m);
		if (rc < 0)
			return rc;
		if (S_ISLNK(m)) {
			int64_t n;
			size_t rest = strlen(todo + t);

			if (++links > LINKS_MAX)
				return -ELOOP;
			n = fs->readlink(fs->ctx, out, next, sizeof(next));
			if (n < 0)
				return (int)n;
			if (n == 0)
				return -ENOENT;
			if (memchr(next, '\0', (size_t)n))
				return -EINVAL;
			if ((size_t)n + 1 + rest + 1 > sizeof(next))
				return -ENAMETOOLONG;
			/* What is left of the path now follows the link's target. */
			if (rest)
				next[n++] = '/';
			memcpy(next + n, todo + t, rest + 1);
			memcpy(todo, next, (size_t)n + rest + 1);
			t = 0;
			if (todo[0] == '/')
				o = 0;          /* absolute: from the VFS's own root */
			continue;       /* relative: from the link's directory, out[0..o) */
		}
		o += 1 + nl;
		/* A '/' after the name, even with nothing behind it, wants a directory. */
		if (!S_ISDIR(m) && slash)
			return -ENOTDIR;
	}
	rc = fs->lstat(fs->ctx, as_path(out, o), &m);
	if (rc < 0)
		return rc;
	if (rl > 1 && (o < rl || memcmp(out, root, rl) || (o > rl && out[rl] != '/')))
		return -EACCES;
	*mode = m;
	return 0;
}

static bool ends_with(const char *s, size_t n, const char *ext)
{
	size_t el = strlen(ext);

	if (n < el)
		return false;
	for (size_t i = 0; i < el; i++) {
		char c = s[n - el + i];

		if ((c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) != ext[i])
			return false;
	}
	return true;
}

const char *webpath_mime(const char *name)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" }, { ".htm", "text/html; charset=utf-8" },
		{ ".txt", "text/plain; charset=utf-8" }, { ".css", "text/css" },
		{ ".js", "text/javascript" }, { ".json", "application/json" },
		{ ".png", "image/png" }, { ".jpg", "image/jpeg" }, { ".jpeg", "image/jpeg" },
		{ ".svg", "image/svg+xml" },
	};
	const char *base = strrchr(name, '/');
	size_t n;

	base = base ? base + 1 : name;
	n = strlen(base);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (n > strlen(types[i].ext) && ends_with(base, n, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

/* Appends len bytes of s at out[*n], as far as cap allows (a NUL kept free). */
static void put(char *out, size_t cap, size_t *n, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++, (*n)++)
		if (*n + 1 < cap)
			out[*n] = s[i];
}

static size_t finish(char *out, size_t cap, size_t n)
{
	if (cap)
		out[n < cap ? n : cap - 1] = '\0';
	return n;
}

size_t webpath_html_escape(const char *name, char *out, size_t cap)
{
	size_t n = 0;

	for (const char *p = name; *p; p++) {
		switch (*p) {
		case '&': put(out, cap, &n, "&amp;", 5); break;
		case '<': put(out, cap, &n, "&lt;", 4); break;
		case '>': put(out, cap, &n, "&gt;", 4); break;
		case '"': put(out, cap, &n, "&quot;", 6); break;
		case '\'': put(out, cap, &n, "&#39;", 5); break;
		default: put(out, cap, &n, p, 1); break;
		}
	}
	return finish(out, cap, n);
}

size_t webpath_url_escape(const char *name, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			put(out, cap, &n, (const char *)p, 1);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };

			put(out, cap, &n, e, 3);
		}
	}
	return finish(out, cap, n);
}
