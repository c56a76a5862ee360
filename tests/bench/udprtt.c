/*
 * UDP echo client for tests/bench/net.sh, in C so that the client's own
 * cost stays far below the round trips it times (python adds ~10 µs).
 * First N round trips one at a time (the RTT), then N datagrams with W in
 * flight (the rate).  Prints one line:
 *   udprtt: rtt_median_us=X rtt_p90_us=Y rate_per_s=Z lost=L
 * A datagram unanswered for 1 s counts as lost; exit status 1 if any was.
 *
 * Usage: udprtt IPV4 PORT N [SIZE [W]]   (SIZE 64 bytes, W 16 by default)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 1 };
	static char buf[2048], in[2048];
	long n, size = 64, w = 16, lost = 0, lost2 = 0, got = 0, sent = 0;
	double *rtt, t0;
	int s;

	if (argc < 4 || argc > 6 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: udprtt IPV4 PORT N [SIZE [W]]\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	n = atol(argv[3]);
	if (argc > 4)
		size = atol(argv[4]);
	if (argc > 5)
		w = atol(argv[5]);
	if (n < 1 || size < 1 || size > (long)sizeof(buf) || w < 1 || !(rtt = calloc((size_t)n, sizeof(*rtt)))) {
		fprintf(stderr, "udprtt: bad N, SIZE or W\n");
		return 2;
	}
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		perror("udprtt: socket");
		return 1;
	}
	memset(buf, 'x', sizeof(buf));
	for (long i = 0; i < n; i++) {
		double t = now_us();

		if (send(s, buf, (size_t)size, 0) < 0 || recv(s, in, sizeof(in), 0) != size) {
			lost++;
			rtt[i] = 1e6;
			continue;
		}
		rtt[i] = now_us() - t;
	}
	qsort(rtt, (size_t)n, sizeof(*rtt), cmp);
	/* The rate: keep W in flight; a 1 s silence writes the missing ones off. */
	t0 = now_us();
	while (got + lost2 < n) {
		while (sent < n && sent - got - lost2 < w)
			if (send(s, buf, (size_t)size, 0) >= 0)
				sent++;
		if (recv(s, in, sizeof(in), 0) > 0)
			got++;
		else
			lost2 = sent - got;
	}
	lost += lost2;
	printf("udprtt: rtt_median_us=%.1f rtt_p90_us=%.1f rate_per_s=%.0f lost=%ld\n", rtt[n / 2],
	       rtt[n * 9 / 10], got / ((now_us() - t0) / 1e6), lost);
	return lost > 0;
}
