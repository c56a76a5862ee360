#ifndef GUEST_KERNEL_CONSOLE_IN_H
#define GUEST_KERNEL_CONSOLE_IN_H

#include <stddef.h>

/*
 * Console input from Flint's UART (port 0x3f8, which is also QEMU's first
 * serial port): blocks until at least one byte came, returns how many
 * (1..len).  Every byte costs two exits (LSR, RBR): the virtio console
 * replaces it for anything bigger than a request line.
 */
size_t console_read(void *buf, size_t len);

#endif
