/* gettimeofday: CLOCK_REALTIME in microseconds (see <time.h>). */
#ifndef FLINT_SYS_TIME_H
#define FLINT_SYS_TIME_H

#include <time.h>

typedef int64_t suseconds_t;

struct timeval {
	time_t tv_sec;
	suseconds_t tv_usec;
};

/* tz must be NULL (there are no time zones); -1 and errno EINVAL without a wall clock. */
int gettimeofday(struct timeval *tv, void *tz);

#endif
