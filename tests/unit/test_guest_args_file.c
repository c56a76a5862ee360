/*
 * The guest's arguments-file parser (guest-kernel/kernel/args_file_parse.c):
 * the records flint-oci writes come back as argv and envp; malformed files
 * are refused without reading past the buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernel/args_file.h"

static int parse(const char *bytes, size_t len, int *argc, char ***argv, char ***envp)
{
	char *buf = malloc(len ? len : 1); /* exact size: ASan sees any overread */
	int rc;

	memcpy(buf, bytes, len);
	rc = args_file_parse(buf, len, argc, argv, envp);
	if (rc == 0) {
		static char *keep; /* argv points into buf: kept until the next call */

		free(keep);
		keep = buf;
		return 0;
	}
	free(buf);
	return rc;
}

TEST(records_become_argv_and_envp)
{
	static const char good[] = "a/hello.elf\0a42\0ahas space\0eHOME=/root\0a\0eEMPTY=\0";
	char **argv, **envp;
	int argc;

	CHECK(parse(good, sizeof(good) - 1, &argc, &argv, &envp) == 0);
	CHECK(argc == 4);
	CHECK(!strcmp(argv[0], "/hello.elf") && !strcmp(argv[1], "42"));
	CHECK(!strcmp(argv[2], "has space") && !strcmp(argv[3], "") && !argv[4]);
	CHECK(!strcmp(envp[0], "HOME=/root") && !strcmp(envp[1], "EMPTY=") && !envp[2]);
	free(argv);
	free(envp);
	CHECK(parse("a\0", 2, &argc, &argv, &envp) == 0 && argc == 1 && !envp[0]);
	free(argv);
	free(envp);
	parse("a\0", 2, &argc, &argv, &envp); /* releases the kept buffer */
	free(argv);
	free(envp);
}

TEST(malformed_files_refused)
{
	char **argv, **envp;
	int argc;


	CHECK(parse("", 0, &argc, &argv, &envp) < 0);                  /* empty */
	CHECK(parse("ax", 2, &argc, &argv, &envp) < 0);                /* no final NUL */
	CHECK(parse("eA=1\0", 5, &argc, &argv, &envp) < 0);            /* no argument */
	CHECK(parse("ax\0xy\0", 6, &argc, &argv, &envp) < 0);          /* unknown tag */
	CHECK(parse("ax\0eNOEQ\0", 9, &argc, &argv, &envp) < 0);       /* env without = */
	CHECK(parse("ax\0e=v\0", 7, &argc, &argv, &envp) < 0);         /* env without a name */
	CHECK(parse("ax\0\0", 4, &argc, &argv, &envp) < 0);            /* empty record */
}

CHECK_MAIN()
