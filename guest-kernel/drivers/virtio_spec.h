/*
 * What the virtio 1.2 specification fixes for the parts this guest uses:
 * the virtio-mmio version 2 registers (§4.2.2), device status and feature
 * bits (§2.1, §6), the split virtqueue layout (§2.7) and the block
 * device's requests and configuration (§5.2), the network device's
 * header, features and configuration (§5.1).  Written from the spec:
 * linux-libc-dev's headers need <linux/types.h>, which a -nostdinc build
 * does not reach.  Everything is little-endian, as is x86.
 */
#ifndef GUEST_DRIVERS_VIRTIO_SPEC_H
#define GUEST_DRIVERS_VIRTIO_SPEC_H

#include <stdint.h>

/* ---- virtio-mmio registers: byte offsets, all 32 bits wide ---- */
#define VIRTIO_MMIO_MAGIC_VALUE        0x000   /* "virt" */
#define VIRTIO_MMIO_VERSION            0x004   /* 2: modern; 1: legacy */
#define VIRTIO_MMIO_DEVICE_ID          0x008   /* 0: placeholder, no device */
#define VIRTIO_MMIO_VENDOR_ID          0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES    0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES    0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL          0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX      0x034
#define VIRTIO_MMIO_QUEUE_NUM          0x038
#define VIRTIO_MMIO_QUEUE_READY        0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY       0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS   0x060
#define VIRTIO_MMIO_INTERRUPT_ACK      0x064
#define VIRTIO_MMIO_STATUS             0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW     0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH    0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW   0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH  0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW   0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH  0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION  0x0fc
#define VIRTIO_MMIO_CONFIG             0x100   /* device-specific configuration */

#define VIRTIO_MMIO_MAGIC              0x74726976u
#define VIRTIO_MMIO_INT_VRING          (1u << 0)   /* used buffer notification */
#define VIRTIO_MMIO_INT_CONFIG         (1u << 1)   /* configuration change */

/* ---- device status (§2.1) ---- */
#define VIRTIO_S_ACKNOWLEDGE           1u
#define VIRTIO_S_DRIVER                2u
#define VIRTIO_S_DRIVER_OK             4u
#define VIRTIO_S_FEATURES_OK           8u
#define VIRTIO_S_DEVICE_NEEDS_RESET    64u
#define VIRTIO_S_FAILED                128u

/* ---- device-independent feature bits (§6) ---- */
#define VIRTIO_F_INDIRECT_DESC         28
#define VIRTIO_F_EVENT_IDX             29
#define VIRTIO_F_VERSION_1             32

/* ---- device IDs (§5) ---- */
#define VIRTIO_ID_NET                  1
#define VIRTIO_ID_BLOCK                2
#define VIRTIO_ID_CONSOLE              3

/* ---- split virtqueue (§2.7) ---- */
#define VIRTQ_DESC_F_NEXT              1u
#define VIRTQ_DESC_F_WRITE             2u   /* device writes (otherwise reads) */
#define VIRTQ_AVAIL_F_NO_INTERRUPT     1u   /* without EVENT_IDX: a hint */
#define VIRTQ_USED_F_NO_NOTIFY         1u

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* ring[size] is followed by used_event (EVENT_IDX) */
struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct virtq_used_elem {
	uint32_t id;    /* head of the completed chain */
	uint32_t len;   /* bytes the device wrote into it */
};

/* ring[size] is followed by avail_event (EVENT_IDX) */
struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];
};

/* Alignments the device may rely on (§2.7, table "Virtqueue Part Alignment"). */
#define VIRTQ_DESC_ALIGN               16
#define VIRTQ_AVAIL_ALIGN              2
#define VIRTQ_USED_ALIGN               4

/* ---- block device (§5.2) ---- */
#define VIRTIO_BLK_F_SIZE_MAX          1    /* size_max: largest data segment */
#define VIRTIO_BLK_F_SEG_MAX           2    /* seg_max: data segments per request */
#define VIRTIO_BLK_F_RO                5
#define VIRTIO_BLK_F_BLK_SIZE          6    /* blk_size: the logical block size */
#define VIRTIO_BLK_F_FLUSH             9

/* byte offsets in the configuration space */
#define VIRTIO_BLK_CFG_CAPACITY        0    /* 64 bits, in 512-byte sectors */
#define VIRTIO_BLK_CFG_SIZE_MAX        8
#define VIRTIO_BLK_CFG_SEG_MAX         12
#define VIRTIO_BLK_CFG_BLK_SIZE        20

#define VIRTIO_BLK_T_IN                0    /* read */
#define VIRTIO_BLK_T_OUT               1    /* write */
#define VIRTIO_BLK_T_FLUSH             4

#define VIRTIO_BLK_S_OK                0
#define VIRTIO_BLK_S_IOERR             1
#define VIRTIO_BLK_S_UNSUPP            2

#define VIRTIO_BLK_SECTOR_SIZE         512

/* ---- network device (§5.1) ---- */
#define VIRTIO_NET_F_MTU               3    /* mtu: the largest MTU the device supports */
#define VIRTIO_NET_F_MAC               5    /* mac: the device's address */
#define VIRTIO_NET_F_MRG_RXBUF         15   /* a packet may span num_buffers receive buffers */
#define VIRTIO_NET_F_STATUS            16   /* status: link state */

/* byte offsets in the configuration space */
#define VIRTIO_NET_CFG_MAC             0    /* 6 bytes */
#define VIRTIO_NET_CFG_STATUS          6    /* 16 bits */
#define VIRTIO_NET_CFG_MTU             10   /* 16 bits */

#define VIRTIO_NET_S_LINK_UP           1u

#define VIRTIO_NET_RXQ                 0
#define VIRTIO_NET_TXQ                 1

/*
 * struct virtio_net_hdr_v1: before every frame, both ways.  With
 * VERSION_1 it is always 12 bytes, num_buffers included (§5.1.6); this
 * driver offloads nothing, so on transmit it is all zeros.
 */
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;   /* receive, with MRG_RXBUF: buffers this packet spans */
};
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "virtio_net_hdr_v1 is 12 bytes");

/* The request header the device reads first. */
struct virtio_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/*
 * True when moving an event index from `old` to `new` crosses `event`,
 * i.e. the other side asked to hear about index event + 1 (§2.7.7.2,
 * §2.7.10.1).  All arithmetic is modulo 2^16.
 */
static inline int virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

#endif
