/*
 * The machine spec's rules, all of them: a front end reports them in its
 * own terms (vmm/config.c: "config.ini:7: [machine] memory = ...").
 */
#include "spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int spec_init(struct config *s)
{
	memset(s, 0, sizeof(*s));
	s->memory = CONFIG_MEMORY_DEFAULT;
	s->vcpus = 1;
	s->console_output = CONSOLE_OUT_STDOUT;
	s->console_input = CONSOLE_IN_NONE;
	s->seccomp = SECCOMP_MODE_TRAP;
	s->cmdline = strdup("");
	return s->cmdline ? 0 : -1;
}

void spec_free(struct config *s)
{
	for (unsigned i = 0; i < s->ndrives; i++) {
		free(s->drives[i].name);
		free(s->drives[i].path);
	}
	for (unsigned i = 0; i < s->nnets; i++) {
		free(s->nets[i].name);
		free(s->nets[i].tap);
	}
	free(s->kernel_path);
	free(s->cmdline);
	free(s->initrd_path);
	free(s->console_path);
	free(s->jail.root);
	free(s->control_path);
	if (s->origin)
		s->origin->release(s->origin);
	memset(s, 0, sizeof(*s));
}

const char *spec_where(const struct config *s, const char *section, const char *key, unsigned index)
{
	return s->origin ? s->origin->where(s->origin, section, key, index) : "configuration";
}

/* ---- single values ----------------------------------------------------- */

/* "4194304" -> "4M": bounds in messages read like the values users write. */
static const char *size_str(uint64_t v, char *buf, size_t len)
{
	/* Strings, not "%.*s" into "KMG": gcc 12 crashes on that at -O0. */
	static const char *const units[] = { "", "K", "M", "G" };
	size_t u = 0;

	while (u < 3 && v && !(v & 1023)) {
		v >>= 10;
		u++;
	}
	snprintf(buf, len, "%llu%s", (unsigned long long)v, units[u]);
	return buf;
}

const char *spec_memory_why(uint64_t bytes, char *buf)
{
	char lo[24], hi[24];

	if (bytes < CONFIG_MEMORY_MIN || bytes > CONFIG_MEMORY_MAX) {
		snprintf(buf, SPEC_WHY_MAX, "must be %s to %s", size_str(CONFIG_MEMORY_MIN, lo, sizeof(lo)),
			 size_str(CONFIG_MEMORY_MAX, hi, sizeof(hi)));
		return buf;
	}
	/* Guest RAM is mapped into KVM in whole pages. */
	if (bytes & 4095)
		return "must be a multiple of 4K";
	return NULL;
}

const char *spec_vcpus_why(unsigned long n, char *buf)
{
	if (n >= 1 && n <= CONFIG_VCPUS_MAX)
		return NULL;
	snprintf(buf, SPEC_WHY_MAX, "must be 1 to %d", CONFIG_VCPUS_MAX);
	return buf;
}

const char *spec_cmdline_why(size_t len, char *buf)
{
	if (len <= CONFIG_CMDLINE_MAX)
		return NULL;
	snprintf(buf, SPEC_WHY_MAX, "cmdline longer than %d characters in all (shorten it)", CONFIG_CMDLINE_MAX);
	return buf;
}

const char *spec_name_why(const char *name, char *buf)
{
	size_t n = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
	unsigned char ch = (unsigned char)name[n];

	if (!*name)
		return "empty name";
	if (ch) {
		if (ch >= ' ' && ch < 127)
			snprintf(buf, SPEC_WHY_MAX, "'%c' is not allowed in a name", ch);
		else
			snprintf(buf, SPEC_WHY_MAX, "byte 0x%02x is not allowed in a name", ch);
		return buf;
	}
	if (n > CONFIG_NAME_MAX) {
		snprintf(buf, SPEC_WHY_MAX, "name longer than %d characters", CONFIG_NAME_MAX);
		return buf;
	}
	return NULL;
}

/* The kernel's rules for an interface name (dev_valid_name). */
const char *spec_tap_why(const char *tap, char *buf)
{
	if (strlen(tap) > 15)
		return "interface names are at most 15 bytes (IFNAMSIZ - 1)";
	if (!*tap || !strcmp(tap, ".") || !strcmp(tap, ".."))
		return "not an interface name";
	for (const char *c = tap; *c; c++)
		if (*c == '/' || *c == ':' || *c == ' ' || (*c >= '\t' && *c <= '\r')) {
			snprintf(buf, SPEC_WHY_MAX, "'%c' is not allowed in an interface name", *c == '\t' ? ' ' : *c);
			return buf;
		}
	return NULL;
}

const char *spec_mtu_why(unsigned long mtu, char *buf)
{
	if (mtu >= CONFIG_MTU_MIN && mtu <= CONFIG_MTU_MAX)
		return NULL;
	snprintf(buf, SPEC_WHY_MAX, "must be %d to %d", CONFIG_MTU_MIN, CONFIG_MTU_MAX);
	return buf;
}

const char *spec_mac_why(const uint8_t mac[6])
{
	if (mac[0] & 1)
		return "a multicast address: the guest's own must be unicast (the first byte even, e.g. 52:54:00:12:34:56)";
	if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return "the all-zero address is not a station's (e.g. 52:54:00:12:34:56)";
	return NULL;
}

static uint32_t prefix_mask(unsigned prefix)
{
	return prefix ? ~0u << (32 - prefix) : 0;
}

const char *spec_ip_why(uint32_t ip, unsigned prefix)
{
	uint32_t host = ip & ~prefix_mask(prefix);

	if (prefix < 1 || prefix > 32)
		return "the prefix length must be 1 to 32 (e.g. 10.0.0.2/24)";
	if (!ip)
		return "0.0.0.0 is no host's address";
	if (prefix <= 30 && host == 0)
		return "that is the network's own address, not a host's (e.g. 10.0.0.2/24)";
	if (prefix <= 30 && host == ~prefix_mask(prefix))
		return "that is the network's broadcast address, not a host's";
	return NULL;
}

/* -1 means "unchanged" to setresuid() and setresgid(). */
const char *spec_id_why(uint64_t id)
{
	return id > UINT32_MAX - 1 ? "must be 0 to 4294967294" : NULL;
}

/* The QMP socket (vmm/control.c): a Unix socket path holds at most 107
 * bytes; said here so that `flint check` catches it. */
const char *spec_socket_why(const char *path, char *buf)
{
	if (strlen(path) <= CONFIG_SOCKET_PATH_MAX)
		return NULL;
	snprintf(buf, SPEC_WHY_MAX, "path longer than %d bytes once resolved (a Unix socket limit: use a "
		 "shorter one)", CONFIG_SOCKET_PATH_MAX);
	return buf;
}

/* ---- the whole spec ---------------------------------------------------- */

struct checker {
	void (*report)(void *ctx, const struct spec_problem *p);
	void *ctx;
	int problems;
	char buf[SPEC_WHY_MAX];
};

static void problem(struct checker *c, int kind, const char *section, const char *key, unsigned index,
		    const char *why)
{
	struct spec_problem p = { .section = section, .key = key, .index = index, .kind = kind, .why = why };

	c->problems++;
	c->report(c->ctx, &p);
}

static void value(struct checker *c, const char *section, const char *key, unsigned index, const char *why)
{
	if (why)
		problem(c, SPEC_BAD_VALUE, section, key, index, why);
}

static void values(struct checker *c, const struct config *s)
{
	value(c, "machine", "memory", 0, spec_memory_why(s->memory, c->buf));
	value(c, "machine", "vcpus", 0, spec_vcpus_why(s->vcpus, c->buf));
	value(c, "kernel", "cmdline", 0, spec_cmdline_why(s->cmdline ? strlen(s->cmdline) : 0, c->buf));
	if (s->jail.set_uid)
		value(c, "sandbox", "uid", 0, spec_id_why(s->jail.uid));
	if (s->jail.set_gid)
		value(c, "sandbox", "gid", 0, spec_id_why(s->jail.gid));
	if (s->control_path)
		value(c, "control", "socket", 0, spec_socket_why(s->control_path, c->buf));
	for (unsigned i = 0; i < s->ndrives; i++)
		value(c, "drive", "name", i, spec_name_why(s->drives[i].name, c->buf));
	for (unsigned i = 0; i < s->nnets; i++) {
		const struct config_net *n = &s->nets[i];

		value(c, "net", "name", i, spec_name_why(n->name, c->buf));
		if (n->tap)
			value(c, "net", "tap", i, spec_tap_why(n->tap, c->buf));
		value(c, "net", "mac", i, spec_mac_why(n->mac));
		value(c, "net", "mtu", i, spec_mtu_why(n->mtu, c->buf));
		if (n->has_ip)
			value(c, "net", "ip", i, spec_ip_why(n->ip, n->prefix));
	}
}

static void required(struct checker *c, const struct config *s)
{
	if (!s->kernel_path)
		problem(c, SPEC_MISSING, "kernel", "path", 0, NULL);
	for (unsigned i = 0; i < s->ndrives; i++)
		if (!s->drives[i].path)
			problem(c, SPEC_MISSING, "drive", "path", i, NULL);
	for (unsigned i = 0; i < s->nnets; i++)
		if (!s->nets[i].tap)
			problem(c, SPEC_MISSING, "net", "tap", i, NULL);
}

/* What only a whole [net.NAME], or all of them, can say. */
static void between(struct checker *c, const struct config *s)
{
	for (unsigned i = 0; i < s->nnets; i++) {
		const struct config_net *n = &s->nets[i];
		uint32_t net = n->ip & prefix_mask(n->prefix);

		if (n->has_gateway && !n->has_ip) {
			problem(c, SPEC_CONFLICT, "net", "gateway", i,
				"gateway needs ip, the guest's own address (e.g. ip = 10.0.0.2/24)");
		} else if (n->has_gateway && ((n->gateway ^ n->ip) & prefix_mask(n->prefix))) {
			snprintf(c->buf, sizeof(c->buf), "gateway = %u.%u.%u.%u: outside the guest's network "
				 "%u.%u.%u.%u/%u (ip)", n->gateway >> 24, n->gateway >> 16 & 255,
				 n->gateway >> 8 & 255, n->gateway & 255, net >> 24, net >> 16 & 255, net >> 8 & 255,
				 net & 255, n->prefix);
			problem(c, SPEC_CONFLICT, "net", "gateway", i, c->buf);
		} else if (n->has_gateway && n->gateway == n->ip) {
			problem(c, SPEC_CONFLICT, "net", "gateway", i, "gateway is the guest's own address (ip)");
		}
		for (unsigned j = 0; j < i && n->tap; j++)
			if (s->nets[j].tap && !strcmp(s->nets[j].tap, n->tap)) {
				snprintf(c->buf, sizeof(c->buf), "tap = %s: already used by [net.%s] (one tap per "
					 "interface)", n->tap, s->nets[j].name);
				problem(c, SPEC_CONFLICT, "net", "tap", i, c->buf);
			}
	}
}

int spec_check(const struct config *s, void (*report)(void *ctx, const struct spec_problem *p), void *ctx)
{
	struct checker c = { .report = report, .ctx = ctx };

	values(&c, s);
	required(&c, s);
	between(&c, s);
	return c.problems;
}
