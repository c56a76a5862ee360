#ifndef GUEST_KERNEL_CMDLINE_H
#define GUEST_KERNEL_CMDLINE_H

/*
 * Copies the boot command line (NUL-terminated, at most 4 KiB is kept)
 * and splits it into words.  Before this, cmdline_param() finds nothing.
 */
void cmdline_init(const char *cmdline);

/*
 * The app's arguments: argv[0] = flint_app_name, then the words after the
 * first `--` except `virtio_mmio.device=` ones; NULL-terminated, from
 * malloc.  Returns NULL if out of memory.
 */
char **cmdline_argv(int *argc);

#endif
