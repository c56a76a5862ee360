/* Unit tests for the tap side of [net.NAME] (vmm/tap.c, vmm/net.c) that need no tap and no KVM. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "machine.h"
#include "net_module.h"
#include "tap.h"

extern const struct device_module net_module;

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

/* flint run's error for a bad tap names the config line, as check's does. */
TEST(setup_error_names_the_tap_line)
{
	static struct machine m;
	char dir[] = "/tmp/flint-tap-XXXXXX", ini[64], err[1024] = "", want[128];
	struct config cfg;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(ini, sizeof(ini), "%s/n.ini", dir);
	f = fopen(ini, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs("[kernel]\npath = k.elf\n\n[net.eth0]\nmtu = 9000\ntap = attachnosuch1\n", f);
	fclose(f);
	CHECK(config_load(&cfg, ini, NULL, 0, err, sizeof(err)) == 0);
	unlink(ini);
	rmdir(dir);
	m = (struct machine){ .cfg = &cfg };
	CHECK(net_module.setup(&m, err, sizeof(err)) == NULL);
	snprintf(want, sizeof(want), "%s:6: [net.eth0] tap = \"attachnosuch1\": no such interface", ini);
	CHECK_CONTAINS(err, want);
	CHECK_CONTAINS(err, "ip tuntap add attachnosuch1 mode tap");
	/* check says the same and prints nothing */
	{
		char *errs = NULL;
		size_t len = 0;
		FILE *ef = open_memstream(&errs, &len);

		CHECK(ef != NULL);
		if (ef) {
			CHECK(net_check(&cfg, stdout, ef) == -1);
			fclose(ef);
			CHECK_CONTAINS(errs, want);
			free(errs);
		}
	}
	config_free(&cfg);
}

CHECK_MAIN()
