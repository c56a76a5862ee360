/* The C library's clocks over kernel/walltime.c and clock_ns(). */
#include <errno.h>
#include <stddef.h>
#include <sys/time.h>
#include <time.h>

#include <flint.h>

#include "kernel/walltime.h"

#define NSEC_PER_SEC 1000000000ull

int clock_gettime(clockid_t id, struct timespec *ts)
{
	uint64_t ns;

	if (id == CLOCK_MONOTONIC)
		ns = clock_ns();
	else if (id != CLOCK_REALTIME || !walltime_ns(&ns)) {
		errno = EINVAL;
		return -1;
	}
	ts->tv_sec = (time_t)(ns / NSEC_PER_SEC);
	ts->tv_nsec = (long)(ns % NSEC_PER_SEC);
	return 0;
}

time_t time(time_t *t)
{
	uint64_t ns;
	time_t s = walltime_ns(&ns) ? (time_t)(ns / NSEC_PER_SEC) : (time_t)-1;

	if (t)
		*t = s;
	return s;
}

int gettimeofday(struct timeval *tv, void *tz)
{
	uint64_t ns;

	if (tz || !walltime_ns(&ns)) {
		errno = EINVAL;
		return -1;
	}
	tv->tv_sec = (time_t)(ns / NSEC_PER_SEC);
	tv->tv_usec = (suseconds_t)(ns % NSEC_PER_SEC / 1000);
	return 0;
}
