/* Unit tests for the tap side of [net.NAME] (vmm/tap.c, vmm/net.c) that need no tap and no KVM. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "net_module.h"
#include "tap.h"

TEST(missing_interface_is_not_created)
{
	char err[512] = "";
	bool offload = true;

	CHECK(tap_open("attachnosuch0", &offload, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "no such interface in this network namespace");
	CHECK_CONTAINS(err, "ip tuntap add attachnosuch0 mode tap");
	CHECK(!offload);
	/* Nothing was made in passing. */
	CHECK(access("/sys/class/net/attachnosuch0", F_OK) != 0);
}

TEST(loopback_is_not_a_tap)
{
	char err[512] = "";
	bool offload;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		/* No tun here: the error must say so instead. */
		CHECK(tap_open("lo", &offload, err, sizeof(err)) == -1);
		CHECK_CONTAINS(err, "/dev/net/tun");
		return;
	}
	close(fd);
	CHECK(tap_open("lo", &offload, err, sizeof(err)) == -1);
	if (geteuid() == 0)
		CHECK_CONTAINS(err, "not a tun/tap device; create a tap with `ip tuntap add IFNAME mode tap`");
	else
		CHECK(strstr(err, "not a tun/tap device") || strstr(err, "permission denied"));
}

TEST(name_too_long)
{
	char err[512] = "";
	bool offload;

	CHECK(tap_open("x234567890123456", &offload, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "at most 15 bytes");
}

static struct config_net net(bool ip, bool gw)
{
	return (struct config_net){
		.name = "eth0", .tap = "t0", .mtu = 1500, .has_ip = ip, .ip = 10u << 24 | 2,
		.prefix = 24, .has_gateway = gw, .gateway = 10u << 24 | 1,
	};
}

TEST(ip_param_linux_syntax)
{
	struct config_net n = net(true, true);
	char buf[96];

	CHECK(net_ip_param(&n, 0, buf, sizeof(buf)) == 0);
	CHECK(!strcmp(buf, "ip=10.0.0.2::10.0.0.1:255.255.255.0::eth0:off"));
	n = net(true, false);
	n.prefix = 12;
	n.ip = 172u << 24 | 16 << 16 | 5;
	CHECK(net_ip_param(&n, 3, buf, sizeof(buf)) == 0);
	CHECK(!strcmp(buf, "ip=172.16.0.5:::255.240.0.0::eth3:off"));
	n.prefix = 32;
	CHECK(net_ip_param(&n, 1, buf, sizeof(buf)) == 0);
	CHECK(!strcmp(buf, "ip=172.16.0.5:::255.255.255.255::eth1:off"));
}

TEST(ip_param_absent_or_no_room)
{
	struct config_net n = net(false, false);
	char buf[96] = "junk";

	CHECK(net_ip_param(&n, 0, buf, sizeof(buf)) == 0 && buf[0] == 0);
	n = net(true, true);
	CHECK(net_ip_param(&n, 0, buf, 20) == -1);
}

CHECK_MAIN()
