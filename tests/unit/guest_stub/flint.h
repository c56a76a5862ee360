/* The two things guest-kernel/drivers/virtq.c takes from <flint.h>, for test_guest_virtq. */
#ifndef TEST_GUEST_STUB_FLINT_H
#define TEST_GUEST_STUB_FLINT_H

const char *cmdline_param(const char *name);
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
