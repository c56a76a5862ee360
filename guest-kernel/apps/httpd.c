/*
 * httpd [port=N] [root=PATH]: a small HTTP/1.1 server on lwIP's raw TCP
 * API (default port 80), serving until the VM is stopped.
 *
 *   GET /            a small HTML page
 *   GET /echo?n=N    N bytes of the echo pattern (apps/echopattern.h), any N
 *                    up to 2^40, generated as it is sent
 *   GET /stats       the guest's counters, `name value` per line
 *   POST /sink       reads and counts the body (Content-Length), answers
 *                    `sink: N bytes`: bulk throughput into the guest
 *
 * With root=PATH every other URL is a file or directory under PATH in the
 * guest's VFS (the command line's root= / fs.mount= mounts), and the four
 * routes above move under /_flint/ (/_flint/stats, /_flint/echo?n=N, POST
 * /_flint/sink, /_flint/) so that no file can hide them nor they a file.
 * Files are streamed from a per-connection offset as lwIP's send buffer
 * frees up, never read whole; a directory answers with its index.html or
 * a generated listing.  The URL is resolved by lib/webpath.c, which
 * refuses '..', %2F and %00 and checks that the path, symlinks followed,
 * is still under PATH.  HEAD is answered for every GET route.
 *
 * Connections persist (HTTP/1.1's default; HTTP/1.0 with `Connection:
 * keep-alive`) until `Connection: close`.  Requests arriving while a
 * response is still being queued wait, as pbufs lwIP has not been told
 * about (tcp_recved), so a pipelining client is throttled by TCP's window
 * rather than by a buffer here.  `Expect: 100-continue` is answered.
 *
 * Written here rather than taken from lwIP's apps/http: that server
 * serves files from a compiled-in file system, keeps connections alive
 * only when the client asks even under HTTP/1.1, and has no streaming
 * body generator or request-body sink.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <flint.h>

#include "apps/echopattern.h"
#include "lib/webpath.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "net/netif.h"

#define REQ_MAX      4096              /* request line + headers */
#define OUT_MAX      4096              /* response headers (a Location) + a small body */
#define ECHO_MAX     (1ull << 40)
#define SCRATCH      (8 * TCP_MSS)
#define LISTING_MAX  (1u << 20)        /* a generated directory page */
#define BUILTIN      "/_flint"         /* where the built-in routes live under root= */

struct conn {
	struct tcp_pcb *pcb;
	enum { C_READING, C_SINKING, C_SENDING, C_CLOSING } state;
	bool closed;                       /* tcp_close() done: free at the end of the callback */
	char req[REQ_MAX + 1];
	size_t req_len;
	struct pbuf *held;                 /* received while C_SENDING, not yet read */
	uint64_t unrecved;                 /* bytes received but not yet given back to the window */
	/* the request being served */
	char method[8], path[3 * WEBPATH_MAX];   /* a long name, every byte %-escaped */
	bool keepalive, head;
	uint64_t body_left, body_got;
	/* the response: out[] (head_len bytes of it the header), then gen_len bytes from src */
	char out[OUT_MAX];
	size_t out_len, out_off, head_len;
	enum { SRC_ECHO, SRC_FILE, SRC_BUF } src;
	uint64_t gen_off, gen_len;
	int fd;                            /* SRC_FILE: open until the response is queued */
	char *buf;                         /* SRC_BUF: a generated page, malloc'd */
};

static struct {
	uint64_t accepted, open, requests, echo_bytes, sink_bytes, bad_requests, file_bytes;
} st;
static char scratch[SCRATCH];
static char root[WEBPATH_MAX];         /* root=, normalised and symlink-free; "" without */

static void process(struct conn *c, struct pbuf *p);
static void send_more(struct conn *c);

/* The response's source is spent or abandoned. */
static void release_source(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->src = SRC_ECHO;
}

static void conn_free(struct conn *c)
{
	release_source(c);
	if (c->held)
		pbuf_free(c->held);
	free(c);
	st.open--;
}

/*
 * Stops serving: lwIP sends what is queued, then FIN.  Retried from
 * on_poll if lwIP has no memory for it.  The conn is freed by the
 * callback that lwIP called (done()), never under the feet of code
 * further up the stack that still holds it.
 */
static void conn_close(struct conn *c)
{
	c->state = C_CLOSING;
	tcp_recv(c->pcb, NULL);
	/* lwIP resets instead of closing while the window lacks bytes it delivered. */
	while (c->unrecved) {
		u16_t n = c->unrecved > 0xffff ? 0xffff : (u16_t)c->unrecved;

		tcp_recved(c->pcb, n);
		c->unrecved -= n;
	}
	if (tcp_close(c->pcb) == ERR_OK) {
		tcp_arg(c->pcb, NULL);
		tcp_sent(c->pcb, NULL);
		tcp_poll(c->pcb, NULL, 0);
		tcp_err(c->pcb, NULL);
		c->closed = true;
	}
}

/* The end of every callback that may have closed the connection. */
static err_t done(struct conn *c)
{
	if (c->closed)
		conn_free(c);
	return ERR_OK;
}

static bool lower_prefix(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++) {
		char ch = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;

		if (ch != *prefix)
			return false;
	}
	return true;
}

/* Value of header `name` (lower case, with ':') in the head, or NULL; ends at '\r'. */
static const char *header(const char *head, const char *name)
{
	for (const char *l = strstr(head, "\r\n"); l && l[2] != '\r'; l = strstr(l + 2, "\r\n")) {
		if (lower_prefix(l + 2, name)) {
			const char *v = l + 2 + strlen(name);

			while (*v == ' ' || *v == '\t')
				v++;
			return v;
		}
	}
	return NULL;
}

/* extra: more header lines, each ending in CRLF, or "". */
static void begin_response_with(struct conn *c, const char *status, const char *type, uint64_t len,
				const char *extra)
{
	int n = snprintf(c->out, sizeof(c->out),
			 "HTTP/1.1 %s\r\nServer: flint-httpd\r\nContent-Type: %s\r\n"
			 "Content-Length: %llu\r\nConnection: %s\r\n%s\r\n", status, type,
			 (unsigned long long)len, c->keepalive ? "keep-alive" : "close", extra);

	/* Only a Location can make it long, and the target it comes from is capped below OUT_MAX. */
	c->out_len = n > 0 && (size_t)n < sizeof(c->out) ? (size_t)n : 0;
	c->head_len = c->out_len;
	c->out_off = 0;
	c->gen_off = c->gen_len = 0;
}

static void begin_response(struct conn *c, const char *status, const char *type, uint64_t len)
{
	begin_response_with(c, status, type, len, "");
}

/* Appends to out[] (a small body); the Content-Length was set to match. */
static void append(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c->out + c->out_len, sizeof(c->out) - c->out_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->out_len += (size_t)n < sizeof(c->out) - c->out_len ? (size_t)n : 0;
}

static void simple_with(struct conn *c, const char *status, const char *extra, const char *body)
{
	begin_response_with(c, status, "text/plain", strlen(body), extra);
	append(c, "%s", body);
}

static void simple(struct conn *c, const char *status, const char *body)
{
	simple_with(c, status, "", body);
}

static int stats_body(char *buf, size_t cap)
{
	const struct net_stats *n = flint_net_stats();

	return snprintf(buf, cap,
			"uptime_ms %llu\nconnections_accepted %llu\nconnections_open %llu\n"
			"requests %llu\nbad_requests %llu\necho_bytes %llu\nsink_bytes %llu\n"
			"rx_packets %llu\nrx_bytes %llu\ntx_packets %llu\ntx_bytes %llu\n"
			"rx_errors %llu\nrx_no_pbuf %llu\ntx_ring_full %llu\nwaits %llu\nwakeups %llu\n"
			"tcp_rx_segments %u\ntcp_tx_segments %u\ntcp_drops %u\ntcp_memerr %u\nfile_bytes %llu\n",
			(unsigned long long)(clock_ns() / 1000000), (unsigned long long)st.accepted,
			(unsigned long long)st.open, (unsigned long long)st.requests,
			(unsigned long long)st.bad_requests, (unsigned long long)st.echo_bytes,
			(unsigned long long)st.sink_bytes, (unsigned long long)n->rx_packets,
			(unsigned long long)n->rx_bytes, (unsigned long long)n->tx_packets,
			(unsigned long long)n->tx_bytes, (unsigned long long)n->rx_errors,
			(unsigned long long)flint_net_rx_no_pbuf(), (unsigned long long)n->tx_ring_full,
			(unsigned long long)n->waits, (unsigned long long)n->wakeups,
			(unsigned)lwip_stats.tcp.recv, (unsigned)lwip_stats.tcp.xmit,
			(unsigned)lwip_stats.tcp.drop, (unsigned)lwip_stats.tcp.memerr,
			(unsigned long long)st.file_bytes);
}

/* ---- files under root= ---- */

static int fs_lstat(void *ctx, const char *path, uint32_t *mode)
{
	struct stat sb;

	(void)ctx;
	if (lstat(path, &sb) < 0)
		return -errno;
	*mode = sb.st_mode;
	return 0;
}

static int64_t fs_readlink(void *ctx, const char *path, char *buf, size_t len)
{
	ssize_t n = readlink(path, buf, len);

	(void)ctx;
	return n < 0 ? -errno : n;
}

static const struct webpath_fs vfs = { NULL, fs_lstat, fs_readlink };

/* Streams the regular file at path (symlink-free, under root): 200, or an error page. */
static void send_file(struct conn *c, const char *path, uint32_t mode)
{
	struct stat sb;
	int fd;

	if (!(mode & 0004)) {
		simple(c, "403 Forbidden", "forbidden: not readable by others\n");
		return;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
			simple(c, "503 Service Unavailable", "too many files open: try again\n");
		else
			simple(c, "403 Forbidden", "forbidden: cannot open\n");
		return;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size < 0) {
		close(fd);
		simple(c, "403 Forbidden", "forbidden: not a regular file\n");
		return;
	}
	begin_response(c, "200 OK", webpath_mime(path), (uint64_t)sb.st_size);
	c->src = SRC_FILE;
	c->fd = fd;
	c->gen_len = (uint64_t)sb.st_size;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct page {
	char *p;
	size_t len, cap;
	bool too_big;
};

static void page_add(struct page *pg, const char *s, size_t n)
{
	if (pg->too_big)
		return;
	if (pg->len + n > LISTING_MAX) {
		pg->too_big = true;
		return;
	}
	if (pg->len + n > pg->cap) {
		size_t cap = pg->cap ? pg->cap : 4096;
		char *p;

		while (cap < pg->len + n)
			cap *= 2;
		p = realloc(pg->p, cap);
		if (!p) {
			pg->too_big = true;
			return;
		}
		pg->p = p;
		pg->cap = cap;
	}
	memcpy(pg->p + pg->len, s, n);
	pg->len += n;
}

static void page_str(struct page *pg, const char *s) { page_add(pg, s, strlen(s)); }

/* name escaped by fn (html or url), without a fixed limit on its escaped length. */
static void page_escaped(struct page *pg, const char *name, size_t (*fn)(const char *, char *, size_t))
{
	char tmp[6 * WEBPATH_MAX];

	/* 6 bytes per input byte covers "&quot;" and "%XX" alike. */
	if (strlen(name) >= WEBPATH_MAX) {
		pg->too_big = true;
		return;
	}
	page_add(pg, tmp, fn(name, tmp, sizeof(tmp)));
}

/* An HTML list of directory path (shown as /rel/), names escaped, sorted. */
static void send_listing(struct conn *c, const char *path, const char *rel)
{
	DIR *d = opendir(path);
	struct dirent *de;
	struct page pg = { 0 };
	char **names = NULL;
	size_t n = 0, cap = 0;
	bool failed = false;

	if (!d) {
		simple(c, "403 Forbidden", "forbidden: cannot read the directory\n");
		return;
	}
	while (!failed && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char *name;

		if (!len)
			continue;   /* a corrupt entry: nothing to link to */
		if (n == cap) {
			char **v = cap < 65536 ? realloc(names, (cap ? 2 * cap : 64) * sizeof(*names)) : NULL;

			if (!v) {
				failed = true;
				break;
			}
			names = v;
			cap = cap ? 2 * cap : 64;
		}
		/* A trailing '/' marks a directory, as the page shows it. */
		name = malloc(len + 2);
		if (!name) {
			failed = true;
			break;
		}
		memcpy(name, de->d_name, len);
		name[len] = de->d_type == DT_DIR ? '/' : '\0';
		name[len + 1] = '\0';
		names[n++] = name;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	page_str(&pg, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of /");
	page_escaped(&pg, rel, webpath_html_escape);
	page_str(&pg, *rel ? "/</title></head><body>\n<h1>Index of /" : "</title></head><body>\n<h1>Index of /");
	page_escaped(&pg, rel, webpath_html_escape);
	page_str(&pg, *rel ? "/</h1>\n<ul>\n<li><a href=\"../\">../</a></li>\n" : "</h1>\n<ul>\n");
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(names[i]);
		bool dir = names[i][len - 1] == '/';

		names[i][len - dir] = '\0';
		page_str(&pg, "<li><a href=\"");
		page_escaped(&pg, names[i], webpath_url_escape);
		page_str(&pg, dir ? "/\">" : "\">");
		page_escaped(&pg, names[i], webpath_html_escape);
		page_str(&pg, dir ? "/</a></li>\n" : "</a></li>\n");
		free(names[i]);
	}
	free(names);
	page_str(&pg, "</ul>\n</body></html>\n");
	if (failed || pg.too_big) {
		free(pg.p);
		simple(c, "500 Internal Server Error", "directory listing too large or out of memory\n");
		return;
	}
	begin_response(c, "200 OK", "text/html; charset=utf-8", pg.len);
	c->src = SRC_BUF;
	c->buf = pg.p;
	c->gen_len = pg.len;
}

/* An error from webpath_resolve() as the status a client expects. */
static void resolve_error(struct conn *c, int rc)
{
	if (rc == -ENOENT || rc == -ENOTDIR || rc == -ELOOP)
		simple(c, "404 Not Found", "not found\n");
	else if (rc == -EACCES)
		simple(c, "403 Forbidden", "forbidden: outside the served folder\n");
	else if (rc == -ENAMETOOLONG || rc == -EINVAL)
		simple(c, "400 Bad Request", "bad path\n");
	else
		simple(c, "500 Internal Server Error", "cannot read the filesystem\n");
}

/* GET/HEAD of c->path under root. */
static void serve_path(struct conn *c)
{
	char rel[WEBPATH_MAX], real[WEBPATH_MAX];
	bool dir_slash;
	uint32_t mode;
	int rc = webpath_from_target(c->path, rel, sizeof(rel), &dir_slash);

	if (rc < 0) {
		st.bad_requests++;
		simple(c, "400 Bad Request", "bad path: '..', %2F, %00, a bad %-escape or too long\n");
		return;
	}
	rc = webpath_resolve(root, rel, &vfs, real, sizeof(real), &mode);
	if (rc < 0) {
		resolve_error(c, rc);
		return;
	}
	if (S_ISDIR(mode) && !dir_slash) {
		/* Relative links in the page must resolve inside the directory. */
		char loc[sizeof(c->path) + 16];
		size_t plen = 0;

		while (c->path[plen] && c->path[plen] != '?' && c->path[plen] != '#')
			plen++;

		snprintf(loc, sizeof(loc), "Location: %.*s/\r\n", (int)plen, c->path);
		simple_with(c, "301 Moved Permanently", loc, "a directory: add a '/'\n");
		return;
	}
	if (S_ISDIR(mode)) {
		char index[WEBPATH_MAX], ireal[WEBPATH_MAX];
		uint32_t imode;

		/* Resolved on its own: index.html may be a link too, and must stay under root. */
		if ((size_t)snprintf(index, sizeof(index), "%s%sindex.html", rel, *rel ? "/" : "") < sizeof(index) &&
		    webpath_resolve(root, index, &vfs, ireal, sizeof(ireal), &imode) == 0 && S_ISREG(imode)) {
			send_file(c, ireal, imode);
			return;
		}
		send_listing(c, real, rel);
		return;
	}
	if (!S_ISREG(mode)) {
		simple(c, "403 Forbidden", "forbidden: not a regular file\n");
		return;
	}
	send_file(c, real, mode);
}

/* The request (and its body, if any) is complete: queue the answer. */
static void respond(struct conn *c)
{
	const char *q, *route = c->path;
	bool get;

	st.requests++;
	c->head = !strcmp(c->method, "HEAD");
	get = c->head || !strcmp(c->method, "GET");
	if (*root) {
		/* Under root= the built-in routes move to /_flint/: everything else is a file. */
		size_t bl = sizeof(BUILTIN) - 1;

		if (!strncmp(c->path, BUILTIN, bl) && c->path[bl] == '/')
			route = c->path + bl;
		else
			route = NULL;
	}
	if (!route && !get) {
		simple_with(c, "405 Method Not Allowed", "Allow: GET, HEAD\r\n", "files: only GET and HEAD\n");
	} else if (!route) {
		serve_path(c);
	} else if (!strcmp(c->method, "POST") && !strcmp(route, "/sink")) {
		char body[64];

		snprintf(body, sizeof(body), "sink: %llu bytes\n", (unsigned long long)c->body_got);
		simple(c, "200 OK", body);
	} else if (!get) {
		simple(c, "405 Method Not Allowed", "only GET, HEAD, and POST to /sink\n");
	} else if (!strcmp(route, "/")) {
		static const char page[] =
			"<!DOCTYPE html>\n<html><head><title>Flint</title></head><body>\n"
			"<h1>Hello from a Flint guest</h1>\n<p>lwIP over virtio-net. Try "
			"<a href=\"stats\">stats</a> or <a href=\"echo?n=100\">echo?n=100</a>.</p>\n"
			"</body></html>\n";

		begin_response(c, "200 OK", "text/html", sizeof(page) - 1);
		append(c, "%s", page);
	} else if (!strcmp(route, "/stats")) {
		char body[1024];
		int n = stats_body(body, sizeof(body));

		begin_response(c, "200 OK", "text/plain", (uint64_t)n);
		append(c, "%s", body);
	} else if (!strncmp(route, "/echo?n=", 8)) {
		char *end;
		unsigned long long n;

		q = route + 8;
		n = strtoull(q, &end, 10);
		if (end == q || *end || n > ECHO_MAX) {
			simple(c, "400 Bad Request", "want /echo?n=<bytes>, at most 2^40\n");
		} else {
			begin_response(c, "200 OK", "application/octet-stream", n);
			c->gen_len = n;
		}
	} else {
		simple(c, "404 Not Found", "not found: try /, /echo?n=N, /stats or POST /sink\n");
	}
	if (c->head) {
		/* The same headers, Content-Length included, and no body. */
		c->out_len = c->head_len;
		c->gen_len = 0;
		release_source(c);
	}
	c->state = C_SENDING;
	send_more(c);
}

/* A request head (ending in the blank line) is in req[0..len). */
static void handle_head(struct conn *c)
{
	const char *cl, *conn_hdr, *expect;
	char version[16];
	bool http10;

	c->req[c->req_len] = '\0';
	c->body_left = c->body_got = 0;
	c->keepalive = false;
	c->method[0] = c->path[0] = version[0] = '\0';
	{
		/* METHOD SP TARGET SP VERSION CRLF */
		const char *sp1 = strchr(c->req, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
		const char *eol = strstr(c->req, "\r\n");

		if (!sp1 || !sp2 || sp2 > eol || (size_t)(sp1 - c->req) >= sizeof(c->method) ||
		    (size_t)(sp2 - sp1 - 1) >= sizeof(c->path) ||
		    (size_t)(eol - sp2 - 1) >= sizeof(version)) {
			st.bad_requests++;
			simple(c, "400 Bad Request", "malformed request line\n");
			c->state = C_SENDING;
			send_more(c);
			return;
		}
		memcpy(c->method, c->req, (size_t)(sp1 - c->req));
		c->method[sp1 - c->req] = '\0';
		memcpy(c->path, sp1 + 1, (size_t)(sp2 - sp1 - 1));
		c->path[sp2 - sp1 - 1] = '\0';
		memcpy(version, sp2 + 1, (size_t)(eol - sp2 - 1));
		version[eol - sp2 - 1] = '\0';
	}
	http10 = !strcmp(version, "HTTP/1.0");
	conn_hdr = header(c->req, "connection:");
	c->keepalive = conn_hdr ? lower_prefix(conn_hdr, "keep-alive") : !http10;
	cl = header(c->req, "content-length:");
	if (cl) {
		char *end;

		c->body_left = strtoull(cl, &end, 10);
		if (end == cl || (*end != '\r' && *end != ' ')) {
			st.bad_requests++;
			c->keepalive = false;   /* the body's end is unknown */
			simple(c, "400 Bad Request", "bad Content-Length\n");
			c->state = C_SENDING;
			send_more(c);
			return;
		}
	}
	expect = header(c->req, "expect:");
	if (expect && lower_prefix(expect, "100-continue") && c->body_left) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

		tcp_write(c->pcb, cont, sizeof(cont) - 1, TCP_WRITE_FLAG_COPY);
		tcp_output(c->pcb);
	}
	if (c->body_left) {
		c->state = C_SINKING;
		return;
	}
	respond(c);
}

/* Consumes bytes until a response is being sent; returns how many it took. */
static size_t feed(struct conn *c, const char *data, size_t len)
{
	size_t used = 0;

	while (used < len && (c->state == C_READING || c->state == C_SINKING)) {
		if (c->state == C_SINKING) {
			uint64_t take = len - used < c->body_left ? len - used : c->body_left;

			c->body_left -= take;
			c->body_got += take;
			st.sink_bytes += take;
			used += (size_t)take;
			if (!c->body_left)
				respond(c);
			continue;
		}
		{
			size_t room = REQ_MAX - c->req_len, n = len - used < room ? len - used : room;
			size_t from = c->req_len > 3 ? c->req_len - 3 : 0, end = 0;

			memcpy(c->req + c->req_len, data + used, n);
			c->req_len += n;
			for (size_t i = from; i + 4 <= c->req_len; i++) {
				if (!memcmp(c->req + i, "\r\n\r\n", 4)) {
					end = i + 4;
					break;
				}
			}
			if (!end) {
				used += n;
				if (c->req_len == REQ_MAX) {
					st.bad_requests++;
					c->keepalive = false;
					simple(c, "431 Request Header Fields Too Large", "request head over 4 KiB\n");
					c->state = C_SENDING;
					send_more(c);
				}
				continue;
			}
			/* What follows the head is the body or the next request. */
			used += n - (c->req_len - end);
			c->req_len = end;
			handle_head(c);
			c->req_len = 0;
		}
	}
	return used;
}

/* Feeds a chain of received pbufs; what a response leaves unread waits in c->held. */
static void process(struct conn *c, struct pbuf *p)
{
	while (p) {
		struct pbuf *next;
		size_t n;

		if (c->state == C_SENDING) {
			if (c->held)
				pbuf_cat(c->held, p);
			else
				c->held = p;
			return;
		}
		if (c->state == C_CLOSING) {
			pbuf_free(p);
			return;
		}
		n = feed(c, p->payload, p->len);
		if (c->state != C_CLOSING) {
			tcp_recved(c->pcb, (u16_t)n);
			c->unrecved -= n;
		}
		if (n < p->len) {
			pbuf_remove_header(p, n);
			continue;
		}
		/* Drop the first pbuf of the chain, keep the rest. */
		next = p->next;
		if (next)
			pbuf_ref(next);
		pbuf_free(p);
		p = next;
	}
}

/* Queues as much of the response as lwIP takes; when all is queued, reads on. */
static void send_more(struct conn *c)
{
	struct tcp_pcb *pcb = c->pcb;
	struct pbuf *p;

	while (c->out_off < c->out_len || c->gen_off < c->gen_len) {
		u16_t room = tcp_sndbuf(pcb);
		size_t n;
		err_t e;

		if (room < TCP_MSS && room < c->out_len - c->out_off + c->gen_len - c->gen_off)
			break;
		if (tcp_sndqueuelen(pcb) + 8 > TCP_SND_QUEUELEN)
			break;
		if (c->out_off < c->out_len) {
			n = c->out_len - c->out_off < room ? c->out_len - c->out_off : room;
			e = tcp_write(pcb, c->out + c->out_off, (u16_t)n,
				      TCP_WRITE_FLAG_COPY | (c->gen_len ? TCP_WRITE_FLAG_MORE : 0));
			if (e != ERR_OK)
				break;
			c->out_off += n;
			continue;
		}
		n = room < SCRATCH ? room : SCRATCH;
		if (n > c->gen_len - c->gen_off)
			n = (size_t)(c->gen_len - c->gen_off);
		if (c->src == SRC_BUF) {
			e = tcp_write(pcb, c->buf + c->gen_off, (u16_t)n, TCP_WRITE_FLAG_COPY);
		} else if (c->src == SRC_FILE) {
			/* The offset is ours: a short read just sends less this time. */
			ssize_t got = pread(c->fd, scratch, n, (off_t)c->gen_off);

			if (got <= 0) {
				/* The Content-Length is out: closing early is all that is left to say. */
				printf("httpd: reading a file at %llu failed: %s\n", (unsigned long long)c->gen_off,
				       got < 0 ? strerror(errno) : "it ended early");
				tcp_output(pcb);
				conn_close(c);
				return;
			}
			n = (size_t)got;
			e = tcp_write(pcb, scratch, (u16_t)n, TCP_WRITE_FLAG_COPY);
		} else {
			echo_pattern_fill(scratch, c->gen_off, n);
			e = tcp_write(pcb, scratch, (u16_t)n, TCP_WRITE_FLAG_COPY);
		}
		if (e != ERR_OK)
			break;
		c->gen_off += n;
		if (c->src == SRC_ECHO)
			st.echo_bytes += n;
		else if (c->src == SRC_FILE)
			st.file_bytes += n;
	}
	tcp_output(pcb);
	if (c->out_off < c->out_len || c->gen_off < c->gen_len)
		return;    /* on_sent comes back when the peer acknowledges */
	release_source(c);
	if (!c->keepalive) {
		conn_close(c);
		return;
	}
	c->state = C_READING;
	p = c->held;
	c->held = NULL;
	if (p)
		process(c, p);
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct conn *c = arg;

	(void)pcb;
	if (!c) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (err != ERR_OK) {
		if (p)
			pbuf_free(p);
		return err;
	}
	if (!p) {                     /* the peer closed its side */
		if (c->state == C_SENDING)
			c->keepalive = false;   /* finish this response, then close */
		else
			conn_close(c);
		return done(c);
	}
	c->unrecved += p->tot_len;
	process(c, p);
	return done(c);
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct conn *c = arg;

	(void)pcb;
	(void)len;
	if (!c)
		return ERR_OK;
	if (c->state == C_SENDING)
		send_more(c);
	return done(c);
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
	struct conn *c = arg;

	(void)pcb;
	if (!c)
		return ERR_OK;
	if (c->state == C_CLOSING)
		conn_close(c);
	else if (c->state == C_SENDING)
		send_more(c);
	return done(c);
}

/* lwIP has freed the pcb (reset, or too many retransmissions). */
static void on_err(void *arg, err_t err)
{
	(void)err;
	if (arg)
		conn_free(arg);
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct conn *c;

	(void)arg;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c->pcb = pcb;
	c->fd = -1;
	c->state = C_READING;
	st.accepted++;
	st.open++;
	tcp_arg(pcb, c);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_poll(pcb, on_poll, 2);
	tcp_err(pcb, on_err);
	tcp_nagle_disable(pcb);
	return ERR_OK;
}

/* root=PATH: made symlink-free once, so every request compares against the real folder. */
static int set_root(const char *arg)
{
	char norm[WEBPATH_MAX];
	uint32_t mode;
	int rc = webpath_root(arg, norm, sizeof(norm));

	if (rc < 0) {
		printf("httpd: bad root=%s (want an absolute path without '..' or '%%')\n", arg);
		return rc;
	}
	/* The first file call mounts what the kernel command line asks for. */
	rc = webpath_resolve("/", norm + 1, &vfs, root, sizeof(root), &mode);
	if (rc == 0 && !S_ISDIR(mode))
		rc = -ENOTDIR;
	if (rc < 0) {
		printf("httpd: root=%s: %s (mounts come from the kernel command line: root=initrd, "
		       "root=/dev/vda, fs.mount=PATH:SOURCE)\n", arg, strerror(-rc));
		root[0] = '\0';
		return rc;
	}
	printf("httpd: serving files from %s\n", root);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long port = 80;
	struct tcp_pcb *pcb, *listener;
	char *end;

	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "port=", 5)) {
			port = strtoul(argv[i] + 5, &end, 10);
			if (end == argv[i] + 5 || *end || port == 0 || port > 65535) {
				printf("httpd: bad %s (want port=1..65535)\n", argv[i]);
				return 2;
			}
		} else if (!strncmp(argv[i], "root=", 5)) {
			if (set_root(argv[i] + 5) < 0)
				return 2;
		} else {
			printf("httpd: unknown argument '%s' (want port=N, root=PATH)\n", argv[i]);
			return 2;
		}
	}
	if (!flint_net_init())
		return 2;
	pcb = tcp_new();
	if (!pcb || tcp_bind(pcb, IP_ANY_TYPE, (u16_t)port) != ERR_OK) {
		printf("httpd: cannot bind TCP port %lu\n", port);
		return 2;
	}
	listener = tcp_listen(pcb);
	if (!listener) {
		printf("httpd: cannot listen on TCP port %lu\n", port);
		return 2;
	}
	tcp_accept(listener, on_accept);
	printf("httpd: listening on TCP port %lu\n", port);
	flint_net_serve();
}
