/*
 * The command line: `<kernel parameters> -- <app arguments>`.  QEMU
 * appends `virtio_mmio.device=` parameters after everything, `--`
 * included, so those count as parameters wherever they stand.  Words are
 * split at blanks; there is no quoting.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <flint.h>
#include <flint/boot_abi.h>

#include "kernel/cmdline.h"

#define VIRTIO_PARAM "virtio_mmio.device="

/* Words separated by NULs; the unused tail is all NULs. */
static char words[FLINT_CMDLINE_SIZE + 1];
static size_t words_len;

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void cmdline_init(const char *cmdline)
{
	size_t n = cmdline ? strnlen(cmdline, FLINT_CMDLINE_SIZE) : 0;

	for (size_t i = 0; i < n; i++)
		words[i] = blank(cmdline[i]) ? '\0' : cmdline[i];
	words_len = n;
}

/* Walks the words: returns the next one after *pos (starting at 0), or NULL. */
static const char *next_word(size_t *pos)
{
	const char *w;

	while (*pos < words_len && !words[*pos])
		(*pos)++;
	if (*pos >= words_len)
		return NULL;
	w = &words[*pos];
	*pos += strlen(w);
	return w;
}

static bool is_virtio(const char *w)
{
	return !strncmp(w, VIRTIO_PARAM, sizeof(VIRTIO_PARAM) - 1);
}

const char *cmdline_param_nth(const char *name, unsigned n)
{
	size_t pos = 0, len = strlen(name);
	bool args = false;

	for (const char *w; (w = next_word(&pos));) {
		if (!args && !strcmp(w, "--")) {
			args = true;
			continue;
		}
		if (args && !is_virtio(w))
			continue;
		if (strncmp(w, name, len) || (w[len] != '=' && w[len] != '\0'))
			continue;
		if (n-- == 0)
			return w[len] ? w + len + 1 : w + len;
	}
	return NULL;
}

const char *cmdline_param(const char *name)
{
	return cmdline_param_nth(name, 0);
}

/* Stores the app's arguments into argv[1..] when argv is not NULL; returns how many. */
static int collect_args(char **argv)
{
	size_t pos = 0;
	int count = 0;
	bool args = false;

	for (const char *w; (w = next_word(&pos));) {
		if (!args) {
			args = !strcmp(w, "--");
			continue;
		}
		if (is_virtio(w))
			continue;
		count++;
		if (argv)
			argv[count] = (char *)w;
	}
	return count;
}

char **cmdline_argv(int *argc)
{
	int n = collect_args(NULL);
	char **argv = malloc(((size_t)n + 2) * sizeof(*argv));

	if (!argv)
		return NULL;
	argv[0] = (char *)flint_app_name;
	collect_args(argv);
	argv[n + 1] = NULL;
	*argc = n + 1;
	return argv;
}
