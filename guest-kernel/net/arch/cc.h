/*
 * lwIP's port to the Flint guest: compiler and C library facts (lwIP's
 * include/lwip/arch.h reads this first).  The guest is freestanding:
 * no <inttypes.h>, no <ctype.h>, no errno, printf from lib/stdio.c.
 */
#ifndef FLINT_LWIP_ARCH_CC_H
#define FLINT_LWIP_ARCH_CC_H

#include <stdio.h>
#include <sys/stat.h>

#include <flint.h>

#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H    1
#define LWIP_NO_UNISTD_H   1
/*
 * ssize_t is the guest's own (sys/stat.h, 64 bits): without SSIZE_MAX lwIP
 * would typedef an int of its own, which clashes in an app that reads
 * files too (httpd root=).
 */
#define SSIZE_MAX          INT64_MAX

/* printf formats for lwIP's integer types (u16_t is unsigned short, ...). */
#define X8_F  "02x"
#define U16_F "hu"
#define S16_F "hd"
#define X16_F "hx"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

#define BYTE_ORDER LITTLE_ENDIAN
#define lwip_htons(x) __builtin_bswap16(x)
#define lwip_htonl(x) __builtin_bswap32(x)

#define LWIP_PLATFORM_DIAG(x) do { printf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) panic("lwIP: assertion \"%s\" failed at %s:%d", x, __FILE__, __LINE__)

/* TCP's initial sequence numbers and local ports (lib: net/sys_arch.c). */
unsigned flint_lwip_rand(void);
#define LWIP_RAND() ((u32_t)flint_lwip_rand())
/*
 * Without the hook lwIP's ISN is a counter that starts at 6510 and grows
 * with tcp_ticks: predictable, and the same in every clone of a snapshot.
 * A random ISN per connection is neither (RFC 6528's aim, without its
 * per-tuple clock, which only helps reuse of a TIME_WAIT tuple).
 */
#define LWIP_HOOK_TCP_ISN(local_ip, local_port, remote_ip, remote_port) LWIP_RAND()

#endif
