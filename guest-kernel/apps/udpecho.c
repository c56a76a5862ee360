/*
 * udpecho [port=N]: sends every UDP datagram back to where it came from
 * (default port 7), until the VM is stopped.  ICMP echo (ping) is
 * answered by lwIP itself.  Needs ip= on the kernel command line
 * (net/netif.h).  Status 2 for bad arguments or no network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/pbuf.h"
#include "lwip/udp.h"
#include "net/netif.h"

static unsigned long echoed, failed;

static void on_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
		    u16_t port)
{
	(void)arg;
	if (udp_sendto(pcb, p, addr, port) == ERR_OK)
		echoed++;
	else
		failed++;
	pbuf_free(p);
}

int main(int argc, char **argv)
{
	unsigned long port = 7;
	struct udp_pcb *pcb;
	char *end;

	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "port=", 5)) {
			port = strtoul(argv[i] + 5, &end, 10);
			if (end == argv[i] + 5 || *end || port == 0 || port > 65535) {
				printf("udpecho: bad %s (want port=1..65535)\n", argv[i]);
				return 2;
			}
		} else {
			printf("udpecho: unknown argument '%s' (want port=N)\n", argv[i]);
			return 2;
		}
	}
	if (!flint_net_init())
		return 2;
	pcb = udp_new();
	if (!pcb || udp_bind(pcb, IP_ANY_TYPE, (u16_t)port) != ERR_OK) {
		printf("udpecho: cannot bind UDP port %lu\n", port);
		return 2;
	}
	udp_recv(pcb, on_recv, NULL);
	printf("udpecho: listening on UDP port %lu\n", port);
	flint_net_serve();
}
