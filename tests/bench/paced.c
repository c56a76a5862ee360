/*
 * paced URL RATE SECONDS [CONNS]: an open-loop HTTP/1.1 client for
 * `make bench`'s serve section (Debian has no wrk2).  Request i is due at
 * start + i/RATE whatever happened to the others, and its latency runs
 * from that due time to its response's last byte, so a slow server shows
 * up as latency instead of a politely slower client (coordinated
 * omission).  Keep-alive connections are reused, opened as needed (at
 * most CONNS, default 256).  Prints one line:
 *   paced: rate R/s sent N ok M errors E late L p50 X ms p99 Y ms max Z ms
 * (ok: status 200; late: due while no connection was free).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "latency.h"

struct conn {
	int fd;
	int busy;
	uint64_t due;
	char buf[16384];
	size_t used;
};

static struct sockaddr_in addr;
static char req[512];
static size_t req_len;

static int dial(int ep, struct conn *c)
{
	int one = 1;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

/* 1: a whole response is in c->buf (status in *code), 0: not yet, -1: bad */
static int complete(struct conn *c, int *code)
{
	char *end, *cl;
	size_t head, len = 0;

	c->buf[c->used < sizeof(c->buf) ? c->used : sizeof(c->buf) - 1] = '\0';
	end = strstr(c->buf, "\r\n\r\n");
	if (!end)
		return c->used >= sizeof(c->buf) - 1 ? -1 : 0;
	head = (size_t)(end - c->buf) + 4;
	if (sscanf(c->buf, "HTTP/1.%*d %d", code) != 1)
		return -1;
	cl = strcasestr(c->buf, "\r\nTransfer-Encoding: chunked");
	if (cl && cl < end) /* the last chunk ends it */
		return c->used >= head + 5 && !memcmp(c->buf + c->used - 5, "0\r\n\r\n", 5) ? 1 : 0;
	cl = strcasestr(c->buf, "\r\nContent-Length:");
	if (cl && cl < end)
		len = strtoul(cl + 17, NULL, 10);
	if (head + len > sizeof(c->buf) - 1)
		return -1;
	return c->used >= head + len;
}

int main(int argc, char **argv)
{
	char host[64], path[256] = "/";
	unsigned port, conns_max = argc > 4 ? (unsigned)atoi(argv[4]) : 256, nconns = 0;
	double rate, secs;
	uint64_t n, sent = 0, ok = 0, errors = 0, late = 0, late_at = UINT64_MAX, *lat, nlat = 0, start, step;
	struct conn *conns;
	int ep;

	if (argc < 4 || sscanf(argv[1], "http://%63[^:]:%u%255s", host, &port, path) < 2 ||
	    (rate = atof(argv[2])) <= 0 || (secs = atof(argv[3])) <= 0) {
		fprintf(stderr, "usage: paced http://HOST:PORT/ RATE SECONDS [CONNS]\n");
		return 2;
	}
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, host, &addr.sin_addr);
	req_len = (size_t)snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host);
	n = (uint64_t)(rate * secs);
	step = (uint64_t)(1e9 / rate);
	lat = calloc(n + 1, sizeof(*lat));
	conns = calloc(conns_max, sizeof(*conns));
	ep = epoll_create1(0);
	if (!lat || !conns || ep < 0)
		return 1;
	start = now();
	while (sent < n || nlat + errors < sent) {
		uint64_t t = now();
		int timeout_ms = 100;
		struct epoll_event evs[64];

		/* Every request that is due goes out now, on a free connection. */
		while (sent < n && start + sent * step <= t) {
			struct conn *c = NULL;

			for (unsigned i = 0; i < nconns && !c; i++)
				if (!conns[i].busy && conns[i].fd > 0)
					c = &conns[i];
			if (!c && nconns < conns_max) {
				c = &conns[nconns++];
				if (dial(ep, c) < 0) {
					errors++;
					sent++;
					c->fd = -1;
					continue;
				}
			}
			if (!c) {
				if (late_at != sent) /* each request counts once, however long it waits */
					late++, late_at = sent;
				break; /* due, but every connection is busy: sent when one frees */
			}
			c->busy = 1;
			c->used = 0;
			c->due = start + sent * step;
			if (write(c->fd, req, req_len) != (ssize_t)req_len)
				errors++, c->busy = 0;
			sent++;
		}
		if (sent < n) {
			uint64_t next = start + sent * step;

			timeout_ms = next > t ? (int)((next - t) / 1000000) : 0;
		}
		int k = epoll_wait(ep, evs, 64, timeout_ms);

		for (int i = 0; i < k; i++) {
			struct conn *c = evs[i].data.ptr;
			ssize_t r = read(c->fd, c->buf + c->used, sizeof(c->buf) - 1 - c->used);
			int code = 0, done;

			if (r <= 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				if (c->busy)
					errors++;
				/* redial on next use */
				c->fd = 0;
				c->busy = 0;
				if (dial(ep, c) < 0)
					c->fd = -1;
				continue;
			}
			c->used += (size_t)r;
			done = complete(c, &code);
			if (done == 0)
				continue;
			if (done < 0 || code != 200)
				errors++;
			else
				ok++;
			if (c->busy)
				lat[nlat++] = now() - c->due;
			c->busy = 0;
			c->used = 0;
		}
		if (now() - start > (uint64_t)((secs + 30) * 1e9))
			break; /* responses that never come: stop, they count as missing */
	}
	qsort(lat, nlat, sizeof(*lat), cmp);
	printf("paced: rate %.0f/s sent %llu ok %llu errors %llu late %llu p50 %.3f ms p99 %.3f ms max %.3f ms\n",
	       (double)sent / ((double)(now() - start) / 1e9), (unsigned long long)sent, (unsigned long long)ok,
	       (unsigned long long)errors, (unsigned long long)late, nlat ? lat[nlat / 2] / 1e6 : 0,
	       nlat ? lat[nlat * 99 / 100] / 1e6 : 0, nlat ? lat[nlat - 1] / 1e6 : 0);
	return 0;
}
