/*
 * The tap side of [net.NAME].  The interface is the operator's: flint
 * attaches to a persistent tap made beforehand (`ip tuntap add NAME mode
 * tap`), so it needs no right to create interfaces and never leaves one
 * behind.  TUNSETIFF on a name that does not exist would create a
 * throw-away tap instead of failing, hence the look-up first and the
 * IFF_PERSIST check after.
 */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

/* What /sys says the interface is, for a precise "not a tap" message. */
static const char *kind_of(const char *name)
{
	char path[64], buf[32];
	unsigned long flags;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "it is not a tun/tap device";
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return "it is not a tap device";
	buf[n] = 0;
	flags = strtoul(buf, NULL, 16);
	return flags & IFF_TUN ? "it is a tun (layer 3) device, not a tap" : "it is not a tap device";
}

/*
 * TUNSETIFF, waiting up to TAP_BUSY_WAIT_MS while the tap is busy: a VM
 * that has just exited leaves its tap to its teardown helper, which lets
 * it go a millisecond or so later (vmm/machine/teardown.h), and a VM restarted on
 * the same tap at once must not be refused for that.  A tap that is
 * really in use is still refused, that much later.
 */
#define TAP_BUSY_WAIT_MS 500
static int tunsetiff(int fd, struct ifreq *ifr)
{
	/* Looked at every 50 us: the helper lets go ~1 ms after its VM exits. */
	for (int tries = 0;; tries++) {
		struct timespec gap = { 0, 50000 };

		if (ioctl(fd, TUNSETIFF, ifr) == 0)
			return 0;
		if (errno != EBUSY || tries == TAP_BUSY_WAIT_MS * 20)
			return -1;
		nanosleep(&gap, NULL);
	}
}

int tap_open(const char *name, bool *offload, char *err, size_t errlen)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr = VIRTIO_NET_HDR_LEN, fd;

	*offload = false;
	if (strlen(name) >= IFNAMSIZ) {
		snprintf(err, errlen, "interface names are at most %d bytes", IFNAMSIZ - 1);
		return -1;
	}
	if (!if_nametoindex(name)) {
		snprintf(err, errlen, "no such interface in this network namespace (flint attaches to an "
			 "existing tap: create it with `ip tuntap add %s mode tap`)", name);
		return -1;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "/dev/net/tun: %s%s", strerror(errno),
			 errno == ENOENT ? " (load the tun module: modprobe tun)" : "");
		return -1;
	}
	memcpy(ifr.ifr_name, name, strlen(name) + 1);
	if (tunsetiff(fd, &ifr) < 0) {
		int e = errno;

		close(fd);
		if (e == EBUSY)
			snprintf(err, errlen, "busy: another process (another VM?) has this tap open; give each "
				 "VM a tap of its own (`ip tuntap add IFNAME mode tap`)");
		else if (e == EINVAL)
			snprintf(err, errlen, "%s; create a tap with `ip tuntap add IFNAME mode tap` and name it here",
				 kind_of(name));
		else if (e == EPERM)
			snprintf(err, errlen, "permission denied: the tap belongs to another user (make it yours "
				 "with `ip tuntap add %s mode tap user $USER`, or run flint as root)", name);
		else
			snprintf(err, errlen, "TUNSETIFF: %s", strerror(e));
		return -1;
	}
	/* Gone between the look-up and the attach: the kernel just made us a
	 * throw-away tap, which closing removes again. */
	if (ioctl(fd, TUNGETIFF, &ifr) < 0 || !(ifr.ifr_flags & IFF_PERSIST)) {
		close(fd);
		snprintf(err, errlen, "no such persistent tap (it disappeared, or was not made with "
			 "`ip tuntap add %s mode tap`)", name);
		return -1;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		snprintf(err, errlen, "TUNSETVNETHDRSZ %d: %s", hdr, strerror(errno));
		close(fd);
		return -1;
	}
	/*
	 * Whether the tap takes offloads at all: then the guest may send
	 * partly checksummed and TSO frames, which a tap with a vnet header
	 * accepts whatever its receive offloads are.  Those (what the tap may
	 * hand us) go back to none: which of them the guest can take is only
	 * known once its driver accepts features, after the sandbox is on,
	 * and a TUNSETOFFLOAD then would put an ioctl on a filtered thread.
	 * Plain frames suit every guest.
	 */
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)) == 0) {
		*offload = true;
		if (ioctl(fd, TUNSETOFFLOAD, 0ul) < 0) {
			snprintf(err, errlen, "TUNSETOFFLOAD 0: %s", strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}
