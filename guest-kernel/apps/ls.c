/*
 * ls [-R] PATH...: names in byte order, one per line, in GNU ls's layout
 * for a pipe (LC_ALL=C ls -1 [-R]), so tests compare the two directly:
 * file arguments first, then each directory, under a "PATH:" header when
 * there are several or -R, blank lines between.  Names starting with '.'
 * are left out, as without -a; -R does not follow symlinks.  Status 2 if
 * an argument is missing, 1 if a directory below could not be read.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool recursive, first_block = true;
static int status;

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort(char **v, size_t n)
{
	qsort(v, n, sizeof(*v), by_name);
}

static char *join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *p = malloc(dl + nl + 2);

	if (!p)
		return NULL;
	memcpy(p, dir, dl);
	/* GNU ls writes "/x" under "/", not "//x". */
	if (!dl || dir[dl - 1] != '/')
		p[dl++] = '/';
	memcpy(p + dl, name, nl + 1);
	return p;
}

static void list_dir(const char *path, bool header)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (!first_block)
		putchar('\n');
	first_block = false;
	if (header)
		printf("%s:\n", path);
	if (!d) {
		printf("ls: cannot open directory '%s': %s\n", path, strerror(errno));
		status = status ? status : 1;
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			names = realloc(names, cap * sizeof(*names));
			if (!names) {
				puts("ls: out of memory");
				exit(1);
			}
		}
		size_t len = strlen(de->d_name) + 1;

		names[n] = malloc(len);
		if (!names[n]) {
			puts("ls: out of memory");
			exit(1);
		}
		memcpy(names[n++], de->d_name, len);
	}
	closedir(d);
	sort(names, n);
	for (size_t i = 0; i < n; i++)
		puts(names[i]);
	for (size_t i = 0; recursive && i < n; i++) {
		char *child = join(path, names[i]);
		struct stat st;

		if (child && lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
			list_dir(child, true);
		free(child);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int main(int argc, char **argv)
{
	char *files[64], *dirs[64];
	size_t nf = 0, nd = 0, nargs;
	int i = 1;

	if (i < argc && !strcmp(argv[i], "-R")) {
		recursive = true;
		i++;
	}
	if (i == argc)
		argv[argc++] = ".";   /* argv has room: cmdline_argv ends it with NULL */
	nargs = (size_t)(argc - i);
	if (nargs > 64) {
		puts("ls: at most 64 arguments");
		return 2;
	}
	for (; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0 && lstat(argv[i], &st) < 0) {
			printf("ls: cannot access '%s': %s\n", argv[i], strerror(errno));
			status = 2;
			continue;
		}
		if (S_ISDIR(st.st_mode))
			dirs[nd++] = argv[i];
		else
			files[nf++] = argv[i];
	}
	sort(files, nf);
	sort(dirs, nd);
	for (size_t k = 0; k < nf; k++)
		puts(files[k]);
	if (nf)
		first_block = false;
	for (size_t k = 0; k < nd; k++)
		list_dir(dirs[k], recursive || nargs > 1);
	return status;
}
