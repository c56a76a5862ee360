/*
 * Time: CLOCK_MONOTONIC counts from the guest's first instruction (and
 * goes on across a snapshot); CLOCK_REALTIME is the host's wall clock as
 * Flint's pv page gives it, and fails with EINVAL without one (QEMU).
 */
#ifndef FLINT_TIME_H
#define FLINT_TIME_H

#include <stdint.h>

typedef int64_t time_t;
typedef int clockid_t;

struct timespec {
	time_t tv_sec;
	long tv_nsec;
};

#define CLOCK_REALTIME  0
#define CLOCK_MONOTONIC 1

int clock_gettime(clockid_t id, struct timespec *ts);
/* Seconds since the epoch, also stored in *t if t; (time_t)-1 without a wall clock. */
time_t time(time_t *t);

#endif
