/*
 * virtio-console (virtio 1.2 §5.3), port 0 only: queue 0 receives, queue
 * 1 transmits.  The guest library's stdin and stdout (lib/stdout.c) use
 * it when the monitor offers one; the UART keeps stderr.
 *
 * End of input: Flint's device returns one empty receive buffer when its
 * input has ended (virtio/console.h).  A device that never does (QEMU's
 * single-port virtconsole: without multiport it has no way to say it)
 * leaves vcons_read() waiting for input for ever.
 */
#ifndef GUEST_DRIVERS_VIRTIO_CONSOLE_H
#define GUEST_DRIVERS_VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

/* Finds and sets up the first virtio-console, once; false if there is none (or it failed). */
bool vcons_open(void);

/*
 * Hands n bytes to the device (copied: buf is free at return).  Waits
 * only while every transmit buffer is in flight, i.e. while the host's
 * reader is behind.
 */
void vcons_write(const void *buf, size_t n);
/* Returns once the device has taken everything written so far. */
void vcons_drain(void);
/* Up to n bytes of input, waiting for at least one; 0 at end of input. */
size_t vcons_read(void *buf, size_t n);

#endif
