/*
 * lwIP's configuration for the Flint guest: NO_SYS (one thread, no OS),
 * the raw callback API, IPv4 with ARP, ICMP, UDP and TCP.  Memory comes
 * from the guest's malloc (MEM_LIBC_MALLOC), the pools are static.
 * Sized for one server on a 1500-byte link: a TCP window of 32 MiB/s at
 * a 1 ms round trip, which is what QEMU's TCG reaches.
 */
#ifndef FLINT_LWIPOPTS_H
#define FLINT_LWIPOPTS_H

#define NO_SYS                  1
#define SYS_LIGHTWEIGHT_PROT    0
#define LWIP_SOCKET             0
#define LWIP_NETCONN            0
#define LWIP_IPV4               1
#define LWIP_IPV6               0
#define LWIP_ARP                1
#define LWIP_ETHERNET           1
#define LWIP_ICMP               1
#define LWIP_RAW                0
#define LWIP_UDP                1
#define LWIP_TCP                1
#define LWIP_DHCP               0
#define LWIP_DNS                0
#define LWIP_IGMP               0
#define LWIP_NETIF_LINK_CALLBACK 0
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_SINGLE_NETIF       1

#define MEM_LIBC_MALLOC         1
#define MEM_ALIGNMENT           8
#define MEMP_NUM_PBUF           64
#define MEMP_NUM_UDP_PCB        8
#define MEMP_NUM_TCP_PCB        32
#define MEMP_NUM_TCP_PCB_LISTEN 8
#define MEMP_NUM_TCP_SEG        256
#define PBUF_POOL_SIZE          256
#define PBUF_POOL_BUFSIZE       LWIP_MEM_ALIGN_SIZE(TCP_MSS + 40 + PBUF_LINK_ENCAPSULATION_HLEN + PBUF_LINK_HLEN)

#define TCP_MSS                 1460
#define TCP_WND                 (32 * TCP_MSS)
#define TCP_SND_BUF             (32 * TCP_MSS)
#define TCP_SND_QUEUELEN        (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_QUEUE_OOSEQ         1
#define LWIP_TCP_KEEPALIVE      0
#define TCP_LISTEN_BACKLOG      1
#define IP_REASSEMBLY           1
#define IP_FRAG                 1

/* The device computes no checksums for us (no VIRTIO_NET_F_CSUM), so lwIP does. */
#define CHECKSUM_GEN_IP         1
#define CHECKSUM_CHECK_IP       1
#define LWIP_CHKSUM_ALGORITHM   3

#define LWIP_STATS              1
/* 32-bit counters: a 16 MiB transfer is ~12k segments, so lwIP's default
 * 16-bit ones wrapped within a few (httpd's /stats showed tcp_rx_segments
 * 17075 beside rx_packets 148148). */
#define LWIP_STATS_LARGE        1
#define LWIP_STATS_DISPLAY      0
#define MIB2_STATS              0
#define LWIP_NETIF_HOSTNAME     0
#define LWIP_NETIF_API          0
#define LWIP_HAVE_LOOPIF        0
#define LWIP_NETIF_LOOPBACK     0

#define LWIP_DEBUG              0
#define LWIP_NOASSERT_ON_ERROR  0

#endif
