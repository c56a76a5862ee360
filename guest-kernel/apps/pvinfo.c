/*
 * Prints what Flint's paravirtual page tells the guest, then says it is
 * ready (flint_ready) and exits 0:
 *   pvinfo: seq 1
 *   pvinfo: generation 0x<16 hex digits>
 *   pvinfo: time <seconds since the epoch, or -1 without a wall clock>
 *   pvinfo: realtime <s>.<ns> / gettimeofday <s>.<us>   (or "none")
 *   pvinfo: random 0x<16 hex> 0x<16 hex>
 *   pvinfo: ready returned
 * Under QEMU seq and generation are 0, time is -1 and the ready write
 * never happens.
 */
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

#include <flint.h>

int main(void)
{
	struct timespec ts;
	struct timeval tv;

	printf("pvinfo: seq %u\n", flint_seq());
	printf("pvinfo: generation 0x%016llx\n", (unsigned long long)flint_generation());
	printf("pvinfo: time %lld\n", (long long)time(NULL));
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && gettimeofday(&tv, NULL) == 0)
		printf("pvinfo: realtime %lld.%09ld / gettimeofday %lld.%06lld\n", (long long)ts.tv_sec,
		       ts.tv_nsec, (long long)tv.tv_sec, (long long)tv.tv_usec);
	else
		printf("pvinfo: realtime none\n");
	printf("pvinfo: random 0x%016llx 0x%016llx\n", (unsigned long long)flint_random(),
	       (unsigned long long)flint_random());
	flint_ready();
	printf("pvinfo: ready returned\n");
	return 0;
}
