#ifndef GUEST_KERNEL_IOAPIC_H
#define GUEST_KERNEL_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Routes IOAPIC input `pin` to `vector` on the CPU with APIC ID `apic_id`,
 * edge-triggered, active high, unmasked.  Pins 0-23 belong to the IOAPIC
 * at 0xfec00000, 24-47 to a second one at 0xfec10000 (QEMU microvm's
 * layout).  Returns false, having printed why, when the pin does not exist.
 */
bool ioapic_route_edge(unsigned pin, uint8_t vector, uint8_t apic_id);

#endif
