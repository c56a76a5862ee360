/* Loading the arguments file before main() (args_file.h). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <flint.h>

#include "kernel/args_file.h"
#include "kernel/cmdline.h"

/* Read by getenv (lib/getenv.c) before the kernel parameters. */
char **environ;

void args_file_load(int *argc, char ***argv)
{
	const char *path = cmdline_param("flint.args");
	struct stat st;
	char *buf;
	int fd;

	if (!path)
		return; /* nothing is mounted for an app that opens nothing */
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size <= 0 || (uint64_t)st.st_size > ARGS_FILE_MAX)
		panic("flint.args=%s: cannot read the arguments file (missing, empty or over %u bytes)",
		      path, ARGS_FILE_MAX);
	buf = malloc((size_t)st.st_size);
	if (!buf || read(fd, buf, (size_t)st.st_size) != st.st_size ||
	    args_file_parse(buf, (size_t)st.st_size, argc, argv, &environ) < 0)
		panic("flint.args=%s: malformed arguments file", path);
	close(fd);
}
