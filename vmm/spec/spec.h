/*
 * The machine spec: what the VM is (memory, vCPUs, kernel, devices, sandbox,
 * control socket), with no INI in it.  A front end fills it (vmm/spec/config.c:
 * an INI file and --set overrides; an OCI config.json later) and runs
 * spec_check(), which holds every rule; only the front end knows file names
 * and lines, and turns each problem into its own message.
 */
#ifndef FLINT_SPEC_H
#define FLINT_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sandbox.h"
#include "serve_config.h"

#define CONFIG_MEMORY_MIN (4ull << 20)      /* kernel at 1 MiB + stack and heap */
#define CONFIG_MEMORY_MAX (3ull << 30)      /* RAM ends where the MMIO hole begins */
#define CONFIG_MEMORY_DEFAULT (64ull << 20)
#define CONFIG_VCPUS_MAX 64
#define CONFIG_CMDLINE_MAX 4000             /* leaves room in the 4 KiB boot page */
#define CONFIG_DRIVES_MAX 8
#define CONFIG_NETS_MAX 8
#define CONFIG_NAME_MAX 32                  /* NAME in [drive.NAME], [net.NAME]: [A-Za-z0-9_-] */
#define CONFIG_MTU_MIN 68                   /* IPv4's minimum */
#define CONFIG_MTU_MAX 65535
#define CONFIG_MTU_DEFAULT 1500
#define CONFIG_SOCKET_PATH_MAX 107          /* sizeof(sockaddr_un.sun_path) - 1 */

enum console_output { CONSOLE_OUT_STDOUT, CONSOLE_OUT_NONE, CONSOLE_OUT_FILE };
enum console_input { CONSOLE_IN_NONE, CONSOLE_IN_STDIN };
/* [machine] hugepages (vmm/machine/vm.h, struct vm_backing): unset means
 * off for flint run and on for the VMs of flint serve. */
enum spec_hugepages { HUGEPAGES_UNSET, HUGEPAGES_OFF, HUGEPAGES_ON };
/* Which device carries the guest's stdin and stdout ([console] device). */
enum console_device { CONSOLE_DEV_UART, CONSOLE_DEV_VIRTIO };

struct config_drive {
	char *name;              /* NAME of [drive.NAME], 1..CONFIG_NAME_MAX characters */
	char *path;              /* raw disk image, resolved by the front end */
	bool readonly;           /* default false */
};

struct config_net {
	char *name;              /* NAME of [net.NAME] */
	char *tap;               /* an existing tap interface (never created), at most 15 bytes */
	uint8_t mac[6];          /* default: locally administered, from a hash of NAME */
	uint16_t mtu;            /* CONFIG_MTU_MIN..MAX, default 1500 */
	bool has_ip, has_gateway;
	uint32_t ip, gateway;    /* host byte order */
	unsigned prefix;         /* 1..32, with ip */
};

/*
 * Where each key's value was given, for the messages of errors found later
 * (a kernel, image, tap or socket that fails when opened): filled by the
 * front end that read the configuration, which alone knows file names and
 * lines (vmm/spec/config.c keeps a table).  where() answers "config.ini:7" or
 * "--set kernel.initrd=x"; for a key given nowhere (a default), or key
 * NULL, the source as a whole ("config.ini").
 */
struct spec_origin {
	const char *(*where)(const struct spec_origin *o, const char *section, const char *key,
			     unsigned index);
	void (*release)(struct spec_origin *o);
};

struct flint_spec {
	uint64_t memory;         /* bytes, [machine] memory */
	unsigned vcpus;          /* [machine] vcpus, 1..CONFIG_VCPUS_MAX */
	enum spec_hugepages hugepages;  /* [machine] hugepages */
	char *kernel_path;       /* [kernel] path, resolved by the front end */
	char *cmdline;           /* [kernel] cmdline, "" if none; continuation lines joined by ' ' */
	char *initrd_path;       /* [kernel] initrd, resolved by the front end; NULL if none */
	enum console_output console_output;
	char *console_path;      /* for CONSOLE_OUT_FILE, resolved by the front end */
	enum console_input console_input;
	enum console_device console_device; /* default uart; the UART stays either way (stderr) */
	enum seccomp_mode seccomp;   /* [sandbox] seccomp, default trap */
	/* [sandbox] chroot (resolved by the front end), uid, gid,
	 * namespaces; by default none of them. */
	struct sandbox_jail jail;
	struct config_drive drives[CONFIG_DRIVES_MAX];   /* in file order, then new ones from --set */
	unsigned ndrives;
	char *control_path;      /* [control] socket (QMP), resolved; NULL: no control socket */
	struct config_net nets[CONFIG_NETS_MAX];         /* in file order, then new ones from --set */
	unsigned nnets;
	struct spec_origin *origin;    /* NULL: nothing to say where (a spec built in code) */
	struct serve_config serve;                       /* [serve]: flint serve only */
};


/* The defaults: 64M, one vCPU, console on stdout, seccomp trap, the rest
 * empty (kernel path unset: spec_check says it is required). */
int spec_init(struct flint_spec *s);
/* Frees what s holds, its origin too, and zeroes it. */
void spec_free(struct flint_spec *s);

/* origin->where(), or "configuration" without an origin: never NULL.
 * index tells [drive.NAME] (or [net.NAME]) instances apart; 0 otherwise. */
const char *spec_where(const struct flint_spec *s, const char *section, const char *key, unsigned index);

/* One broken rule: (section, key, index, why). */
struct spec_problem {
	const char *section;    /* "machine", "drive", "net", ... */
	const char *key;        /* "memory" */
	unsigned index;         /* which [drive.NAME] or [net.NAME]; 0 for the others */
	enum {
		SPEC_BAD_VALUE,     /* the key's value breaks a rule of its own */
		SPEC_MISSING,       /* a required key was not given; why is NULL */
		SPEC_CONFLICT,      /* the key against another: why names both ("gateway needs ip...") */
	} kind;
	const char *why;
};

/*
 * Checks every rule on a filled spec: each value, then the required keys,
 * then the rules between keys.  Calls report() once per problem, in that
 * order, and returns how many there were (0: the spec is good).
 */
int spec_check(const struct flint_spec *s, void (*report)(void *ctx, const struct spec_problem *p), void *ctx);

/*
 * The rules for single values, which spec_check() applies and a front end
 * may apply while it reads, to report a bad value where it was written.
 * Each returns NULL, or why the value is refused (static, or in buf, which
 * needs SPEC_WHY_MAX bytes).
 */
#define SPEC_WHY_MAX 160
const char *spec_memory_why(uint64_t bytes, char *buf);
const char *spec_vcpus_why(unsigned long n, char *buf);
const char *spec_cmdline_why(size_t len, char *buf);
const char *spec_name_why(const char *name, char *buf);        /* NAME of a drive or net */
const char *spec_tap_why(const char *tap, char *buf);
const char *spec_mtu_why(unsigned long mtu, char *buf);
const char *spec_mac_why(const uint8_t mac[6]);
const char *spec_ip_why(uint32_t ip, unsigned prefix);         /* prefix 1..32 */
const char *spec_id_why(uint64_t id);                          /* [sandbox] uid, gid */
const char *spec_socket_why(const char *path, char *buf);

#endif
