#ifndef GUEST_KERNEL_ARGS_FILE_H
#define GUEST_KERNEL_ARGS_FILE_H

#include <stddef.h>

/*
 * The arguments file flint-oci writes into a container's initrd
 * (kernel parameter flint.args=PATH): NUL-terminated records, each a
 * tag byte and a value: 'a' an argument (the first is argv[0]), 'e' an
 * environment entry NAME=VALUE.  At most ARGS_FILE_MAX bytes.
 */
#define ARGS_FILE_MAX (1u << 20)

/*
 * Splits buf[0..len) (modified in place: the strings point into it) into
 * a NULL-terminated argv and envp from malloc.  Returns 0, or -1 for a
 * malformed file (no argument, a record without its NUL, an unknown tag,
 * an environment entry without '=') or no memory.
 */
int args_file_parse(char *buf, size_t len, int *argc, char ***argv, char ***envp);

/*
 * Before main(): if the command line names an arguments file, replaces
 * argc/argv with its arguments and sets environ.  A named file that cannot
 * be read or parsed is a panic: the app must not run with other arguments.
 */
void args_file_load(int *argc, char ***argv);

#endif
