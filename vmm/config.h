/* Launch configuration: an INI file (inih) plus --set overrides. */
#ifndef FLINT_CONFIG_H
#define FLINT_CONFIG_H

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

struct config_drive {
	char *name;              /* NAME of [drive.NAME], 1..CONFIG_NAME_MAX characters */
	char *path;              /* raw disk image, resolved against the INI's folder */
	bool readonly;           /* default false */
};

struct config_net {
	char *name;              /* NAME of [net.NAME] */
	char *tap;               /* an existing tap interface (never created), at most 15 bytes */
	/* Where tap was given, "config.ini:12" or "--set net.a.tap=t0": the
	 * tap is opened at run time, and its errors must point here. */
	char *tap_where;
	uint8_t mac[6];          /* default: locally administered, from a hash of NAME */
	uint16_t mtu;            /* CONFIG_MTU_MIN..MAX, default 1500 */
	bool has_ip, has_gateway;
	uint32_t ip, gateway;    /* host byte order */
	unsigned prefix;         /* 1..32, with ip */
};

struct config {
	char *source;            /* INI path as given, for messages */
	uint64_t memory;         /* bytes, [machine] memory */
	unsigned vcpus;          /* [machine] vcpus, 1..CONFIG_VCPUS_MAX */
	char *kernel_path;       /* [kernel] path, resolved against the INI's folder */
	char *cmdline;           /* [kernel] cmdline, "" if none; continuation lines joined by ' ' */
	char *initrd_path;       /* [kernel] initrd, resolved against the INI's folder; NULL if none */
	char *initrd_where;      /* where it was set, for messages: "config.ini:4" or "--set kernel.initrd=x" */
	enum console_output console_output;
	char *console_path;      /* for CONSOLE_OUT_FILE, resolved against the INI's folder */
	enum console_input console_input;
	enum seccomp_mode seccomp;   /* [sandbox] seccomp, default trap */
	/* [sandbox] chroot (resolved against the INI's folder), uid, gid,
	 * namespaces; by default none of them. */
	struct sandbox_jail jail;
	struct config_drive drives[CONFIG_DRIVES_MAX];   /* in file order, then new ones from --set */
	unsigned ndrives;
	char *control_path;      /* [control] socket (QMP), resolved; NULL: no control socket */
	struct config_net nets[CONFIG_NETS_MAX];         /* in file order, then new ones from --set */
	unsigned nnets;
	struct serve_config serve;                       /* [serve]: flint serve only */
};

/*
 * Parses `path`, then applies each override "section.key=value" in order
 * (a later --set replaces the file's value; the same key twice in the file
 * is an error).  On failure returns -1 and writes one line, without
 * "flint: " and without newline, into err:
 *     config.ini:7: [machine] memory = "64X": unknown unit (use K, M or G)
 *     --set machine.vcpus=0: [machine] vcpus = "0": must be 1 to 64
 * Also checks what only the whole file can say (e.g. [kernel] path missing).
 * A --set may name a drive the file does not have: that adds it.
 * Relative paths, from the file or a --set, are relative to the INI's folder.
 * Does not touch the kernel or disk files beyond resolving their paths.
 * On failure *c holds nothing to free; on success release it with config_free().
 */
int config_load(struct config *c, const char *path, char *const *overrides, int n_overrides,
		char *err, size_t errlen);
void config_free(struct config *c);

/*
 * "64M" -> 67108864.  K, M, G (powers of 1024, either case), optional
 * 'iB'/'B'; plain number = bytes.  No bounds: the caller checks its own.
 * On failure returns -1, leaves *out alone and points *why (if non-NULL) at a
 * static reason such as "unknown unit (use K, M or G)".
 */
int config_parse_size(const char *s, uint64_t *out, const char **why);

#endif
