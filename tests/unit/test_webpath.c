/*
 * httpd's path handling (guest-kernel/lib/webpath.c), hosted: hostile
 * request targets refused, good ones decoded, symlinks resolved against a
 * fake filesystem so that no answer ever lies outside the served root.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "lib/webpath.h"

static int decode(const char *target, char *out, bool *slash)
{
	return webpath_from_target(target, out, WEBPATH_MAX, slash);
}

TEST(good_targets_decode)
{
	static const struct { const char *target, *want; bool slash; } cases[] = {
		{ "/", "", true },
		{ "/a/b", "a/b", false },
		{ "/a//b/./c/", "a/b/c", true },
		{ "/docs/", "docs", true },
		{ "/docs/.", "docs", true },
		{ "/a%20b%41", "a bA", false },
		{ "/x?y=/../..", "x", false },
		{ "/x#/../frag", "x", false },
		{ "/...", "...", false },
		{ "/.hidden/..x", ".hidden/..x", false },
		{ "/%e2%82%ac", "\xe2\x82\xac", false },
	};
	char out[WEBPATH_MAX];
	bool slash;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = decode(cases[i].target, out, &slash);

		if (rc || strcmp(out, cases[i].want) || slash != cases[i].slash)
			fprintf(stderr, "  %s: rc %d, '%s', slash %d\n", cases[i].target, rc, out, slash);
		CHECK(rc == 0 && !strcmp(out, cases[i].want) && slash == cases[i].slash);
	}
}

TEST(hostile_targets_refused)
{
	static const char *const bad[] = {
		"/../etc/passwd", "/%2e%2e/etc/passwd", "/%2E%2e", "/.%2e/x", "/%2e./x",
		"/a/..", "/a/../b", "/a/../../etc", "/..", "/docs/..?x",
		"/a%00b", "/%00", "/a%2fb", "/a%2F..%2Fb", "/%2e%2e%2fetc", "/a%zz", "/a%4",
		"/a%", "/a%%41", "relative", "", "http://host/x", "*", "/a b", "/a\tb",
		"/a\x7f", "/a\rb", "/a\nb",
	};
	char out[WEBPATH_MAX];
	bool slash;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = decode(bad[i], out, &slash);

		if (rc != -EINVAL)
			fprintf(stderr, "  '%s' gave %d ('%s')\n", bad[i], rc, out);
		CHECK(rc == -EINVAL);
	}
}

TEST(long_targets_refused)
{
	static char t[4 * WEBPATH_MAX];
	char out[WEBPATH_MAX], small[4];
	bool slash;

	memset(t, 'a', sizeof(t) - 1);
	t[0] = '/';
	CHECK(decode(t, out, &slash) == -ENAMETOOLONG);
	/* exactly fitting: 1023 bytes and the NUL */
	t[WEBPATH_MAX] = '\0';
	CHECK(decode(t, out, &slash) == 0 && strlen(out) == WEBPATH_MAX - 1);
	t[WEBPATH_MAX + 1] = '\0';
	t[WEBPATH_MAX] = 'a';
	CHECK(decode(t, out, &slash) == -ENAMETOOLONG);
	CHECK(webpath_from_target("/abc", small, sizeof(small), &slash) == 0 && !strcmp(small, "abc"));
	CHECK(webpath_from_target("/abcd", small, sizeof(small), &slash) == -ENAMETOOLONG);
	CHECK(webpath_from_target("/a/b", small, sizeof(small), &slash) == 0);
	CHECK(webpath_from_target("/ab/c", small, sizeof(small), &slash) == -ENAMETOOLONG);
	CHECK(webpath_from_target("/x", small, 0, &slash) == -ENAMETOOLONG);
}

TEST(root_argument)
{
	char out[WEBPATH_MAX];

	CHECK(webpath_root("/", out, sizeof(out)) == 0 && !strcmp(out, "/"));
	CHECK(webpath_root("/www/", out, sizeof(out)) == 0 && !strcmp(out, "/www"));
	CHECK(webpath_root("//www/./sub", out, sizeof(out)) == 0 && !strcmp(out, "/www/sub"));
	CHECK(webpath_root("www", out, sizeof(out)) == -EINVAL);
	CHECK(webpath_root("/www/../etc", out, sizeof(out)) == -EINVAL);
	CHECK(webpath_root("/w%2e", out, sizeof(out)) == -EINVAL);
	CHECK(webpath_root(NULL, out, sizeof(out)) == -EINVAL);
}

/* A fake filesystem: every node by its full path. */
static const struct node { const char *path; uint32_t mode; const char *link; } tree[] = {
	{ "/", S_IFDIR | 0755, NULL },
	{ "/secret", S_IFREG | 0600, NULL },
	{ "/etc", S_IFDIR | 0755, NULL },
	{ "/etc/passwd", S_IFREG | 0644, NULL },
	{ "/www", S_IFDIR | 0755, NULL },
	{ "/www/index.html", S_IFREG | 0644, NULL },
	{ "/www/docs", S_IFDIR | 0755, NULL },
	{ "/www/docs/a.txt", S_IFREG | 0644, NULL },
	{ "/www/up", S_IFLNK | 0777, "../secret" },
	{ "/www/docs/upup", S_IFLNK | 0777, "../../etc/passwd" },
	{ "/www/abs", S_IFLNK | 0777, "/etc/passwd" },
	{ "/www/absdir", S_IFLNK | 0777, "/etc" },
	{ "/www/inside", S_IFLNK | 0777, "docs/a.txt" },
	{ "/www/absin", S_IFLNK | 0777, "/www/docs" },
	{ "/www/round", S_IFLNK | 0777, "../www/docs" },
	{ "/www/dirslash", S_IFLNK | 0777, "docs/" },
	{ "/www/fileslash", S_IFLNK | 0777, "index.html/" },
	{ "/www/chain", S_IFLNK | 0777, "inside" },
	{ "/www/loop", S_IFLNK | 0777, "loop" },
	{ "/www/pingpong", S_IFLNK | 0777, "pongping" },
	{ "/www/pongping", S_IFLNK | 0777, "pingpong" },
	{ "/www/root", S_IFLNK | 0777, "/" },
	{ "/www/dotdots", S_IFLNK | 0777, "../../../../www/docs" },
	{ "/www/empty", S_IFLNK | 0777, "" },
	{ "/www/nul", S_IFLNK | 0777, "a\0b" },
};
static unsigned lstat_calls;

static const struct node *find(const char *path)
{
	for (size_t i = 0; i < sizeof(tree) / sizeof(tree[0]); i++)
		if (!strcmp(tree[i].path, path))
			return &tree[i];
	return NULL;
}

static int fake_lstat(void *ctx, const char *path, uint32_t *mode)
{
	const struct node *n = find(path);
	char parent[WEBPATH_MAX];
	char *slash;

	(void)ctx;
	lstat_calls++;
	CHECK(path[0] == '/');
	if (n) {
		*mode = n->mode;
		return 0;
	}
	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		n = find(parent);
		if (n && !S_ISDIR(n->mode))
			return -ENOTDIR;
	}
	return -ENOENT;
}

static int64_t fake_readlink(void *ctx, const char *path, char *buf, size_t len)
{
	const struct node *n = find(path);
	size_t l;

	(void)ctx;
	if (!n || !n->link)
		return -EINVAL;
	l = !strcmp(n->path, "/www/nul") ? 3 : strlen(n->link);
	if (l > len)
		return -ERANGE;
	memcpy(buf, n->link, l);
	return (int64_t)l;
}

static const struct webpath_fs fake = { NULL, fake_lstat, fake_readlink };

static int resolve(const char *root, const char *rel, char *out, uint32_t *mode)
{
	return webpath_resolve(root, rel, &fake, out, WEBPATH_MAX, mode);
}

TEST(resolve_inside_root)
{
	static const struct { const char *rel, *want; uint32_t type; } cases[] = {
		{ "", "/www", S_IFDIR },
		{ "index.html", "/www/index.html", S_IFREG },
		{ "docs/a.txt", "/www/docs/a.txt", S_IFREG },
		{ "inside", "/www/docs/a.txt", S_IFREG },
		{ "chain", "/www/docs/a.txt", S_IFREG },
		{ "absin/a.txt", "/www/docs/a.txt", S_IFREG },
		{ "round/a.txt", "/www/docs/a.txt", S_IFREG },
		{ "dirslash", "/www/docs", S_IFDIR },
		{ "dirslash/a.txt", "/www/docs/a.txt", S_IFREG },
		{ "dotdots/a.txt", "/www/docs/a.txt", S_IFREG },
	};
	char out[WEBPATH_MAX];
	uint32_t mode = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = resolve("/www", cases[i].rel, out, &mode);

		if (rc || strcmp(out, cases[i].want))
			fprintf(stderr, "  %s: rc %d, '%s'\n", cases[i].rel, rc, rc ? "" : out);
		CHECK(rc == 0 && !strcmp(out, cases[i].want) && (mode & S_IFMT) == cases[i].type);
	}
}

TEST(resolve_never_leaves_root)
{
	static const struct { const char *rel; int rc; } cases[] = {
		{ "up", -EACCES },
		{ "docs/upup", -EACCES },
		{ "abs", -EACCES },
		{ "absdir/passwd", -EACCES },
		{ "root", -EACCES },
		{ "root/etc/passwd", -EACCES },
		{ "loop", -ELOOP },
		{ "pingpong", -ELOOP },
		{ "missing", -ENOENT },
		{ "docs/missing/x", -ENOENT },
		{ "index.html/x", -ENOTDIR },
		{ "fileslash", -ENOTDIR },
		{ "empty", -ENOENT },
		{ "nul", -EINVAL },
	};
	char out[WEBPATH_MAX];
	uint32_t mode;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = resolve("/www", cases[i].rel, out, &mode);

		if (rc != cases[i].rc)
			fprintf(stderr, "  %s: rc %d, want %d\n", cases[i].rel, rc, cases[i].rc);
		CHECK(rc == cases[i].rc);
	}
	/* A root that is a prefix of a sibling's name is not that sibling. */
	CHECK(resolve("/ww", "", out, &mode) == -ENOENT);
}

TEST(resolve_from_slash)
{
	char out[WEBPATH_MAX];
	uint32_t mode;

	CHECK(resolve("/", "", out, &mode) == 0 && !strcmp(out, "/") && S_ISDIR(mode));
	CHECK(resolve("/", "www/up", out, &mode) == 0 && !strcmp(out, "/secret"));
	CHECK(resolve("/", "www/root", out, &mode) == 0 && !strcmp(out, "/"));
	CHECK(resolve("/", "www/abs", out, &mode) == 0 && !strcmp(out, "/etc/passwd"));
	/* A small out is an error, not an overflow. */
	CHECK(webpath_resolve("/www", "docs/a.txt", &fake, out, 8, &mode) == -ENAMETOOLONG);
	CHECK(webpath_resolve("www", "", &fake, out, sizeof(out), &mode) == -EINVAL);
}

TEST(mime_types)
{
	CHECK(!strcmp(webpath_mime("/a/index.html"), "text/html; charset=utf-8"));
	CHECK(!strcmp(webpath_mime("X.HTM"), "text/html; charset=utf-8"));
	CHECK(!strcmp(webpath_mime("hello.txt"), "text/plain; charset=utf-8"));
	CHECK(!strcmp(webpath_mime("s.css"), "text/css"));
	CHECK(!strcmp(webpath_mime("app.js"), "text/javascript"));
	CHECK(!strcmp(webpath_mime("d.json"), "application/json"));
	CHECK(!strcmp(webpath_mime("i.PNG"), "image/png"));
	CHECK(!strcmp(webpath_mime("i.jpg"), "image/jpeg"));
	CHECK(!strcmp(webpath_mime("i.jpeg"), "image/jpeg"));
	CHECK(!strcmp(webpath_mime("i.svg"), "image/svg+xml"));
	CHECK(!strcmp(webpath_mime("README"), "application/octet-stream"));
	CHECK(!strcmp(webpath_mime(".txt"), "application/octet-stream"));
	CHECK(!strcmp(webpath_mime("a.txt/b"), "application/octet-stream"));
	CHECK(!strcmp(webpath_mime("big.bin"), "application/octet-stream"));
}

TEST(escapes)
{
	char out[64], tiny[5];

	CHECK(webpath_html_escape("<a href=\"x\">&'", out, sizeof(out)) == 38);
	CHECK(!strcmp(out, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"));
	CHECK(webpath_url_escape("a b/?#%\"<\xff~-._Z9", out, sizeof(out)) == 32);
	CHECK(!strcmp(out, "a%20b%2F%3F%23%25%22%3C%FF~-._Z9"));
	/* cut short, still terminated, and the length says so */
	CHECK(webpath_html_escape("<<<<", tiny, sizeof(tiny)) == 16 && strlen(tiny) == 4);
	CHECK(webpath_url_escape("    ", tiny, sizeof(tiny)) == 12 && !strcmp(tiny, "%20%"));
	CHECK(webpath_url_escape("x", tiny, 0) == 1);
}

CHECK_MAIN()
