/* fn-echo as a static CGI program, for the lighttpd mod_cgi baseline of
 * `make bench`'s serve section: the same answer, no VM. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	const char *m = getenv("REQUEST_METHOD"), *p = getenv("SCRIPT_NAME"), *q = getenv("QUERY_STRING");
	const char *cl = getenv("CONTENT_LENGTH");
	long n = cl ? atol(cl) : 0;
	char buf[65536];

	printf("Status: 200 OK\r\nContent-Type: text/plain\r\n\r\n");
	printf("method: %s\npath: %s\nquery: %s\ngeneration: %016llx\nbody-length: %ld\n\n", m ? m : "",
	       p ? p : "", q ? q : "", (unsigned long long)getpid(), n);
	fflush(stdout);
	while (n > 0) {
		ssize_t r = read(0, buf, sizeof(buf) < (size_t)n ? sizeof(buf) : (size_t)n);

		if (r <= 0)
			break;
		fwrite(buf, 1, (size_t)r, stdout);
		n -= r;
	}
	return 0;
}
