/*
 * The INI front end of the machine spec: inih does the INI syntax, this
 * file the meaning, and vmm/spec/spec.c the rules (a value is checked against
 * them as it is read, so its error names its line; the rules between keys
 * and the required keys once everything is read, through spec_check()).
 * Where each key was given is this file's too: a table behind
 * spec->origin, for errors found later (a kernel that does not open).
 *
 * Two tables drive everything: `sections` (which [names] exist, which are
 * reserved for later work, which come as [name.NAME] instances) and `keys`
 * (each key's section, setter and example).  Adding a key is one row in
 * `keys`; adding a section is one row in `sections` plus its keys, and for an
 * instanced section an `add` hook that makes room in struct flint_spec, which its
 * setters then find through current_index().
 *
 * What was given, and on which line, is kept per instance (struct instance),
 * not per key: two drives may each have a path, one drive may not have two.
 * A plain section is one instance from the start; [drive.NAME] becomes one when
 * first named, by a header or a --set, and naming it again (a second
 * [drive.data] header, or --set drive.data.*) reopens the same instance, as
 * inih does for a repeated plain section.
 *
 * We feed inih through ini_parse_stream() and our own reader rather than
 * ini_parse(), because inih's own line numbers cannot be trusted: Debian's
 * build cuts lines at 200 bytes and parses the rest as a new line (numbers
 * drift by one), and although that build passes a line number to the
 * handler, its ini.h declares the handler without one (INI_HANDLER_LINENO
 * 0), so relying on it would break on any other build.  The reader hands
 * inih one real line per call, so its count and ours agree; it refuses lines
 * inih would cut, and it classifies each line as inih will (classify()),
 * which is how the handler tells a continuation line from a key given twice
 * and how an empty unknown [section] is caught on its own line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A flint configuration is a few dozen lines; this only stops `flint run
 * /dev/zero` from reading forever. */
#define CONFIG_FILE_MAX (1u << 20)

/* What the current line is to inih, decided the way inih 55 decides it. */
enum line_kind {
	LINE_NOTHING,       /* blank or comment */
	LINE_SECTION,       /* [name] */
	LINE_KEY,           /* key = value (or a syntax error) */
	LINE_CONTINUATION,  /* indented line after a key: more of its value */
};

#define KEYS_MAX 32

struct section_def;

/* One [section] or [section.NAME]: what its keys were given, and where. */
struct instance {
	const struct section_def *sec;
	unsigned index;             /* among its section's instances: c->drives[index] */
	char label[64];             /* "drive.data", as messages show it (NAME is at most 32) */
	int first_line[KEYS_MAX];   /* per `keys` row: line that set it, 0 = not yet */
};

struct parser {
	struct flint_spec *c;
	const char *source;         /* the INI path as given, for messages */
	const char *dir;            /* INI's folder with its '/', "" for the cwd */
	char *err;
	size_t errlen;
	bool failed;
	int err_line;               /* line of the recorded error, 0 if none */

	const char *text, *pos, *end;   /* the whole file, and the reader's place */
	int line;                   /* number of the line inih is working on */
	enum line_kind kind;
	bool can_continue;          /* inih has a key that an indented line continues */

	const char *override;       /* the --set being applied, NULL for the file */
	struct instance *inst;      /* every section instance so far, plain ones first */
	unsigned ninst;
	struct instance *cur;       /* the instance whose key is being set */
	char why[SPEC_WHY_MAX];     /* room for setters' messages that need numbers */
};

struct section_def {
	const char *name;
	const char *what;           /* plural, for messages: "drives" */
	bool planned;               /* reserved for later work, refused for now */
	unsigned max;               /* > 0: written [name.NAME], at most max of them */
	/* Instanced sections: makes room in struct flint_spec for a new instance
	 * (number current_index()) called `name`.  Returns NULL or why not. */
	const char *(*add)(struct parser *p, const char *name);
};

struct key_def {
	const char *section, *name;
	/* Returns NULL, or why the value is refused (static or p->why). */
	const char *(*set)(struct parser *p, const char *value);
	const char *example;        /* a valid value, for "e.g. key = ..." hints */
	bool may_be_empty;
	bool continues;             /* indented lines extend it, joined by ' ' */
};

static const char *add_drive(struct parser *p, const char *name);
static const char *add_net(struct parser *p, const char *name);
static bool is_space(char ch);

static const struct section_def sections[] = {
	{ .name = "machine" },
	{ .name = "kernel" },
	{ .name = "console" },
	{ .name = "drive", .what = "drives", .max = CONFIG_DRIVES_MAX, .add = add_drive },
	{ .name = "net", .what = "network interfaces", .max = CONFIG_NETS_MAX, .add = add_net },
	{ .name = "sandbox" },
	{ .name = "control" },
	{ .name = "serve" },
};

static const char *set_memory(struct parser *p, const char *v);
static const char *set_vcpus(struct parser *p, const char *v);
static const char *set_hugepages(struct parser *p, const char *v);
static const char *set_kernel_path(struct parser *p, const char *v);
static const char *set_cmdline(struct parser *p, const char *v);
static const char *set_initrd(struct parser *p, const char *v);
static const char *set_console_output(struct parser *p, const char *v);
static const char *set_console_input(struct parser *p, const char *v);
static const char *set_console_device(struct parser *p, const char *v);
static const char *set_seccomp(struct parser *p, const char *v);
static const char *set_chroot(struct parser *p, const char *v);
static const char *set_uid(struct parser *p, const char *v);
static const char *set_gid(struct parser *p, const char *v);
static const char *set_namespaces(struct parser *p, const char *v);
static const char *set_drive_path(struct parser *p, const char *v);
static const char *set_control_socket(struct parser *p, const char *v);
static const char *set_drive_readonly(struct parser *p, const char *v);
static const char *set_net_tap(struct parser *p, const char *v);
static const char *set_net_mac(struct parser *p, const char *v);
static const char *set_net_mtu(struct parser *p, const char *v);
static const char *set_net_ip(struct parser *p, const char *v);
static const char *set_net_gateway(struct parser *p, const char *v);

/* [serve]: the checks are vmm/spec/serve_config.c's. */
#define SERVE_SETTER(key) \
	static const char *set_serve_##key(struct parser *p, const char *v) \
	{ p->c->serve.present = true; return serve_set_##key(&p->c->serve, v, p->why, sizeof(p->why)); }
static const char *set_serve_listen(struct parser *p, const char *v);
static const char *set_serve_pool(struct parser *p, const char *v);
static const char *set_serve_max_vms(struct parser *p, const char *v);
static const char *set_serve_timeout(struct parser *p, const char *v);
static const char *set_serve_max_body(struct parser *p, const char *v);
static const char *set_serve_max_output(struct parser *p, const char *v);
static const char *set_serve_snapshot(struct parser *p, const char *v);
static const char *set_serve_metrics_listen(struct parser *p, const char *v);

static const struct key_def keys[] = {
#define KEY(sec, key, setter, eg, ...) \
	{ .section = sec, .name = key, .set = setter, .example = eg, __VA_ARGS__ }
	KEY("machine", "memory", set_memory, "64M"),
	KEY("machine", "vcpus", set_vcpus, "1"),
	KEY("machine", "hugepages", set_hugepages, "off"),
	KEY("kernel", "path", set_kernel_path, "build/guest/hello.elf"),
	KEY("kernel", "cmdline", set_cmdline, "-- world", .may_be_empty = true, .continues = true),
	KEY("kernel", "initrd", set_initrd, "build/rootfs/example.cpio"),
	KEY("console", "output", set_console_output, "stdout"),
	KEY("console", "input", set_console_input, "none"),
	KEY("console", "device", set_console_device, "uart"),
	KEY("sandbox", "seccomp", set_seccomp, "trap"),
	KEY("sandbox", "chroot", set_chroot, "jail"),
	KEY("sandbox", "uid", set_uid, "65534"),
	KEY("sandbox", "gid", set_gid, "65534"),
	KEY("sandbox", "namespaces", set_namespaces, "mount,ipc"),
	KEY("drive", "path", set_drive_path, "disk.img"),
	KEY("drive", "readonly", set_drive_readonly, "true"),
	KEY("net", "tap", set_net_tap, "tap0"),
	KEY("net", "mac", set_net_mac, "52:54:00:12:34:56"),
	KEY("net", "mtu", set_net_mtu, "1500"),
	KEY("net", "ip", set_net_ip, "10.0.0.2/24"),
	KEY("net", "gateway", set_net_gateway, "10.0.0.1"),
	KEY("control", "socket", set_control_socket, "flint.sock"),
	KEY("serve", "listen", set_serve_listen, "127.0.0.1:8080"),
	KEY("serve", "pool", set_serve_pool, "8"),
	KEY("serve", "max_vms", set_serve_max_vms, "32"),
	KEY("serve", "timeout", set_serve_timeout, "10s"),
	KEY("serve", "max_body", set_serve_max_body, "1M"),
	KEY("serve", "max_output", set_serve_max_output, "4M"),
	KEY("serve", "snapshot", set_serve_snapshot, "auto"),
	KEY("serve", "metrics_listen", set_serve_metrics_listen, "127.0.0.1:9090"),
#undef KEY
};

_Static_assert(ARRAY_SIZE(keys) <= KEYS_MAX, "struct instance needs a slot per key: raise KEYS_MAX");

/* ---- messages ---------------------------------------------------------- */

/*
 * Records the first error only: inih keeps parsing after a failure, and the
 * first problem in the file is the one to fix first.  The prefix says where:
 * "FILE:LINE: ", "FILE: " or "--set S.K=V: ".
 */
__attribute__((format(printf, 3, 0)))
static void vfail_at(struct parser *p, const char *where, const char *fmt, va_list ap)
{
	int n;

	if (p->failed)
		return;
	p->failed = true;
	p->err_line = p->override ? 0 : p->line;
	if (!p->errlen)
		return;
	n = snprintf(p->err, p->errlen, "%s: ", where);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
}

/* Prefixed with where the problem is: the line being read, or the --set. */
__attribute__((format(printf, 2, 3)))
static void fail(struct parser *p, const char *fmt, ...)
{
	char where[4200];
	va_list ap;

	if (p->override)
		snprintf(where, sizeof(where), "--set %s", p->override);
	else if (p->line > 0)
		snprintf(where, sizeof(where), "%s:%d", p->source, p->line);
	else
		snprintf(where, sizeof(where), "%s", p->source);
	va_start(ap, fmt);
	vfail_at(p, where, fmt, ap);
	va_end(ap);
}

/* Prefixed with `where`, for a problem found once everything is read. */
__attribute__((format(printf, 3, 4)))
static void fail_at(struct parser *p, const char *where, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(p, where, fmt, ap);
	va_end(ap);
}

/* Values are quoted back as given, but a 4000-byte --set would bury the
 * reason: show the start. */
#define SHOWN_MAX 60
#define SHOWN(v) (strlen(v) > SHOWN_MAX ? SHOWN_MAX - 3 : (int)strlen(v)), (v), \
		 (strlen(v) > SHOWN_MAX ? "..." : "")

static void list_sections(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(sections) && n < len; i++)
		if (!sections[i].planned)
			n += (size_t)snprintf(buf + n, len - n, "%s%s%s", n ? ", " : "", sections[i].name,
					      sections[i].max ? ".NAME" : "");
}

static void list_keys(const char *section, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(keys) && n < len; i++)
		if (!strcmp(keys[i].section, section))
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", keys[i].name);
}

/* ---- lookups ----------------------------------------------------------- */

/* Returns the section's row, or NULL after reporting why it is refused. */
static const struct section_def *find_section(struct parser *p, const char *name)
{
	char known[128];

	for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
		const struct section_def *s = &sections[i];
		size_t n = strlen(s->name);
		const char *why;

		if (strncmp(name, s->name, n) || (name[n] && name[n] != '.'))
			continue;
		if (s->planned) {
			fail(p, "[%s]: %s are not supported yet by this version of flint", name, s->what);
			return NULL;
		}
		if (!s->max) {
			if (name[n])
				break;  /* [machine.x]: an instance of a section that has none */
			return s;
		}
		why = name[n] ? spec_name_why(name + n + 1, p->why) : "needs a name";
		if (why) {
			fail(p, "[%s]: %s (NAME in [%s.NAME]: 1 to %d letters, digits, '_' or '-')", name, why,
			     s->name, CONFIG_NAME_MAX);
			return NULL;
		}
		return s;
	}
	list_sections(known, sizeof(known));
	fail(p, "[%s]: unknown section (known: %s)", name, known);
	return NULL;
}

/*
 * Makes the instance of section `name` current, creating it on first use.
 * Returns it, or NULL after reporting why not.
 */
static struct instance *open_section(struct parser *p, const char *name)
{
	const struct section_def *s = find_section(p, name);
	struct instance *in;
	unsigned count = 0;
	const char *why;

	if (!s)
		return NULL;
	for (unsigned i = 0; i < p->ninst; i++) {
		if (!strcmp(p->inst[i].label, name))
			return p->cur = &p->inst[i];
		count += p->inst[i].sec == s;
	}
	/* Only instanced sections get here: config_load opened the plain ones. */
	if (count == s->max) {
		fail(p, "[%s]: too many %s (at most %u)", name, s->what, s->max);
		return NULL;
	}
	in = p->cur = &p->inst[p->ninst];
	*in = (struct instance){ .sec = s, .index = count };
	snprintf(in->label, sizeof(in->label), "%s", name);
	why = s->add(p, name + strlen(s->name) + 1);
	if (why) {
		fail(p, "[%s]: %s", name, why);
		return NULL;
	}
	p->ninst++;
	return in;
}

static const struct key_def *find_key(struct parser *p, const struct instance *in, const char *name)
{
	char known[128];

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i].section, in->sec->name) && !strcmp(keys[i].name, name))
			return &keys[i];
	list_keys(in->sec->name, known, sizeof(known));
	fail(p, "[%s] %s: unknown key (known: %s)", in->label, name, known);
	return NULL;
}

/* ---- value setters ----------------------------------------------------- */

int config_parse_size(const char *s, uint64_t *out, const char **why)
{
	const char *q = s;
	uint64_t v = 0, mult = 1;
	const char *dummy;

	if (!why)
		why = &dummy;
	if (!*s) {
		*why = "empty value (give a size like 64M)";
		return -1;
	}
	if (*s == '-') {
		*why = "must not be negative";
		return -1;
	}
	if (*s < '0' || *s > '9') {
		*why = "not a number (give a size like 64M)";
		return -1;
	}
	for (; *q >= '0' && *q <= '9'; q++)
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(*q - '0'), &v)) {
			*why = "too large";
			return -1;
		}
	if (*q == '.' || *q == ',') {
		*why = "not a whole number (use a smaller unit, e.g. 1536M for 1.5G)";
		return -1;
	}
	while (*q == ' ' || *q == '\t')  /* "64 MiB" */
		q++;
	switch (*q) {
	case 'K': case 'k': mult = 1ull << 10; q++; break;
	case 'M': case 'm': mult = 1ull << 20; q++; break;
	case 'G': case 'g': mult = 1ull << 30; q++; break;
	}
	/* "iB" only after a unit letter; a bare "B" means bytes either way. */
	if (mult > 1 && !strcmp(q, "iB"))
		q += 2;
	else if (!strcmp(q, "B"))
		q++;
	if (*q) {
		*why = "unknown unit (use K, M or G)";
		return -1;
	}
	if (__builtin_mul_overflow(v, mult, &v)) {
		*why = "too large";
		return -1;
	}
	*out = v;
	return 0;
}

static const char *set_memory(struct parser *p, const char *v)
{
	uint64_t bytes;
	const char *why;

	if (config_parse_size(v, &bytes, &why) < 0)
		return why;
	if ((why = spec_memory_why(bytes, p->why))) {
		/* "64" meant as MiB is the likely slip: say what it was read as. */
		size_t n = strlen(why);

		if (why == p->why && v[0] && v[strspn(v, "0123456789")] == '\0')
			snprintf(p->why + n, sizeof(p->why) - n, " (a plain number is bytes: write %sM for MiB)", v);
		return why;
	}
	p->c->memory = bytes;
	return NULL;
}

/* NULL and *out set, or why v is not a boolean. */
static const char *parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" }, *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		if (!strcasecmp(v, yes[i]) || !strcasecmp(v, no[i])) {
			*out = !strcasecmp(v, yes[i]);
			return NULL;
		}
	return "not a boolean (use true or false; yes/no, on/off and 1/0 also work)";
}

static const char *set_hugepages(struct parser *p, const char *v)
{
	bool on = false;
	const char *why = parse_bool(v, &on);

	if (!why)
		p->c->hugepages = on ? HUGEPAGES_ON : HUGEPAGES_OFF;
	return why;
}

static const char *set_vcpus(struct parser *p, const char *v)
{
	unsigned long n = 0;
	const char *q;

	if (*v == '-')
		return "must not be negative";
	for (q = v; *q >= '0' && *q <= '9'; q++)
		if (n <= CONFIG_VCPUS_MAX)  /* past the bound the exact value no longer matters */
			n = n * 10 + (unsigned long)(*q - '0');
	if (q == v || *q)
		return "not a whole number";
	if (spec_vcpus_why(n, p->why))
		return p->why;
	p->c->vcpus = (unsigned)n;
	return NULL;
}

/*
 * A path in the file is relative to the file's folder, so a configuration
 * works from any cwd; one given with --set was typed on a command line and
 * is relative to where it was typed, as with every shell tool.
 */
static char *resolve(const struct parser *p, const char *path)
{
	const char *dir = p->override ? "" : p->dir;
	size_t dl = path[0] == '/' ? 0 : strlen(dir), pl = strlen(path);
	char *r = malloc(dl + pl + 1);

	if (r) {
		memcpy(r, dir, dl);
		memcpy(r + dl, path, pl + 1);
	}
	return r;
}

static const char *set_path(struct parser *p, char **slot, const char *v)
{
	char *r = resolve(p, v);

	if (!r)
		return "out of memory";
	free(*slot);
	*slot = r;
	return NULL;
}

static const char *set_kernel_path(struct parser *p, const char *v)
{
	return set_path(p, &p->c->kernel_path, v);
}

static const char *set_initrd(struct parser *p, const char *v)
{
	return set_path(p, &p->c->initrd_path, v);
}

static const char *set_cmdline(struct parser *p, const char *v)
{
	const char *old = p->kind == LINE_CONTINUATION ? p->c->cmdline : "";
	size_t ol = strlen(old), vl = strlen(v), sep = ol && vl ? 1 : 0;
	char *r;

	if (spec_cmdline_why(ol + sep + vl, p->why))
		return p->why;
	r = malloc(ol + sep + vl + 1);
	if (!r)
		return "out of memory";
	memcpy(r, old, ol);
	r[ol] = ' ';
	memcpy(r + ol + sep, v, vl + 1);
	free(p->c->cmdline);
	p->c->cmdline = r;
	return NULL;
}

static const char *set_console_output(struct parser *p, const char *v)
{
	char *r;

	if (!strcmp(v, "stdout") || !strcmp(v, "none")) {
		p->c->console_output = !strcmp(v, "none") ? CONSOLE_OUT_NONE : CONSOLE_OUT_STDOUT;
		free(p->c->console_path);
		p->c->console_path = NULL;
		return NULL;
	}
	if (strncmp(v, "file:", 5))
		return "unknown output (use stdout, none or file:PATH)";
	if (!v[5])
		return "file: needs a path (e.g. file:console.log)";
	r = resolve(p, v + 5);
	if (!r)
		return "out of memory";
	free(p->c->console_path);
	p->c->console_path = r;
	p->c->console_output = CONSOLE_OUT_FILE;
	return NULL;
}

static const char *set_console_input(struct parser *p, const char *v)
{
	if (!strcmp(v, "none"))
		p->c->console_input = CONSOLE_IN_NONE;
	else if (!strcmp(v, "stdin"))
		p->c->console_input = CONSOLE_IN_STDIN;
	else
		return "unknown input (use none or stdin)";
	return NULL;
}

static const char *set_console_device(struct parser *p, const char *v)
{
	if (!strcmp(v, "uart"))
		p->c->console_device = CONSOLE_DEV_UART;
	else if (!strcmp(v, "virtio"))
		p->c->console_device = CONSOLE_DEV_VIRTIO;
	else
		return "unknown device (use uart or virtio)";
	return NULL;
}

static const char *set_seccomp(struct parser *p, const char *v)
{
	enum seccomp_mode m;

	if (seccomp_mode_parse(v, &m) < 0)
		return "unknown mode (use kill, trap, log or off)";
	p->c->seccomp = m;
	return NULL;
}

static const char *set_chroot(struct parser *p, const char *v)
{
	/* Whether it exists is for the run to say: the file may be checked
	 * on another machine, or the directory made just before the run. */
	return set_path(p, &p->c->jail.root, v);
}

/* A numeric user or group id (spec_id_why() says which). */
static const char *parse_id(const char *v, uint32_t *out)
{
	uint64_t n = 0;
	const char *q;

	if (*v == '-')
		return "must not be negative";
	for (q = v; *q >= '0' && *q <= '9'; q++)
		if (n <= UINT32_MAX)  /* past the bound the exact value no longer matters */
			n = n * 10 + (uint64_t)(*q - '0');
	if (q == v || *q)
		return "not a number (names are not looked up: give the numeric id, e.g. 65534)";
	if (spec_id_why(n))
		return spec_id_why(n);
	*out = (uint32_t)n;
	return NULL;
}

static const char *set_uid(struct parser *p, const char *v)
{
	const char *why = parse_id(v, &p->c->jail.uid);

	p->c->jail.set_uid |= !why;
	return why;
}

static const char *set_gid(struct parser *p, const char *v)
{
	const char *why = parse_id(v, &p->c->jail.gid);

	p->c->jail.set_gid |= !why;
	return why;
}

/* The QMP socket (vmm/control/control.c). */
static const char *set_control_socket(struct parser *p, const char *v)
{
	const char *why = set_path(p, &p->c->control_path, v);

	return why ? why : spec_socket_why(p->c->control_path, p->why);
}

SERVE_SETTER(listen)
SERVE_SETTER(pool)
SERVE_SETTER(max_vms)
SERVE_SETTER(timeout)
SERVE_SETTER(max_body)
SERVE_SETTER(max_output)
SERVE_SETTER(snapshot)
SERVE_SETTER(metrics_listen)

/* "none", or a comma-separated list of sandbox_namespace_name()s. */
static const char *set_namespaces(struct parser *p, const char *v)
{
	unsigned set = 0;
	const char *item = v;

	if (!strcmp(v, "none")) {
		p->c->jail.namespaces = 0;
		return NULL;
	}
	for (;;) {
		size_t len = strcspn(item, ",");
		const char *end = item + len;
		unsigned ns;

		while (item < end && is_space(*item))
			item++;
		while (end > item && is_space(end[-1]))
			end--;
		len = (size_t)(end - item);
		if (!len)
			return "empty item in the list (e.g. namespaces = mount,ipc)";
		for (ns = 0; ns < SANDBOX_NS_COUNT; ns++)
			if (strlen(sandbox_namespace_name(ns)) == len &&
			    !strncmp(item, sandbox_namespace_name(ns), len))
				break;
		if (len == 3 && !strncmp(item, "pid", 3))
			return "pid is not supported: a new PID namespace holds only the processes started after "
			       "it, and flint starts none (its vCPUs are threads); use mount or ipc";
		if (len == 4 && !strncmp(item, "none", 4))
			return "none stands alone (remove it, or the other items)";
		if (ns == SANDBOX_NS_COUNT) {
			snprintf(p->why, sizeof(p->why), "unknown namespace \"%.*s\" (use none, or a list "
				 "of mount and ipc)", (int)(len > 20 ? 20 : len), item);
			return p->why;
		}
		if (set & (1u << ns)) {
			snprintf(p->why, sizeof(p->why), "%s listed twice", sandbox_namespace_name(ns));
			return p->why;
		}
		set |= 1u << ns;
		item += strcspn(item, ",");
		if (!*item)
			break;
		item++;
	}
	p->c->jail.namespaces = set;
	return NULL;
}

/* Which of its section's instances the key being set belongs to. */
static unsigned current_index(const struct parser *p)
{
	return p->cur->index;
}

static const char *add_drive(struct parser *p, const char *name)
{
	struct config_drive *d = &p->c->drives[current_index(p)];

	d->name = strdup(name);
	if (!d->name)
		return "out of memory";
	p->c->ndrives++;
	return NULL;
}

static const char *set_drive_path(struct parser *p, const char *v)
{
	return set_path(p, &p->c->drives[current_index(p)].path, v);
}

static const char *set_drive_readonly(struct parser *p, const char *v)
{
	return parse_bool(v, &p->c->drives[current_index(p)].readonly);
}

/* ---- [net.NAME] -------------------------------------------------------- */

/*
 * The default MAC: locally administered (0x02 in the first byte), unicast,
 * and the same for the same NAME on every run (64-bit FNV-1a of NAME), so
 * a guest's address, and the host's neighbour tables, stay put.
 */
static void default_mac(const char *name, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *c = name; *c; c++)
		h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
	mac[0] = 0x02;
	for (int i = 1; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * (i - 1)));
}

static const char *add_net(struct parser *p, const char *name)
{
	struct config_net *n = &p->c->nets[current_index(p)];

	n->name = strdup(name);
	if (!n->name)
		return "out of memory";
	n->mtu = CONFIG_MTU_DEFAULT;
	default_mac(name, n->mac);
	p->c->nnets++;
	return NULL;
}

static struct config_net *cur_net(struct parser *p)
{
	return &p->c->nets[current_index(p)];
}

static const char *set_net_tap(struct parser *p, const char *v)
{
	struct config_net *n = cur_net(p);
	const char *why = spec_tap_why(v, p->why);
	char *name;

	if (why)
		return why;
	name = strdup(v);
	if (!name)
		return "out of memory";
	free(n->tap);
	n->tap = name;
	return NULL;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static const char *set_net_mac(struct parser *p, const char *v)
{
	uint8_t mac[6];

	if (strlen(v) != 17)
		return "not a MAC address (six hex bytes with ':', e.g. 52:54:00:12:34:56)";
	for (int i = 0; i < 6; i++) {
		int hi = hex_digit(v[3 * i]), lo = hex_digit(v[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && v[3 * i + 2] != ':'))
			return "not a MAC address (six hex bytes with ':', e.g. 52:54:00:12:34:56)";
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if (spec_mac_why(mac))
		return spec_mac_why(mac);
	memcpy(cur_net(p)->mac, mac, 6);
	return NULL;
}

static const char *set_net_mtu(struct parser *p, const char *v)
{
	unsigned long n = 0;
	const char *q;

	if (*v == '-')
		return "must not be negative";
	for (q = v; *q >= '0' && *q <= '9'; q++)
		if (n <= CONFIG_MTU_MAX)  /* past the bound the exact value no longer matters */
			n = n * 10 + (unsigned long)(*q - '0');
	if (q == v || *q)
		return "not a whole number (bytes, e.g. 1500)";
	if (spec_mtu_why(n, p->why))
		return p->why;
	cur_net(p)->mtu = (uint16_t)n;
	return NULL;
}

/* "A.B.C.D" at s, up to `end`: four decimal bytes, no leading '+'. */
static bool parse_ipv4(const char *s, const char *end, uint32_t *out)
{
	uint32_t a = 0;

	for (int i = 0; i < 4; i++) {
		unsigned v = 0, digits = 0;

		for (; s < end && *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
			v = v * 10 + (unsigned)(*s - '0');
		if (!digits || digits > 3 || v > 255)
			return false;
		a = a << 8 | v;
		if (i < 3 && (s >= end || *s++ != '.'))
			return false;
	}
	if (s != end)
		return false;
	*out = a;
	return true;
}

static const char *set_net_ip(struct parser *p, const char *v)
{
	struct config_net *n = cur_net(p);
	const char *slash = strchr(v, '/');
	unsigned long prefix = 0;
	const char *q, *why;
	uint32_t a;

	if (!slash)
		return "needs a prefix length (e.g. 10.0.0.2/24)";
	if (!parse_ipv4(v, slash, &a))
		return "not an IPv4 address (four numbers 0 to 255 with '.', then /prefix: e.g. 10.0.0.2/24)";
	for (q = slash + 1; *q >= '0' && *q <= '9' && prefix <= 32; q++)
		prefix = prefix * 10 + (unsigned long)(*q - '0');
	if (q == slash + 1 || *q || prefix < 1 || prefix > 32)
		return "the prefix length must be 1 to 32 (e.g. 10.0.0.2/24)";
	if ((why = spec_ip_why(a, (unsigned)prefix)))
		return why;
	n->ip = a;
	n->prefix = (unsigned)prefix;
	n->has_ip = true;
	return NULL;
}

static const char *set_net_gateway(struct parser *p, const char *v)
{
	struct config_net *n = cur_net(p);
	uint32_t a;

	if (strchr(v, '/'))
		return "a gateway is one address, without /prefix (e.g. 10.0.0.1)";
	if (!parse_ipv4(v, v + strlen(v), &a) || !a)
		return "not an IPv4 address (four numbers 0 to 255 with '.', e.g. 10.0.0.1)";
	n->gateway = a;
	n->has_gateway = true;
	return NULL;
}

/* ---- where each key was given ------------------------------------------ */

/* The provenance table: (section, key, index) -> "FILE:LINE" or "--set S.K=V". */
struct ini_origin {
	struct spec_origin ops;
	char *source;               /* the INI path as given */
	struct given {
		const char *section, *key;  /* the `keys` row's own strings */
		unsigned index;
		char *where;
	} *given;
	unsigned n, cap;
};

static const char *ini_where(const struct spec_origin *o, const char *section, const char *key,
			     unsigned index)
{
	const struct ini_origin *io = (const struct ini_origin *)o;

	for (unsigned i = 0; key && i < io->n; i++)
		if (io->given[i].index == index && !strcmp(io->given[i].section, section) &&
		    !strcmp(io->given[i].key, key))
			return io->given[i].where;
	return io->source;
}

static void ini_release(struct spec_origin *o)
{
	struct ini_origin *io = (struct ini_origin *)o;

	for (unsigned i = 0; i < io->n; i++)
		free(io->given[i].where);
	free(io->given);
	free(io->source);
	free(io);
}

static struct ini_origin *ini_origin_new(const char *source)
{
	struct ini_origin *io = calloc(1, sizeof(*io));

	if (!io)
		return NULL;
	io->ops = (struct spec_origin){ .where = ini_where, .release = ini_release };
	io->source = strdup(source);
	if (!io->source) {
		free(io);
		return NULL;
	}
	return io;
}

/* Remembers where k of the current instance was given (a later --set wins). */
static const char *note_where(struct parser *p, const struct key_def *k)
{
	struct ini_origin *io = (struct ini_origin *)p->c->origin;
	struct given *g = NULL;
	char *where;
	int n;

	n = p->override ? asprintf(&where, "--set %s", p->override)
			: asprintf(&where, "%s:%d", io->source, p->line);
	if (n < 0)
		return "out of memory";
	for (unsigned i = 0; i < io->n && !g; i++)
		if (io->given[i].index == p->cur->index && io->given[i].section == k->section &&
		    io->given[i].key == k->name)
			g = &io->given[i];
	if (!g) {
		if (io->n == io->cap) {
			unsigned cap = io->cap ? 2 * io->cap : 32;
			struct given *grown = realloc(io->given, cap * sizeof(*grown));

			if (!grown) {
				free(where);
				return "out of memory";
			}
			io->given = grown;
			io->cap = cap;
		}
		g = &io->given[io->n++];
		*g = (struct given){ .section = k->section, .key = k->name, .index = p->cur->index };
	}
	free(g->where);
	g->where = where;
	return NULL;
}

static bool apply(struct parser *p, struct instance *in, const struct key_def *k, const char *value)
{
	const char *why;

	p->cur = in;
	if (!*value && !k->may_be_empty) {
		fail(p, "[%s] %s: empty value (e.g. %s = %s)", in->label, k->name, k->name, k->example);
		return false;
	}
	why = k->set(p, value);
	if (!why && p->kind != LINE_CONTINUATION)
		why = note_where(p, k);
	if (why) {
		fail(p, "[%s] %s = \"%.*s%s\": %s", in->label, k->name, SHOWN(value), why);
		return false;
	}
	return true;
}

/* ---- the file ---------------------------------------------------------- */

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parser *p = user;
	struct instance *in;
	const struct key_def *k;
	int *first;

	if (p->kind == LINE_KEY)
		p->can_continue = *name != '\0';  /* as inih remembers the key */
	if (!value) {  /* only if someone turned on ini_allow_no_value */
		fail(p, "%s: expected key = value", name);
		return 0;
	}
	if (!*name) {
		fail(p, "= \"%.*s%s\": missing key name before '='", SHOWN(value));
		return 0;
	}
	if (!*section) {
		char known[128];

		list_sections(known, sizeof(known));
		fail(p, "%s: key outside any section (put it under one of: %s)", name, known);
		return 0;
	}
	if (!(in = open_section(p, section)) || !(k = find_key(p, in, name)))
		return 0;
	first = &in->first_line[k - keys];
	if (p->kind == LINE_CONTINUATION && !k->continues) {
		fail(p, "[%s] %s: indented line \"%.*s%s\" continues its value; only cmdline may "
			"span lines (start a new key at the beginning of the line)", section, name,
		     SHOWN(value));
		return 0;
	}
	if (p->kind != LINE_CONTINUATION && *first) {
		fail(p, "[%s] %s: given twice (first on line %d)", section, name, *first);
		return 0;
	}
	if (p->kind != LINE_CONTINUATION)
		*first = p->line;
	return apply(p, in, k, value);
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}

/*
 * Mirrors inih 55's order: comment (a blank line counts as one), then
 * continuation (indented, after a key), then "[" header, then key = value.
 * inih resets its key at a valid header only.
 */
static void classify(struct parser *p, const char *line)
{
	const char *s = line, *t, *close;
	char *name;

	if (p->line == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	for (t = s; is_space(*t); t++)
		;
	if (!*t || *t == ';' || *t == '#') {
		p->kind = LINE_NOTHING;
	} else if (p->can_continue && t > s) {
		p->kind = LINE_CONTINUATION;
	} else if (*t == '[') {
		p->kind = LINE_SECTION;
		close = strchr(t, ']');
		if (!close)
			return;  /* inih reports it */
		p->can_continue = false;
		name = strndup(t + 1, (size_t)(close - t - 1));
		if (!name) {
			fail(p, "out of memory");
			return;
		}
		/* Here, not at its first key, so that a badly named or ninth
		 * [drive.NAME] is reported on its header's line even with no keys. */
		open_section(p, name);
		free(name);
	} else {
		p->kind = LINE_KEY;
	}
}

/* ini_reader: one real line per call, or NULL to stop inih at an error. */
static char *next_line(char *buf, int size, void *stream)
{
	struct parser *p = stream;
	const char *nl;
	size_t len;

	if (p->failed || p->pos >= p->end || size < 1)
		return NULL;
	nl = memchr(p->pos, '\n', (size_t)(p->end - p->pos));
	len = (size_t)((nl ? nl : p->end) - p->pos);
	p->line++;
	if (len && p->pos[len - 1] == '\r')
		len--;
	if (memchr(p->pos, '\0', len)) {
		fail(p, "line contains a NUL byte (is this a text file?)");
		return NULL;
	}
	if (len > (size_t)size - 1) {
		fail(p, "line longer than %d characters (continue long values on indented lines)", size - 1);
		return NULL;
	}
	memcpy(buf, p->pos, len);
	buf[len] = '\0';
	p->pos = nl ? nl + 1 : p->end;
	classify(p, buf);
	return buf;
}

/* The n-th line (1-based) of the file, for quoting syntax errors. */
static const char *line_at(const struct parser *p, int n, int *len)
{
	const char *s = p->text, *nl;

	while (--n > 0 && (nl = memchr(s, '\n', (size_t)(p->end - s))))
		s = nl + 1;
	nl = memchr(s, '\n', (size_t)(p->end - s));
	*len = (int)((nl ? nl : p->end) - s);
	if (*len && s[*len - 1] == '\r')
		(*len)--;
	if (*len > SHOWN_MAX)
		*len = SHOWN_MAX;
	return s;
}

static void syntax_error(struct parser *p, int line)
{
	int len;
	const char *text = line_at(p, line, &len);
	const char *t = text;

	while (t < text + len && is_space(*t))
		t++;
	p->failed = false;  /* an earlier line's problem wins over ours */
	p->line = line;
	if (*t == '[')
		fail(p, "\"%.*s\": section header needs a closing ']' (and no ';' inside)", len, text);
	else
		fail(p, "\"%.*s\": syntax error (expected key = value, [section] or a ; comment)", len, text);
}

static char *read_file(struct parser *p, const char *path, size_t *size)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f) {
		fail(p, "cannot open: %s", strerror(errno));
		return NULL;
	}
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		fail(p, "out of memory");
		return NULL;
	}
	n = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
	if (ferror(f)) {
		fail(p, "cannot read: %s", strerror(errno));
	} else if (n > CONFIG_FILE_MAX) {
		fail(p, "larger than %u KiB: not a flint configuration", CONFIG_FILE_MAX >> 10);
	}
	fclose(f);
	if (p->failed) {
		free(buf);
		return NULL;
	}
	*size = n;
	return buf;
}

static void parse_file(struct parser *p, const char *path)
{
	size_t size;
	char *text = read_file(p, path, &size);
	int rc;

	if (!text)
		return;
	p->text = p->pos = text;
	p->end = text + size;
	rc = ini_parse_stream(next_line, p, on_key, p);
	if (rc < 0)
		fail(p, "out of memory");
	else if (rc > 0 && (!p->failed || rc < p->err_line))
		syntax_error(p, rc);
	free(text);
	p->text = p->pos = p->end = NULL;
}

/* ---- --set ------------------------------------------------------------- */

static char *trim(char *s)
{
	char *e;

	while (is_space(*s))
		s++;
	for (e = s + strlen(s); e > s && is_space(e[-1]); e--)
		;
	*e = '\0';
	return s;
}

static void apply_override(struct parser *p, const char *set)
{
	char *copy = strdup(set), *eq, *dot, *section, *name;
	struct instance *in;
	const struct key_def *k;

	p->override = set;
	p->kind = LINE_KEY;
	if (!copy) {
		fail(p, "out of memory");
		return;
	}
	eq = strchr(copy, '=');
	if (eq)
		*eq = '\0';
	/* The last dot splits, so [drive.data] path is drive.data.path. */
	dot = strrchr(copy, '.');
	if (!eq || !dot) {
		fail(p, "expected section.key=value (e.g. --set machine.memory=128M)");
		goto out;
	}
	*dot = '\0';
	section = trim(copy);
	name = trim(dot + 1);
	if (!*section || !*name) {
		fail(p, "expected section.key=value (e.g. --set machine.memory=128M)");
		goto out;
	}
	if ((in = open_section(p, section)) && (k = find_key(p, in, name)))
		apply(p, in, k, trim(eq + 1));
out:
	free(copy);
}

/* ---- entry points ------------------------------------------------------ */

void config_free(struct flint_spec *c)
{
	spec_free(c);
}

/* Room for every instance there can be, so instance pointers stay put. */
static struct instance *alloc_instances(void)
{
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		n += sections[i].planned ? 0 : sections[i].max ? sections[i].max : 1;
	return calloc(n, sizeof(struct instance));
}

/*
 * A problem spec_check() found, in this front end's words: where the key
 * was given (its line or --set; the file for a key given nowhere), then
 * the key.  Values were checked as they were read, with the text as
 * written; what is left are the rules between keys and the required ones.
 */
static void on_problem(void *ctx, const struct spec_problem *sp)
{
	struct parser *p = ctx;
	const char *where = spec_where(p->c, sp->section, sp->key, sp->index);
	const char *example = "";
	char label[64];

	if (!strcmp(sp->section, "drive"))
		snprintf(label, sizeof(label), "drive.%s", p->c->drives[sp->index].name);
	else if (!strcmp(sp->section, "net"))
		snprintf(label, sizeof(label), "net.%s", p->c->nets[sp->index].name);
	else
		snprintf(label, sizeof(label), "%s", sp->section);
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
		if (!strcmp(keys[k].section, sp->section) && !strcmp(keys[k].name, sp->key))
			example = keys[k].example;
	if (sp->kind == SPEC_MISSING)
		fail_at(p, where, "[%s] %s is required (e.g. %s = %s)", label, sp->key, sp->key, example);
	else if (sp->kind == SPEC_CONFLICT)
		fail_at(p, where, "[%s] %s", label, sp->why);
	else
		fail_at(p, where, "[%s] %s: %s", label, sp->key, sp->why);
}

int config_load(struct flint_spec *c, const char *path, char *const *overrides, int n_overrides,
		char *err, size_t errlen)
{
	struct parser p = { .c = c, .err = err, .errlen = errlen };
	const char *slash = strrchr(path, '/');
	char *dir = NULL;

	if (errlen)
		err[0] = '\0';
	p.source = path;
	if (spec_init(c) == 0)
		c->origin = (struct spec_origin *)ini_origin_new(path);
	dir = slash ? strndup(path, (size_t)(slash - path + 1)) : strdup("");
	p.inst = alloc_instances();
	if (!c->cmdline || !c->origin || !dir || !p.inst) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	p.dir = dir;
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		if (!sections[i].planned && !sections[i].max) {
			struct instance *in = &p.inst[p.ninst++];

			in->sec = &sections[i];
			snprintf(in->label, sizeof(in->label), "%s", sections[i].name);
		}

	parse_file(&p, path);
	for (int i = 0; i < n_overrides && !p.failed; i++)
		apply_override(&p, overrides[i]);
	p.override = NULL;
	p.line = 0;
	if (!p.failed)
		spec_check(c, on_problem, &p);
	if (p.failed)
		goto fail;
	free(p.inst);
	free(dir);
	return 0;
fail:
	/* The message echoes what the user gave (a --set may hold a newline
	 * or an escape sequence): it stays one printable line. */
	for (char *e = err; errlen && *e; e++)
		if ((unsigned char)*e < 0x20 || *e == 0x7f)
			*e = '?';
	free(p.inst);
	free(dir);
	config_free(c);
	return -1;
}
