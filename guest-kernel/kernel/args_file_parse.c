/* Parsing the arguments file (args_file.h); host-testable, no I/O. */
#include <stdlib.h>
#include <string.h>

#include "kernel/args_file.h"

int args_file_parse(char *buf, size_t len, int *argc, char ***argv, char ***envp)
{
	size_t na = 0, ne = 0;
	char **a, **e;

	if (len == 0 || len > ARGS_FILE_MAX || buf[len - 1] != '\0')
		return -1;
	for (size_t i = 0; i < len; i += strlen(buf + i) + 1) {
		if (buf[i] == 'a')
			na++;
		else if (buf[i] == 'e' && strchr(buf + i + 1, '=') > buf + i + 1)
			ne++;
		else
			return -1;
	}
	if (na == 0)
		return -1;
	a = malloc((na + 1) * sizeof(*a));
	e = malloc((ne + 1) * sizeof(*e));
	if (!a || !e) {
		free(a);
		free(e);
		return -1;
	}
	na = ne = 0;
	for (size_t i = 0; i < len; i += strlen(buf + i) + 1) {
		if (buf[i] == 'a')
			a[na++] = buf + i + 1;
		else
			e[ne++] = buf + i + 1;
	}
	a[na] = e[ne] = NULL;
	*argc = (int)na;
	*argv = a;
	*envp = e;
	return 0;
}
