/* Unit tests for vmm/spec/config.c: every config is a real file in a fresh mkdtemp folder. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "config.h"

#define KERNEL "[kernel]\npath = k.elf\n"

struct tmp {
	char dir[64];
	char ini[96];
};

static int tmp_write(struct tmp *t, const char *text)
{
	FILE *f;

	strcpy(t->dir, "/tmp/flint-config-XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->ini, sizeof(t->ini), "%s/config.ini", t->dir);
	f = fopen(t->ini, "w");
	if (!f)
		return -1;
	fwrite(text, 1, strlen(text), f);
	return fclose(f);
}

static void tmp_remove(struct tmp *t)
{
	unlink(t->ini);
	rmdir(t->dir);
}

/* Loads `text` (plus --set strings); returns config_load's result. */
static int load(const char *text, char *const *sets, int nsets, struct flint_spec *c, char *err,
		size_t errlen, struct tmp *t)
{
	int rc;

	if (tmp_write(t, text) < 0) {
		fprintf(stderr, "  cannot write a temporary config\n");
		return -2;
	}
	rc = config_load(c, t->ini, sets, nsets, err, errlen);
	tmp_remove(t);
	return rc;
}

/* A valid config: loads it and reports the error if it fails. */
static int load_ok(const char *text, char *const *sets, int nsets, struct flint_spec *c, struct tmp *t)
{
	char err[512];
	int rc = load(text, sets, nsets, c, err, sizeof(err), t);

	if (rc != 0)
		fprintf(stderr, "  unexpected error: %s\n", err);
	return rc;
}

/*
 * Expects failure with `msg` in the message, which must start with
 * "<ini>:<line>: " (line > 0), "<ini>: " (line 0) or "--set <set>: " (sets).
 */
static void expect_error_at(int from, const char *text, char *const *sets, int nsets, int line,
			    const char *msg)
{
	struct flint_spec c;
	struct tmp t;
	char err[512] = "", want[160];
	int rc = load(text, sets, nsets, &c, err, sizeof(err), &t);

	if (nsets && line < 0)
		snprintf(want, sizeof(want), "--set %s: ", sets[nsets - 1]);
	else if (line > 0)
		snprintf(want, sizeof(want), "%s:%d: ", t.ini, line);
	else
		snprintf(want, sizeof(want), "%s: ", t.ini);
	/* Messages show control characters of what the user typed as '?'. */
	for (char *w = want; *w; w++)
		if ((unsigned char)*w < 0x20)
			*w = '?';
	CHECK(rc == -1);
	CHECK(strncmp(err, want, strlen(want)) == 0);
	CHECK_CONTAINS(err, msg);
	CHECK(!strchr(err, '\n'));
	if (check_failed_now)
		fprintf(stderr, "  (case at line %d; want prefix \"%s\", got \"%s\")\n", from, want, err);
	if (rc == 0)
		config_free(&c);
}

#define EXPECT_ERROR(text, line, msg) expect_error_at(__LINE__, text, NULL, 0, line, msg)
#define EXPECT_SET_ERROR(text, set, msg)                                            \
	do {                                                                        \
		char *sets_[] = { set };                                            \
		expect_error_at(__LINE__, text, sets_, 1, -1, msg);                 \
	} while (0)

/* ---- malformed files -------------------------------------------------- */

TEST(unknown_unit)
{
	EXPECT_ERROR("[machine]\n\n; comment\nvcpus = 1\n\n\nmemory = 64X\n" KERNEL, 7,
		     "[machine] memory = \"64X\": unknown unit (use K, M or G)");
}

TEST(unknown_key)
{
	EXPECT_ERROR("[machine]\nmemory = 64M\nvcpu = 2\n" KERNEL, 3,
		     "[machine] vcpu: unknown key (known: memory, vcpus, hugepages)");
}

TEST(unknown_section)
{
	EXPECT_ERROR(KERNEL "\n\n[machin]\nmemory = 64M\n", 5,
		     "[machin]: unknown section (known: machine, kernel, console, drive.NAME, net.NAME, sandbox, control, serve)");
}

TEST(unknown_section_empty)
{
	/* inih never calls the handler for an empty section: still caught, on its line. */
	EXPECT_ERROR(KERNEL "[consol]\n", 3, "[consol]: unknown section");
}

TEST(section_with_instance_not_allowed)
{
	EXPECT_ERROR(KERNEL "[machine.one]\n", 3, "[machine.one]: unknown section");
}

TEST(given_twice)
{
	EXPECT_ERROR("[machine]\nmemory = 64M\nvcpus = 1\nmemory = 128M\n" KERNEL, 4,
		     "[machine] memory: given twice (first on line 2)");
}

TEST(given_twice_across_repeated_section)
{
	EXPECT_ERROR(KERNEL "[machine]\nvcpus = 1\n[kernel]\npath = other.elf\n", 6,
		     "[kernel] path: given twice (first on line 2)");
}

TEST(kernel_path_required)
{
	EXPECT_ERROR("[machine]\nmemory = 64M\n", 0, "[kernel] path is required");
}

TEST(empty_file_needs_kernel)
{
	EXPECT_ERROR("", 0, "[kernel] path is required (e.g. path = ");
}

TEST(cannot_open)
{
	struct flint_spec c;
	char err[256];

	CHECK(config_load(&c, "/nonexistent-flint/config.ini", NULL, 0, err, sizeof(err)) == -1);
	CHECK(!strcmp(err, "/nonexistent-flint/config.ini: cannot open: No such file or directory"));
}

TEST(cannot_read_directory)
{
	struct flint_spec c;
	char dir[] = "/tmp/flint-config-XXXXXX", err[256];

	CHECK(mkdtemp(dir) != NULL);
	CHECK(config_load(&c, dir, NULL, 0, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "cannot read: Is a directory");
	rmdir(dir);
}

/* A file whose line `n` (1-based) is `len` characters of a cmdline, after n-1 filler lines. */
static char *long_line_file(int n, size_t len)
{
	char *s = malloc(64 * (size_t)n + len + 64), *p = s;

	p += sprintf(p, "[kernel]\npath = k.elf\n");
	for (int i = 3; i < n; i++)
		p += sprintf(p, "; filler %d\n", i);
	p += sprintf(p, "cmdline = ");
	memset(p, 'x', len - strlen("cmdline = "));
	p += len - strlen("cmdline = ");
	strcpy(p, "\nz = 1\n");
	return s;
}

TEST(line_too_long_reports_real_line)
{
	char *s = long_line_file(12, 250);

	EXPECT_ERROR(s, 12, "line longer than 199 characters (continue long values on indented lines)");
	free(s);
}

TEST(line_of_200_is_too_long)
{
	char *s = long_line_file(3, 200);

	EXPECT_ERROR(s, 3, "line longer than 199 characters");
	free(s);
}

TEST(line_of_199_is_fine)
{
	char *s = long_line_file(3, 199);
	struct flint_spec c;
	struct tmp t;

	/* The file's "z = 1" under [kernel] is the next (real) error, on line 4. */
	EXPECT_ERROR(s, 4, "[kernel] z: unknown key (known: path, cmdline, initrd)");
	s[strlen(s) - strlen("z = 1\n")] = '\0';
	if (load_ok(s, NULL, 0, &c, &t) == 0) {
		CHECK(strlen(c.cmdline) == 199 - strlen("cmdline = "));
		config_free(&c);
	}
	free(s);
}

TEST(earlier_syntax_error_wins_over_long_line)
{
	char *s = long_line_file(6, 300);

	s[strlen("[kernel]\npath = k.elf\n")] = 'X';  /* "X filler 3": no '=' on line 3 */
	EXPECT_ERROR(s, 3, "syntax error");
	free(s);
}

TEST(key_outside_section)
{
	EXPECT_ERROR("memory = 64M\n" KERNEL, 1,
		     "memory: key outside any section (put it under one of: machine, kernel, console, "
		     "drive.NAME, net.NAME, sandbox, control, serve)");
}

TEST(syntax_error_no_equals)
{
	EXPECT_ERROR(KERNEL "[machine]\nmemory 64M\n", 4,
		     "\"memory 64M\": syntax error (expected key = value, [section] or a ; comment)");
}

TEST(syntax_error_header)
{
	EXPECT_ERROR(KERNEL "\n[machine\nmemory = 64M\n", 4, "\"[machine\": section header needs a closing ']'");
}

TEST(syntax_error_indented_after_header)
{
	/* Indented but nothing to continue: inih reads it as a key without '='. */
	EXPECT_ERROR(KERNEL "[machine]\n  more\n", 4, "\"  more\": syntax error");
}

TEST(missing_key_name)
{
	EXPECT_ERROR(KERNEL "[machine]\n= 64M\n", 4, "= \"64M\": missing key name");
}

TEST(empty_values)
{
	EXPECT_ERROR(KERNEL "[machine]\nmemory =\n", 4, "[machine] memory: empty value (e.g. memory = 64M)");
	EXPECT_ERROR(KERNEL "[machine]\nvcpus=\n", 4, "[machine] vcpus: empty value");
	EXPECT_ERROR("[kernel]\npath =  \n", 2, "[kernel] path: empty value");
	EXPECT_ERROR(KERNEL "[console]\noutput =\n", 4, "[console] output: empty value");
	EXPECT_ERROR(KERNEL "[console]\ninput = ; nothing\n", 4, "[console] input: empty value");
}

TEST(memory_negative)
{
	EXPECT_ERROR(KERNEL "[machine]\nmemory = -64M\n", 4, "[machine] memory = \"-64M\": must not be negative");
}

TEST(memory_garbage)
{
	EXPECT_ERROR(KERNEL "[machine]\nmemory = 64Mx\n", 4, "memory = \"64Mx\": unknown unit (use K, M or G)");
	EXPECT_ERROR(KERNEL "[machine]\nmemory = lots\n", 4, "memory = \"lots\": not a number");
	EXPECT_ERROR(KERNEL "[machine]\nmemory = 0x1000000\n", 4, "unknown unit");
	EXPECT_ERROR(KERNEL "[machine]\nmemory = 1.5G\n", 4, "memory = \"1.5G\": not a whole number");
	EXPECT_ERROR(KERNEL "[machine]\nmemory = 1T\n", 4, "memory = \"1T\": unknown unit");
}

TEST(memory_overflow)
{
	EXPECT_ERROR(KERNEL "[machine]\nmemory = 99999999999G\n", 4, "memory = \"99999999999G\": too large");
	EXPECT_ERROR(KERNEL "[machine]\nmemory = 99999999999999999999\n", 4, "too large");
}

TEST(memory_bounds)
{
	EXPECT_ERROR(KERNEL "[machine]\nmemory = 1M\n", 4, "memory = \"1M\": must be 4M to 3G");
	EXPECT_ERROR(KERNEL "[machine]\nmemory = 4G\n", 4, "memory = \"4G\": must be 4M to 3G");
	EXPECT_ERROR(KERNEL "[machine]\nmemory = 0\n", 4, "must be 4M to 3G");
	EXPECT_ERROR(KERNEL "[machine]\nmemory = 3145729K\n", 4, "must be 4M to 3G");
}

TEST(memory_not_page_multiple)
{
	EXPECT_ERROR(KERNEL "[machine]\nmemory = 4194305\n", 4, "memory = \"4194305\": must be a multiple of 4K");
	EXPECT_ERROR(KERNEL "[machine]\nmemory = 65537K\n", 4, "must be a multiple of 4K");
}

TEST(vcpus_out_of_range)
{
	EXPECT_ERROR(KERNEL "[machine]\nvcpus = 0\n", 4, "[machine] vcpus = \"0\": must be 1 to 64");
	EXPECT_ERROR(KERNEL "[machine]\nvcpus = 65\n", 4, "vcpus = \"65\": must be 1 to 64");
	EXPECT_ERROR(KERNEL "[machine]\nvcpus = 99999999999999999999999\n", 4, "must be 1 to 64");
}

TEST(vcpus_negative_and_garbage)
{
	EXPECT_ERROR(KERNEL "[machine]\nvcpus = -1\n", 4, "vcpus = \"-1\": must not be negative");
	EXPECT_ERROR(KERNEL "[machine]\nvcpus = 2x\n", 4, "vcpus = \"2x\": not a whole number");
	EXPECT_ERROR(KERNEL "[machine]\nvcpus = +2\n", 4, "vcpus = \"+2\": not a whole number");
}

TEST(hugepages_on_off_and_garbage)
{
	struct flint_spec c;
	struct tmp t;
	char *on[] = { "machine.hugepages=on" };

	if (load_ok(KERNEL "[machine]\nhugepages = off\n", NULL, 0, &c, &t) == 0) {
		CHECK(c.hugepages == HUGEPAGES_OFF);
		config_free(&c);
	} else {
		CHECK(0);
	}
	if (load_ok(KERNEL "[machine]\nhugepages = off\n", on, 1, &c, &t) == 0) {
		CHECK(c.hugepages == HUGEPAGES_ON);
		config_free(&c);
	} else {
		CHECK(0);
	}
	EXPECT_ERROR(KERNEL "[machine]\nhugepages = 2M\n", 4,
		     "[machine] hugepages = \"2M\": not a boolean (use true or false; yes/no, on/off and 1/0 also work)");
}

TEST(console_output_unknown)
{
	EXPECT_ERROR(KERNEL "[console]\noutput = stderr\n", 4,
		     "[console] output = \"stderr\": unknown output (use stdout, none or file:PATH)");
}

TEST(console_file_empty_path)
{
	EXPECT_ERROR(KERNEL "[console]\noutput = file:\n", 4, "output = \"file:\": file: needs a path");
}

TEST(console_input_unknown)
{
	EXPECT_ERROR(KERNEL "[console]\ninput = tty\n", 4, "input = \"tty\": unknown input (use none or stdin)");
}

TEST(console_device)
{
	struct flint_spec c;
	struct tmp t;

	EXPECT_ERROR(KERNEL "[console]\ndevice = hvc\n", 4,
		     "[console] device = \"hvc\": unknown device (use uart or virtio)");
	if (load_ok(KERNEL "[console]\ndevice = virtio\n", NULL, 0, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	CHECK(c.console_device == CONSOLE_DEV_VIRTIO);
	config_free(&c);
}

TEST(sandbox_key_errors)
{
	EXPECT_ERROR(KERNEL "[sandbox]\nseccomp = strict\n", 4,
		     "[sandbox] seccomp = \"strict\": unknown mode (use kill, trap, log or off)");
	EXPECT_ERROR(KERNEL "[sandbox]\npivot_root = /x\n", 4,
		     "[sandbox] pivot_root: unknown key (known: seccomp, chroot, uid, gid, namespaces)");
}

/* ---- [sandbox] jail keys: errors -------------------------------------- */

TEST(sandbox_ids_refused)
{
	EXPECT_ERROR(KERNEL "[sandbox]\nuid = -1\n", 4, "[sandbox] uid = \"-1\": must not be negative");
	EXPECT_ERROR(KERNEL "[sandbox]\nuid = nobody\n", 4,
		     "[sandbox] uid = \"nobody\": not a number (names are not looked up: give the numeric id");
	EXPECT_ERROR(KERNEL "[sandbox]\ngid = 12x\n", 4, "[sandbox] gid = \"12x\": not a number");
	EXPECT_ERROR(KERNEL "[sandbox]\ngid = +5\n", 4, "[sandbox] gid = \"+5\": not a number");
	/* 2^32 - 1 is "leave unchanged" to setresuid(). */
	EXPECT_ERROR(KERNEL "[sandbox]\nuid = 4294967295\n", 4,
		     "[sandbox] uid = \"4294967295\": must be 0 to 4294967294");
	EXPECT_ERROR(KERNEL "[sandbox]\ngid = 99999999999999999999999\n", 4, "must be 0 to 4294967294");
	EXPECT_ERROR(KERNEL "[sandbox]\nuid =\n", 4, "[sandbox] uid: empty value (e.g. uid = 65534)");
	EXPECT_ERROR(KERNEL "[sandbox]\nuid = 1\ngid = 1\nuid = 2\n", 6,
		     "[sandbox] uid: given twice (first on line 4)");
}

TEST(sandbox_namespaces_refused)
{
	EXPECT_ERROR(KERNEL "[sandbox]\nnamespaces = mount,pid\n", 4,
		     "[sandbox] namespaces = \"mount,pid\": pid is not supported: a new PID namespace holds "
		     "only the processes started after it, and flint starts none");
	EXPECT_ERROR(KERNEL "[sandbox]\nnamespaces = net\n", 4,
		     "[sandbox] namespaces = \"net\": unknown namespace \"net\" (use none, or a list of "
		     "mount and ipc)");
	EXPECT_ERROR(KERNEL "[sandbox]\nnamespaces = ipc,mount,ipc\n", 4, "ipc listed twice");
	EXPECT_ERROR(KERNEL "[sandbox]\nnamespaces = mount,,ipc\n", 4, "empty item in the list");
	EXPECT_ERROR(KERNEL "[sandbox]\nnamespaces = mount,\n", 4, "empty item in the list");
	EXPECT_ERROR(KERNEL "[sandbox]\nnamespaces = none,ipc\n", 4, "none stands alone");
	EXPECT_ERROR(KERNEL "[sandbox]\nnamespaces = MOUNT\n", 4, "unknown namespace \"MOUNT\"");
	EXPECT_ERROR(KERNEL "[sandbox]\nchroot =\n", 4, "[sandbox] chroot: empty value (e.g. chroot = jail)");
	EXPECT_SET_ERROR(KERNEL, "sandbox.namespaces=mount;ipc", "unknown namespace \"mount;ipc\"");
}

TEST(indented_key_is_not_a_new_key)
{
	EXPECT_ERROR(KERNEL "[machine]\nmemory = 64M\n  vcpus = 2\n", 5,
		     "[machine] memory: indented line \"vcpus = 2\" continues its value; only cmdline");
}

TEST(cmdline_too_long)
{
	/* 21 lines of 195 characters: each fits inih, together they pass 4000. */
	char *s = malloc(21 * 200 + 64), *p = s;
	int i;

	p += sprintf(p, "[kernel]\npath = k.elf\ncmdline = a\n");
	for (i = 0; i < 21; i++) {
		p += sprintf(p, "  ");
		memset(p, 'y', 193);
		p += 193;
		*p++ = '\n';
	}
	*p = '\0';
	/* "a" + 20 * (1 + 193) = 3881 fits; the 21st continuation (line 24) does not. */
	EXPECT_ERROR(s, 24, "[kernel] cmdline = \"yyy");
	EXPECT_ERROR(s, 24, "cmdline longer than 4000 characters in all");
	free(s);
}

TEST(nul_byte)
{
	struct flint_spec c;
	struct tmp t;
	char err[256];
	FILE *f;

	strcpy(t.dir, "/tmp/flint-config-XXXXXX");
	CHECK(mkdtemp(t.dir) != NULL);
	snprintf(t.ini, sizeof(t.ini), "%s/config.ini", t.dir);
	f = fopen(t.ini, "w");
	fwrite(KERNEL "a\0b = 1\n", 1, sizeof(KERNEL "a\0b = 1\n") - 1, f);
	fclose(f);
	CHECK(config_load(&c, t.ini, NULL, 0, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "config.ini:3: line contains a NUL byte");
	tmp_remove(&t);
}

/* ---- [drive.NAME] errors ---------------------------------------------- */

#define DRIVE(name) "[drive." name "]\npath = " name ".img\n"

TEST(drive_name_bad_characters)
{
	EXPECT_ERROR(KERNEL "\n[drive.my disk]\npath = d.img\n", 4,
		     "[drive.my disk]: ' ' is not allowed in a name (NAME in [drive.NAME]: 1 to 32 "
		     "letters, digits, '_' or '-')");
	EXPECT_ERROR(KERNEL "[drive.a.b]\npath = d.img\n", 3, "[drive.a.b]: '.' is not allowed in a name");
	EXPECT_ERROR(KERNEL "[drive.d\xc3\xa9]\npath = d.img\n", 3, "[drive.d\xc3\xa9]: byte 0xc3 is not allowed");
	EXPECT_ERROR(KERNEL "[drive.x23456789012345678901234567890123]\n", 3,
		     "name longer than 32 characters (NAME in [drive.NAME]");
}

TEST(drive_name_empty_or_missing)
{
	EXPECT_ERROR(KERNEL "[drive.]\npath = d.img\n", 3, "[drive.]: empty name (NAME in [drive.NAME]: 1 to 32");
	EXPECT_ERROR(KERNEL "[drive]\npath = d.img\n", 3, "[drive]: needs a name (NAME in [drive.NAME]: 1 to 32");
	EXPECT_ERROR(KERNEL "[drivex]\n", 3, "[drivex]: unknown section");
}

TEST(drive_too_many)
{
	/* The ninth is refused on its header's line, even before its keys. */
	EXPECT_ERROR(KERNEL DRIVE("a") DRIVE("b") DRIVE("c") DRIVE("d") DRIVE("e") DRIVE("f") DRIVE("g")
		     DRIVE("h") "[drive.i]\npath = i.img\n", 19, "[drive.i]: too many drives (at most 8)");
	/* Reopening one of the eight is not a ninth. */
	EXPECT_ERROR(KERNEL DRIVE("a") DRIVE("b") DRIVE("c") DRIVE("d") DRIVE("e") DRIVE("f") DRIVE("g")
		     DRIVE("h") "[drive.a]\nreadonly = yes\nbad = 1\n", 21, "[drive.a] bad: unknown key");
}

TEST(drive_path_required)
{
	EXPECT_ERROR(KERNEL DRIVE("a") "[drive.data]\nreadonly = true\n", 0,
		     "[drive.data] path is required (e.g. path = disk.img)");
	EXPECT_ERROR(KERNEL "[drive.data]\n", 0, "[drive.data] path is required");
	EXPECT_ERROR(KERNEL "[drive.data]\npath =\n", 4, "[drive.data] path: empty value (e.g. path = disk.img)");
}

TEST(drive_key_given_twice)
{
	EXPECT_ERROR(KERNEL "[drive.data]\npath = a.img\nreadonly = no\npath = b.img\n", 6,
		     "[drive.data] path: given twice (first on line 4)");
	/* A reopened [drive.data] is the same drive. */
	EXPECT_ERROR(KERNEL "[drive.data]\npath = a.img\n[machine]\n[drive.data]\nreadonly = 1\npath = b.img\n", 8,
		     "[drive.data] path: given twice (first on line 4)");
}

TEST(drive_bad_boolean)
{
	EXPECT_ERROR(KERNEL "[drive.data]\npath = d.img\nreadonly = maybe\n", 5,
		     "[drive.data] readonly = \"maybe\": not a boolean (use true or false; yes/no, on/off and 1/0 also work)");
	EXPECT_ERROR(KERNEL "[drive.data]\npath = d.img\nreadonly = 2\n", 5, "not a boolean");
	EXPECT_ERROR(KERNEL "[drive.data]\npath = d.img\nreadonly = truee\n", 5, "not a boolean");
	EXPECT_ERROR(KERNEL "[drive.data]\npath = d.img\nreadonly =\n", 5,
		     "[drive.data] readonly: empty value (e.g. readonly = true)");
}

TEST(drive_unknown_key)
{
	EXPECT_ERROR(KERNEL "[drive.data]\npath = d.img\nsize = 1G\n", 5,
		     "[drive.data] size: unknown key (known: path, readonly)");
}

TEST(drive_set_errors)
{
	char *creates[] = { "drive.data.readonly=true" };
	char *ninth[] = { "drive.i.path=i.img" };

	/* A --set may add a drive, but then it needs a path like any other. */
	expect_error_at(__LINE__, KERNEL, creates, 1, 0, "[drive.data] path is required (e.g. path = disk.img)");
	expect_error_at(__LINE__, KERNEL DRIVE("a") DRIVE("b") DRIVE("c") DRIVE("d") DRIVE("e") DRIVE("f")
			DRIVE("g") DRIVE("h"), ninth, 1, -1, "[drive.i]: too many drives (at most 8)");
	EXPECT_SET_ERROR(KERNEL, "drive.path=d.img", "[drive]: needs a name");
	EXPECT_SET_ERROR(KERNEL, "drive.a!.path=d.img", "[drive.a!]: '!' is not allowed in a name");
	EXPECT_SET_ERROR(KERNEL DRIVE("a"), "drive.a.readonly=perhaps", "[drive.a] readonly = \"perhaps\": not a boolean");
}

/* ---- [net.NAME] -------------------------------------------------------- */

#define NET(name, tap) "[net." name "]\ntap = " tap "\n"

TEST(net_minimal_defaults)
{
	struct flint_spec c, c2;
	struct tmp t;

	if (load_ok(KERNEL "\n[net.eth0]\ntap = attach0\n", NULL, 0, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	CHECK(c.nnets == 1);
	CHECK(!strcmp(c.nets[0].name, "eth0"));
	CHECK(!strcmp(c.nets[0].tap, "attach0"));
	CHECK(c.nets[0].mtu == 1500);
	CHECK(!c.nets[0].has_ip && !c.nets[0].has_gateway);
	/* Default MAC: locally administered, unicast, and a function of NAME alone. */
	CHECK((c.nets[0].mac[0] & 3) == 2);
	/* The tap's origin, for errors found when it is opened. */
	{
		char want[128];

		snprintf(want, sizeof(want), "%s:5", t.ini);
		CHECK(!strcmp(spec_where(&c, "net", "tap", 0), want));
	}
	if (load_ok(KERNEL "[net.eth0]\ntap = other\n[net.eth1]\ntap = t1\n", NULL, 0, &c2, &t) != 0) {
		CHECK(0);
		config_free(&c);
		return;
	}
	CHECK(!memcmp(c.nets[0].mac, c2.nets[0].mac, 6));
	CHECK(memcmp(c2.nets[0].mac, c2.nets[1].mac, 6) != 0);
	CHECK((c2.nets[1].mac[0] & 3) == 2);
	config_free(&c);
	config_free(&c2);
}

TEST(net_every_key)
{
	struct flint_spec c;
	struct tmp t;
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xCD, 0xef };

	if (load_ok(KERNEL "[net.lan]\ntap = attach-lan\nmac = 52:54:00:ab:CD:ef\nmtu = 9000\n"
		    "ip = 10.1.2.3/16\ngateway = 10.1.0.1\n", NULL, 0, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	CHECK(c.nnets == 1);
	CHECK(!memcmp(c.nets[0].mac, mac, 6));
	CHECK(c.nets[0].mtu == 9000);
	CHECK(c.nets[0].has_ip && c.nets[0].ip == (10u << 24 | 1 << 16 | 2 << 8 | 3) && c.nets[0].prefix == 16);
	CHECK(c.nets[0].has_gateway && c.nets[0].gateway == (10u << 24 | 1 << 16 | 1));
	config_free(&c);
}

TEST(net_bounds_ok)
{
	struct flint_spec c;
	struct tmp t;

	if (load_ok(KERNEL "[net.a]\ntap = x23456789012345\nmtu = 68\nip = 192.168.1.1/32\n"
		    "[net.b]\ntap = b\nmtu = 65535\nip = 10.0.0.1/31\n", NULL, 0, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	CHECK(c.nets[0].mtu == 68 && c.nets[1].mtu == 65535);
	CHECK(c.nets[0].prefix == 32 && c.nets[1].prefix == 31);
	config_free(&c);
}

TEST(net_set_adds_and_changes)
{
	struct flint_spec c;
	struct tmp t;
	char *sets[] = { "net.eth0.mtu=4000", "net.new.tap=attach9", "net.new.ip=172.16.0.5/12" };

	if (load_ok(KERNEL NET("eth0", "t0"), sets, 3, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	CHECK(c.nnets == 2);
	CHECK(c.nets[0].mtu == 4000);
	CHECK(!strcmp(c.nets[1].name, "new") && !strcmp(c.nets[1].tap, "attach9"));
	CHECK(c.nets[1].has_ip && c.nets[1].prefix == 12);
	CHECK(!strcmp(spec_where(&c, "net", "tap", 1), "--set net.new.tap=attach9"));
	config_free(&c);
}

TEST(net_tap_errors)
{
	EXPECT_ERROR(KERNEL "[net.eth0]\nmtu = 1500\n", 0, "[net.eth0] tap is required (e.g. tap = tap0)");
	EXPECT_ERROR(KERNEL "[net.eth0]\ntap =\n", 4, "[net.eth0] tap: empty value (e.g. tap = tap0)");
	EXPECT_ERROR(KERNEL "[net.eth0]\ntap = x234567890123456\n", 4,
		     "[net.eth0] tap = \"x234567890123456\": interface names are at most 15 bytes");
	EXPECT_ERROR(KERNEL "[net.eth0]\ntap = a/b\n", 4, "'/' is not allowed in an interface name");
	EXPECT_ERROR(KERNEL "[net.eth0]\ntap = a:b\n", 4, "':' is not allowed in an interface name");
	EXPECT_ERROR(KERNEL "[net.eth0]\ntap = a b\n", 4, "' ' is not allowed in an interface name");
	EXPECT_ERROR(KERNEL "[net.eth0]\ntap = ..\n", 4, "not an interface name");
	EXPECT_ERROR(KERNEL "[net.eth0]\ntap = t0\ntap = t1\n", 5, "[net.eth0] tap: given twice (first on line 4)");
	EXPECT_ERROR(KERNEL NET("a", "t0") "\n" NET("b", "t0"), 7,
		     "[net.b] tap = t0: already used by [net.a] (one tap per interface)");
}

TEST(net_mac_errors)
{
	EXPECT_ERROR(KERNEL NET("e", "t") "mac = 52:54:00:12:34\n", 5,
		     "[net.e] mac = \"52:54:00:12:34\": not a MAC address (six hex bytes with ':', e.g. 52:54:00:12:34:56)");
	EXPECT_ERROR(KERNEL NET("e", "t") "mac = 52-54-00-12-34-56\n", 5, "not a MAC address");
	EXPECT_ERROR(KERNEL NET("e", "t") "mac = 52:54:00:12:34:5g\n", 5, "not a MAC address");
	EXPECT_ERROR(KERNEL NET("e", "t") "mac = 52:54:00:12:34:567\n", 5, "not a MAC address");
	EXPECT_ERROR(KERNEL NET("e", "t") "mac = 01:00:5e:00:00:01\n", 5,
		     "a multicast address: the guest's own must be unicast");
	EXPECT_ERROR(KERNEL NET("e", "t") "mac = ff:ff:ff:ff:ff:ff\n", 5, "a multicast address");
	EXPECT_ERROR(KERNEL NET("e", "t") "mac = 00:00:00:00:00:00\n", 5, "the all-zero address");
}

TEST(net_mtu_errors)
{
	EXPECT_ERROR(KERNEL NET("e", "t") "mtu = 67\n", 5, "[net.e] mtu = \"67\": must be 68 to 65535");
	EXPECT_ERROR(KERNEL NET("e", "t") "mtu = 65536\n", 5, "must be 68 to 65535");
	EXPECT_ERROR(KERNEL NET("e", "t") "mtu = 99999999999999999999\n", 5, "must be 68 to 65535");
	EXPECT_ERROR(KERNEL NET("e", "t") "mtu = -1\n", 5, "must not be negative");
	EXPECT_ERROR(KERNEL NET("e", "t") "mtu = 1.5k\n", 5, "not a whole number");
}

TEST(net_ip_errors)
{
	EXPECT_ERROR(KERNEL NET("e", "t") "ip = 10.0.0.2\n", 5,
		     "[net.e] ip = \"10.0.0.2\": needs a prefix length (e.g. 10.0.0.2/24)");
	EXPECT_ERROR(KERNEL NET("e", "t") "ip = 10.0.0.256/24\n", 5, "not an IPv4 address");
	EXPECT_ERROR(KERNEL NET("e", "t") "ip = 10.0.0/24\n", 5, "not an IPv4 address");
	EXPECT_ERROR(KERNEL NET("e", "t") "ip = 10.0.0.2.1/24\n", 5, "not an IPv4 address");
	EXPECT_ERROR(KERNEL NET("e", "t") "ip = 10.0.0.0002/24\n", 5, "not an IPv4 address");
	EXPECT_ERROR(KERNEL NET("e", "t") "ip = 10.0.0.2/33\n", 5, "the prefix length must be 1 to 32");
	EXPECT_ERROR(KERNEL NET("e", "t") "ip = 10.0.0.2/0\n", 5, "the prefix length must be 1 to 32");
	EXPECT_ERROR(KERNEL NET("e", "t") "ip = 10.0.0.2/\n", 5, "the prefix length must be 1 to 32");
	EXPECT_ERROR(KERNEL NET("e", "t") "ip = 10.0.0.0/24\n", 5, "the network's own address");
	EXPECT_ERROR(KERNEL NET("e", "t") "ip = 10.0.0.255/24\n", 5, "the network's broadcast address");
	EXPECT_ERROR(KERNEL NET("e", "t") "ip = 0.0.0.0/8\n", 5, "0.0.0.0 is no host's address");
}

TEST(net_gateway_errors)
{
	EXPECT_ERROR(KERNEL NET("e", "t") "gateway = 10.0.0.1\n", 5,
		     "[net.e] gateway needs ip, the guest's own address (e.g. ip = 10.0.0.2/24)");
	EXPECT_ERROR(KERNEL NET("e", "t") "ip = 10.0.0.2/24\ngateway = 10.0.1.1\n", 6,
		     "[net.e] gateway = 10.0.1.1: outside the guest's network 10.0.0.0/24 (ip)");
	EXPECT_ERROR(KERNEL NET("e", "t") "ip = 10.0.0.2/24\ngateway = 10.0.0.2\n", 6,
		     "[net.e] gateway is the guest's own address");
	EXPECT_ERROR(KERNEL NET("e", "t") "gateway = 10.0.0.1/24\n", 5, "without /prefix");
	EXPECT_ERROR(KERNEL NET("e", "t") "gateway = 10.0.0\n", 5, "not an IPv4 address");
}

TEST(net_names_and_count)
{
	EXPECT_ERROR(KERNEL "[net]\ntap = t\n", 3, "[net]: needs a name (NAME in [net.NAME]: 1 to 32");
	EXPECT_ERROR(KERNEL "[net.a!]\ntap = t\n", 3, "[net.a!]: '!' is not allowed in a name");
	EXPECT_ERROR(KERNEL NET("a", "t0") NET("b", "t1") NET("c", "t2") NET("d", "t3") NET("e", "t4")
		     NET("f", "t5") NET("g", "t6") NET("h", "t7") "[net.i]\n", 19,
		     "[net.i]: too many network interfaces (at most 8)");
	EXPECT_SET_ERROR(KERNEL, "net.x.mtu=10", "--set net.x.mtu=10: [net.x] mtu = \"10\": must be 68 to 65535");
	EXPECT_SET_ERROR(KERNEL NET("a", "t"), "net.a.tap=bad/name", "'/' is not allowed in an interface name");
	{
		char *sets[] = { "net.x.mtu=1400" };

		expect_error_at(__LINE__, KERNEL, sets, 1, 0, "[net.x] tap is required (e.g. tap = tap0)");
	}
}

/* ---- --set errors ----------------------------------------------------- */

TEST(set_bad_value)
{
	EXPECT_SET_ERROR(KERNEL, "machine.memory=64X", "--set machine.memory=64X: [machine] memory = \"64X\": unknown unit (use K, M or G)");
	EXPECT_SET_ERROR(KERNEL, "machine.vcpus=0", "--set machine.vcpus=0: [machine] vcpus = \"0\": must be 1 to 64");
}

/* What the user typed is echoed, but the message stays one printable line. */
TEST(set_error_is_one_line)
{
	EXPECT_SET_ERROR(KERNEL, "machine.memory=64\nX", "[machine] memory = \"64?X\"");
	EXPECT_SET_ERROR(KERNEL, "machine.ram\x1b[2J=1", "[machine] ram?[2J: unknown key");
}

TEST(set_malformed)
{
	EXPECT_SET_ERROR(KERNEL, "memory=64M", "expected section.key=value");
	EXPECT_SET_ERROR(KERNEL, "machine.memory", "expected section.key=value");
	EXPECT_SET_ERROR(KERNEL, ".memory=1G", "expected section.key=value");
	EXPECT_SET_ERROR(KERNEL, "machine.=1G", "expected section.key=value");
}

TEST(set_unknown_names)
{
	EXPECT_SET_ERROR(KERNEL, "machine.ram=1G", "[machine] ram: unknown key (known: memory, vcpus, hugepages)");
	EXPECT_SET_ERROR(KERNEL, "machin.memory=1G", "[machin]: unknown section");
	EXPECT_SET_ERROR(KERNEL, "net.eth0.tpa=tap0", "[net.eth0] tpa: unknown key (known: tap, mac, mtu, ip, gateway)");
	EXPECT_SET_ERROR(KERNEL, "drive.data.size=1G", "[drive.data] size: unknown key (known: path, readonly)");
}

TEST(set_error_after_file_error_not_reached)
{
	/* The file's own error is reported, not the later --set one. */
	char *sets[] = { "machine.memory=64X" };

	expect_error_at(__LINE__, KERNEL "[machine]\nvcpus = 0\n", sets, 1, 4, "vcpus = \"0\"");
}

/* ---- valid files ------------------------------------------------------- */

TEST(defaults)
{
	struct flint_spec c;
	struct tmp t;

	if (load_ok(KERNEL, NULL, 0, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	CHECK(c.memory == 64ull << 20);
	CHECK(c.vcpus == 1);
	CHECK(c.cmdline && !strcmp(c.cmdline, ""));
	CHECK(c.console_output == CONSOLE_OUT_STDOUT);
	CHECK(c.console_path == NULL);
	CHECK(c.console_input == CONSOLE_IN_NONE);
	CHECK(c.console_device == CONSOLE_DEV_UART);
	CHECK(c.hugepages == HUGEPAGES_UNSET);
	CHECK(!strcmp(spec_where(&c, NULL, NULL, 0), t.ini));
	config_free(&c);
	CHECK(c.kernel_path == NULL && c.origin == NULL);
	config_free(&c);  /* twice is harmless */
}

TEST(full_file)
{
	const char *text =
		"\xEF\xBB\xBF; a complete configuration\r\n"
		"[machine]\r\n"
		"memory = 128MiB ; inline comment\r\n"
		"vcpus: 4\r\n"
		"[kernel]\r\n"
		"path = /opt/guest/k.elf\r\n"
		"cmdline = -- a;b\r\n"
		"[console]\r\n"
		"output = none\r\n"
		"input = stdin\r\n";
	struct flint_spec c;
	struct tmp t;

	if (load_ok(text, NULL, 0, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	CHECK(c.memory == 128ull << 20);
	CHECK(c.vcpus == 4);
	CHECK(!strcmp(c.kernel_path, "/opt/guest/k.elf"));
	CHECK(!strcmp(c.cmdline, "-- a;b"));
	CHECK(c.console_output == CONSOLE_OUT_NONE);
	CHECK(c.console_input == CONSOLE_IN_STDIN);
	config_free(&c);
}

TEST(memory_suffixes)
{
	static const struct {
		const char *v;
		uint64_t bytes;
	} cases[] = {
		{ "64M", 64ull << 20 }, { "64MiB", 64ull << 20 }, { "64MB", 64ull << 20 },
		{ "64m", 64ull << 20 }, { "65536K", 64ull << 20 }, { "1G", 1ull << 30 },
		{ "3G", 3ull << 30 }, { "4M", 4ull << 20 }, { "4194304", 4ull << 20 },
		{ "8 MiB", 8ull << 20 }, { "4100K", 4100ull << 10 }, { "3072M", 3ull << 30 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128];
		struct flint_spec c;
		struct tmp t;

		snprintf(text, sizeof(text), KERNEL "[machine]\nmemory = %s\n", cases[i].v);
		if (load_ok(text, NULL, 0, &c, &t) != 0) {
			CHECK(0);
			continue;
		}
		if (c.memory != cases[i].bytes)
			fprintf(stderr, "  memory = %s gave %llu\n", cases[i].v, (unsigned long long)c.memory);
		CHECK(c.memory == cases[i].bytes);
		config_free(&c);
	}
}

TEST(paths_resolved_against_ini_folder)
{
	char want[160];
	struct flint_spec c;
	struct tmp t;

	if (load_ok("[kernel]\npath = guest/hello.elf\n[console]\noutput = file:logs/console.txt\n", NULL, 0,
		    &c, &t) != 0) {
		CHECK(0);
		return;
	}
	snprintf(want, sizeof(want), "%s/guest/hello.elf", t.dir);
	CHECK(!strcmp(c.kernel_path, want));
	CHECK(c.console_output == CONSOLE_OUT_FILE);
	snprintf(want, sizeof(want), "%s/logs/console.txt", t.dir);
	CHECK(c.console_path && !strcmp(c.console_path, want));
	config_free(&c);
}

TEST(absolute_paths_kept)
{
	struct flint_spec c;
	struct tmp t;

	if (load_ok("[kernel]\npath = /boot/k.elf\n[console]\noutput = file:/var/log/c.txt\n", NULL, 0, &c,
		    &t) != 0) {
		CHECK(0);
		return;
	}
	CHECK(!strcmp(c.kernel_path, "/boot/k.elf"));
	CHECK(!strcmp(c.console_path, "/var/log/c.txt"));
	config_free(&c);
}

TEST(ini_in_cwd_keeps_relative_path)
{
	char cwd[4096], err[256];
	struct flint_spec c;
	struct tmp t;

	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK(tmp_write(&t, "[kernel]\npath = k.elf\n") == 0);
	CHECK(chdir(t.dir) == 0);
	CHECK(config_load(&c, "config.ini", NULL, 0, err, sizeof(err)) == 0);
	CHECK(c.kernel_path && !strcmp(c.kernel_path, "k.elf"));
	config_free(&c);
	CHECK(chdir(cwd) == 0);
	tmp_remove(&t);
}

TEST(multiline_cmdline_joined)
{
	struct flint_spec c;
	struct tmp t;

	if (load_ok("[kernel]\n"
		    "cmdline = -- one two\n"
		    "    three\n"
		    "\n"
		    "; a comment does not end the value\n"
		    "\tfour  five\n"
		    "path = k.elf\n",
		    NULL, 0, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	CHECK(!strcmp(c.cmdline, "-- one two three four  five"));
	config_free(&c);
}

TEST(multiline_cmdline_from_empty_first_line)
{
	struct flint_spec c;
	struct tmp t;

	if (load_ok(KERNEL "cmdline =\n  -- a\n  b\n", NULL, 0, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	CHECK(!strcmp(c.cmdline, "-- a b"));
	config_free(&c);
}

TEST(cmdline_at_the_limit)
{
	/* 1 + 20 * 194 = 3881, then one more line of 118: exactly 4000. */
	char *s = malloc(22 * 200 + 64), *p = s;
	struct flint_spec c;
	struct tmp t;

	p += sprintf(p, "[kernel]\npath = k.elf\ncmdline = a\n");
	for (int i = 0; i < 21; i++) {
		size_t n = i < 20 ? 193 : 118;

		p += sprintf(p, "  ");
		memset(p, 'y', n);
		p += n;
		*p++ = '\n';
	}
	*p = '\0';
	if (load_ok(s, NULL, 0, &c, &t) == 0) {
		CHECK(strlen(c.cmdline) == CONFIG_CMDLINE_MAX);
		config_free(&c);
	} else {
		CHECK(0);
	}
	free(s);
}

TEST(set_overrides_file)
{
	char *sets[] = { "machine.memory=128M", "kernel.cmdline = -- 42 ", "machine.vcpus=2",
			 "machine.vcpus=3", "console.output=file:out.txt", "kernel.path=/abs/k.elf",
			 "console.input=stdin" };
	struct flint_spec c;
	struct tmp t;

	if (load_ok("[machine]\nmemory = 64M\nvcpus = 1\n[kernel]\npath = k.elf\ncmdline = -- 0\n  more\n",
		    sets, 7, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	CHECK(c.memory == 128ull << 20);
	CHECK(c.vcpus == 3);
	CHECK(!strcmp(c.cmdline, "-- 42"));
	CHECK(!strcmp(c.kernel_path, "/abs/k.elf"));
	CHECK(c.console_output == CONSOLE_OUT_FILE);
	CHECK(!strcmp(c.console_path, "out.txt"));
	CHECK(c.console_input == CONSOLE_IN_STDIN);
	config_free(&c);
}

TEST(sandbox_jail_off_by_default)
{
	struct flint_spec c;
	struct tmp t;

	if (load_ok(KERNEL "[sandbox]\nseccomp = kill\n", NULL, 0, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	CHECK(c.jail.root == NULL);
	CHECK(!c.jail.set_uid && !c.jail.set_gid);
	CHECK(c.jail.namespaces == 0);
	config_free(&c);
}

TEST(sandbox_jail_keys)
{
	char want[160];
	struct flint_spec c;
	struct tmp t;

	if (load_ok(KERNEL "[sandbox]\nchroot = jail/root\nuid = 65534\ngid = 0\nnamespaces = ipc , mount\n",
		    NULL, 0, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	snprintf(want, sizeof(want), "%s/jail/root", t.dir);
	CHECK(c.jail.root && !strcmp(c.jail.root, want));
	CHECK(c.jail.set_uid && c.jail.uid == 65534);
	CHECK(c.jail.set_gid && c.jail.gid == 0);
	CHECK(c.jail.namespaces == ((1u << SANDBOX_NS_MOUNT) | (1u << SANDBOX_NS_IPC)));
	config_free(&c);
}

TEST(sandbox_jail_each_key_alone)
{
	char *sets[] = { "sandbox.namespaces=none", "sandbox.gid=4294967294", "sandbox.chroot=/var/empty" };
	struct flint_spec c;
	struct tmp t;

	/* uid without gid and the reverse are both allowed; none undoes a list. */
	if (load_ok(KERNEL "[sandbox]\nnamespaces = mount\nuid = 007\n", sets, 3, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	CHECK(c.jail.set_uid && c.jail.uid == 7);
	CHECK(c.jail.set_gid && c.jail.gid == 4294967294u);
	CHECK(c.jail.namespaces == 0);
	CHECK(c.jail.root && !strcmp(c.jail.root, "/var/empty"));
	config_free(&c);
	if (load_ok(KERNEL "[sandbox]\ngid = 100\nnamespaces = ipc\n", NULL, 0, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	CHECK(!c.jail.set_uid && c.jail.set_gid && c.jail.gid == 100);
	CHECK(c.jail.namespaces == 1u << SANDBOX_NS_IPC);
	CHECK(c.jail.root == NULL);
	config_free(&c);
}

TEST(set_supplies_required_key)
{
	char *sets[] = { "kernel.path=k.elf", "kernel.cmdline=" };
	struct flint_spec c;
	struct tmp t;

	if (load_ok("[machine]\nvcpus = 2\n", sets, 2, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	/* Typed on the command line: relative to the current folder. */
	CHECK(!strcmp(c.kernel_path, "k.elf"));
	CHECK(!strcmp(c.cmdline, ""));
	CHECK(c.vcpus == 2);
	config_free(&c);
}

TEST(console_file_back_to_stdout)
{
	char *sets[] = { "console.output=stdout" };
	struct flint_spec c;
	struct tmp t;

	if (load_ok(KERNEL "[console]\noutput = file:x.txt\n", sets, 1, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	CHECK(c.console_output == CONSOLE_OUT_STDOUT);
	CHECK(c.console_path == NULL);
	config_free(&c);
}

/* ---- [drive.NAME] ------------------------------------------------------ */

TEST(drive_single)
{
	char want[160];
	struct flint_spec c;
	struct tmp t;

	if (load_ok(KERNEL "[drive.data]\npath = images/disk.img\n", NULL, 0, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	CHECK(c.ndrives == 1);
	CHECK(!strcmp(c.drives[0].name, "data"));
	snprintf(want, sizeof(want), "%s/images/disk.img", t.dir);
	CHECK(!strcmp(c.drives[0].path, want));
	CHECK(!c.drives[0].readonly);
	config_free(&c);
	CHECK(c.ndrives == 0);
}

TEST(drives_in_file_order)
{
	/* Same key in two drives is fine; a reopened section adds to its drive. */
	const char *text =
		"[drive.zeta]\npath = /abs/z.img\nreadonly = on\n"
		KERNEL
		"[drive.Alpha_2]\npath = a.img\n"
		"[drive.x23456789012345678901234567890-]\npath = m.img\nreadonly = false\n"
		"[drive.Alpha_2]\nreadonly = YES\n";
	char want[160];
	struct flint_spec c;
	struct tmp t;

	if (load_ok(text, NULL, 0, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	CHECK(c.ndrives == 3);
	CHECK(!strcmp(c.drives[0].name, "zeta"));
	CHECK(!strcmp(c.drives[0].path, "/abs/z.img"));
	CHECK(c.drives[0].readonly);
	CHECK(!strcmp(c.drives[1].name, "Alpha_2"));
	snprintf(want, sizeof(want), "%s/a.img", t.dir);
	CHECK(!strcmp(c.drives[1].path, want));
	CHECK(c.drives[1].readonly);
	CHECK(!strcmp(c.drives[2].name, "x23456789012345678901234567890-"));
	CHECK(!c.drives[2].readonly);
	config_free(&c);
}

TEST(drives_eight_is_the_limit)
{
	struct flint_spec c;
	struct tmp t;

	if (load_ok(KERNEL DRIVE("a") DRIVE("b") DRIVE("c") DRIVE("d") DRIVE("e") DRIVE("f") DRIVE("g")
		    DRIVE("h"), NULL, 0, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	CHECK(c.ndrives == CONFIG_DRIVES_MAX);
	CHECK(!strcmp(c.drives[7].name, "h"));
	config_free(&c);
}

TEST(drive_readonly_spellings)
{
	static const struct {
		const char *v;
		bool ro;
	} cases[] = {
		{ "true", true }, { "yes", true }, { "on", true }, { "1", true }, { "True", true },
		{ "false", false }, { "no", false }, { "off", false }, { "0", false }, { "OFF", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128];
		struct flint_spec c;
		struct tmp t;

		snprintf(text, sizeof(text), KERNEL "[drive.d]\nreadonly = %s\npath = d.img\n", cases[i].v);
		if (load_ok(text, NULL, 0, &c, &t) != 0) {
			CHECK(0);
			continue;
		}
		if (c.drives[0].readonly != cases[i].ro)
			fprintf(stderr, "  readonly = %s gave %d\n", cases[i].v, c.drives[0].readonly);
		CHECK(c.drives[0].readonly == cases[i].ro);
		config_free(&c);
	}
}

TEST(drive_set_overrides_and_adds)
{
	char *sets[] = { "drive.new.readonly=yes", "drive.a.path=/abs/a2.img", "drive.a.readonly=off",
			 "drive.new.path=n.img", "drive.new.path = disks/n.img " };
	struct flint_spec c;
	struct tmp t;

	if (load_ok(KERNEL "[drive.a]\npath = a.img\nreadonly = true\n" DRIVE("b"), sets, 5, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	CHECK(c.ndrives == 3);
	CHECK(!strcmp(c.drives[0].name, "a"));
	CHECK(!strcmp(c.drives[0].path, "/abs/a2.img"));
	CHECK(!c.drives[0].readonly);
	CHECK(!strcmp(c.drives[1].name, "b"));
	CHECK(!strcmp(c.drives[2].name, "new"));
	CHECK(!strcmp(c.drives[2].path, "disks/n.img"));  /* a --set's: relative to the cwd */
	CHECK(c.drives[2].readonly);
	config_free(&c);
}

/* Issue 19: one rule.  A path written in the file is relative to the file's
 * folder; one given with --set, to the current folder, every key alike. */
TEST(set_paths_relative_to_cwd)
{
	char *sets[] = { "kernel.initrd=my.cpio", "console.output=file:out/c.log", "sandbox.chroot=jail",
			 "control.socket=vm.sock", "drive.d.path=d.img" };
	char want[160];
	struct flint_spec c;
	struct tmp t;

	if (load_ok("[kernel]\npath = k.elf\n[drive.e]\npath = e.img\n", sets, 5, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	snprintf(want, sizeof(want), "%s/k.elf", t.dir);
	CHECK(!strcmp(c.kernel_path, want));
	snprintf(want, sizeof(want), "%s/e.img", t.dir);
	CHECK(!strcmp(c.drives[0].path, want));
	CHECK(!strcmp(c.initrd_path, "my.cpio"));
	CHECK(!strcmp(c.console_path, "out/c.log"));
	CHECK(!strcmp(c.jail.root, "jail"));
	CHECK(!strcmp(c.control_path, "vm.sock"));
	CHECK(!strcmp(c.drives[1].path, "d.img"));
	config_free(&c);
}

/* Every key's origin is kept for errors found after loading (a path that
 * does not open): the line that set it, or the --set that replaced it. */
TEST(where_each_key_was_given)
{
	char *sets[] = { "drive.b.path=/x.img" };
	char want[160];
	struct flint_spec c;
	struct tmp t;

	if (load_ok("[kernel]\npath = k.elf\n[drive.a]\npath = a.img\n[drive.b]\npath = b.img\n"
		    "[control]\nsocket = s\n", sets, 1, &c, &t) != 0) {
		CHECK(0);
		return;
	}
	snprintf(want, sizeof(want), "%s:2", t.ini);
	CHECK(!strcmp(spec_where(&c, "kernel", "path", 0), want));
	snprintf(want, sizeof(want), "%s:4", t.ini);
	CHECK(!strcmp(spec_where(&c, "drive", "path", 0), want));
	CHECK(!strcmp(spec_where(&c, "drive", "path", 1), "--set drive.b.path=/x.img"));
	snprintf(want, sizeof(want), "%s:8", t.ini);
	CHECK(!strcmp(spec_where(&c, "control", "socket", 0), want));
	CHECK(!strcmp(spec_where(&c, "machine", "memory", 0), t.ini));
	CHECK(!strcmp(spec_where(&c, NULL, NULL, 0), t.ini));
	config_free(&c);
}

TEST(small_err_buffer_is_safe)
{
	struct flint_spec c;
	struct tmp t;
	char err[8];

	CHECK(load(KERNEL "[machine]\nmemory = 64X\n", NULL, 0, &c, err, sizeof(err), &t) == -1);
	CHECK(strlen(err) < sizeof(err));
	CHECK(load(KERNEL "[machine]\nmemory = 64X\n", NULL, 0, &c, NULL, 0, &t) == -1);
}

/* ---- config_parse_size ------------------------------------------------- */

static void size_ok(const char *s, uint64_t want)
{
	uint64_t v = 12345;
	const char *why = NULL;

	CHECK(config_parse_size(s, &v, &why) == 0);
	if (v != want)
		fprintf(stderr, "  config_parse_size(\"%s\") = %llu (why %s)\n", s, (unsigned long long)v,
			why ? why : "-");
	CHECK(v == want);
}

static void size_bad(const char *s, const char *why_part)
{
	uint64_t v = 12345;
	const char *why = NULL;

	CHECK(config_parse_size(s, &v, &why) == -1);
	CHECK(v == 12345);
	CHECK_CONTAINS(why, why_part);
}

TEST(parse_size_values)
{
	size_ok("0", 0);
	size_ok("1", 1);
	size_ok("007", 7);
	size_ok("1B", 1);
	size_ok("1K", 1024);
	size_ok("1k", 1024);
	size_ok("1KiB", 1024);
	size_ok("1KB", 1024);
	size_ok("64M", 67108864);
	size_ok("2G", 2ull << 30);
	size_ok("2 GiB", 2ull << 30);
	size_ok("18446744073709551615", UINT64_MAX);
	size_ok("17179869183G", UINT64_MAX - ((1ull << 30) - 1));
}

TEST(parse_size_errors)
{
	size_bad("", "empty value");
	size_bad("-1", "must not be negative");
	size_bad("M", "not a number");
	size_bad(" 64M", "not a number");
	size_bad("+64M", "not a number");
	size_bad("64X", "unknown unit (use K, M or G)");
	size_bad("64iB", "unknown unit");
	size_bad("64MiBx", "unknown unit");
	size_bad("64Mi", "unknown unit");
	size_bad("64MM", "unknown unit");
	size_bad("1.5G", "not a whole number");
	size_bad("18446744073709551616", "too large");
	size_bad("17179869184G", "too large");
	size_bad("99999999999G", "too large");
	CHECK(config_parse_size("1X", &(uint64_t){ 0 }, NULL) == -1);  /* why is optional */
}

/* ---- [kernel] initrd ---------------------------------------------------- */

TEST(initrd_resolved_and_remembers_its_line)
{
	struct flint_spec c;
	struct tmp t;
	char want[160];

	if (load_ok("[kernel]\npath = k.elf\n\ninitrd = images/root.cpio\n", NULL, 0, &c, &t))
		return;
	snprintf(want, sizeof(want), "%s/images/root.cpio", t.dir);
	CHECK(c.initrd_path && !strcmp(c.initrd_path, want));
	snprintf(want, sizeof(want), "%s:4", t.ini);
	CHECK(!strcmp(spec_where(&c, "kernel", "initrd", 0), want));
	config_free(&c);
}

TEST(initrd_absent_by_default)
{
	struct flint_spec c;
	struct tmp t;

	if (load_ok(KERNEL, NULL, 0, &c, &t))
		return;
	CHECK(c.initrd_path == NULL);
	/* Given nowhere: the file as a whole. */
	CHECK(!strcmp(spec_where(&c, "kernel", "initrd", 0), t.ini));
	config_free(&c);
}

TEST(initrd_from_set_overrides_file)
{
	struct flint_spec c;
	struct tmp t;
	char *sets[] = { "kernel.initrd=/abs/other.cpio" };

	if (load_ok(KERNEL "initrd = a.cpio\n", sets, 1, &c, &t))
		return;
	CHECK(c.initrd_path && !strcmp(c.initrd_path, "/abs/other.cpio"));
	CHECK(!strcmp(spec_where(&c, "kernel", "initrd", 0), "--set kernel.initrd=/abs/other.cpio"));
	config_free(&c);
}

TEST(initrd_empty_and_twice_refused)
{
	EXPECT_ERROR(KERNEL "initrd =\n", 3, "[kernel] initrd");
	EXPECT_ERROR(KERNEL "initrd = a\ninitrd = b\n", 4, "initrd");
}

CHECK_MAIN()
