/*
 * Checks the FILE streams (lib/file.c) against the descriptor calls they
 * sit on, and getenv (lib/getenv.c).  `stdiocheck PATH...`: each file is
 * read whole with read(), then through fread in odd sizes, fgets, fgetc
 * and fseek/ftell/ungetc, and must come out the same; write modes must
 * fail with EROFS.  Then prints `getenv NAME=VALUE` for the NAMEs of
 * `env=NAME` kernel parameters.  Ends `stdiocheck OK files=N bytes=B`,
 * status 0, or `stdiocheck FAIL ...`, status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <flint.h>

static int failures;

#define CHECK(cond, path) check((cond), #cond, (path), __LINE__)
static void check(int ok, const char *what, const char *path, int line)
{
	if (!ok && failures++ < 10)
		fprintf(stderr, "stdiocheck FAIL %s line %d: %s\n", path, line, what);
}

/* The reference: the whole file by read(). */
static char *slurp(const char *path, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY);
	ssize_t r;

	if (fd < 0 || !buf) {
		printf("stdiocheck: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	while ((r = read(fd, buf + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap && !(buf = realloc(buf, cap *= 2)))
			panic("stdiocheck: out of memory");
	}
	close(fd);
	*len = n;
	return buf;
}

static void check_file(const char *path)
{
	static const size_t chunks[] = { 1, 7, 4095, 4096, 10000 };
	size_t len, got;
	char *want = slurp(path, &len), *buf = malloc(len + 1), line[64];
	FILE *f;
	int c;

	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		f = fopen(path, "rb");
		CHECK(f != NULL, path);
		got = 0;
		while (got < len) {
			size_t want_n = len - got < chunks[i] ? len - got : chunks[i];
			size_t k = fread(buf + got, 1, want_n, f);

			if (!k)
				break;
			got += k;
		}
		CHECK(got == len && !memcmp(buf, want, len), path);
		CHECK(fread(buf, 1, 1, f) == 0 && feof(f) && !ferror(f), path);
		fclose(f);
	}

	/* fgets in 64-byte pieces: long lines come in several.  Text only:
	 * a NUL inside a line is invisible to strlen. */
	f = fopen(path, "r");
	got = 0;
	while (!memchr(want, 0, len) && fgets(line, sizeof(line), f)) {
		size_t k = strlen(line);

		CHECK(got + k <= len && !memcmp(want + got, line, k), path);
		got += k;
	}
	CHECK(memchr(want, 0, len) || (got == len && feof(f)), path);
	fclose(f);

	f = fopen(path, "r");
	got = 0;
	while ((c = fgetc(f)) != EOF)
		CHECK(got < len && c == (unsigned char)want[got++], path);
	CHECK(got == len && fgetc(f) == EOF, path);

	if (len >= 2) {
		long mid = (long)(len / 2);

		CHECK(fseek(f, mid, SEEK_SET) == 0 && ftell(f) == mid, path);
		CHECK(fgetc(f) == (unsigned char)want[mid] && ftell(f) == mid + 1, path);
		CHECK(ungetc('#', f) == '#' && ftell(f) == mid && fgetc(f) == '#', path);
		CHECK(fseek(f, -1, SEEK_CUR) == 0 && fgetc(f) == (unsigned char)want[mid], path);
		CHECK(fseek(f, 0, SEEK_END) == 0 && ftell(f) == (long)len && fgetc(f) == EOF, path);
		rewind(f);
		CHECK(fgetc(f) == (unsigned char)want[0], path);
	}
	CHECK(fwrite("x", 1, 1, f) == 0 && ferror(f) && errno == EBADF, path);
	fclose(f);

	errno = 0;
	CHECK(fopen(path, "w") == NULL && errno == EROFS, path);
	CHECK(fopen(path, "r+") == NULL && errno == EROFS, path);
	free(want);
	free(buf);
}

int main(int argc, char **argv)
{
	const char *name;
	size_t bytes = 0;

	for (int i = 1; i < argc; i++) {
		FILE *f;

		check_file(argv[i]);
		f = fopen(argv[i], "r");
		fseek(f, 0, SEEK_END);
		bytes += (size_t)ftell(f);
		fclose(f);
	}
	errno = 0;
	CHECK(fopen("/no/such/file", "r") == NULL && errno == ENOENT, "/no/such/file");
	CHECK(fprintf(stdout, "%s", "") == 0 && fputs("", stderr) == 0, "console");
	for (unsigned n = 0; (name = cmdline_param_nth("env", n)); n++) {
		const char *v = getenv(name);

		printf("getenv %s%s%s\n", name, v ? "=" : " unset", v ? v : "");
	}
	if (failures) {
		printf("stdiocheck FAIL %d checks failed\n", failures);
		return 1;
	}
	printf("stdiocheck OK files=%d bytes=%zu\n", argc - 1, bytes);
	return 0;
}
