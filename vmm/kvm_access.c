/*
 * /dev/kvm and why it may not open.  "Add yourself to the group that owns
 * it" is wrong where it is root:root 0600 and there is no kvm group (a
 * container, a minimal install): the advice looks at the node and the
 * group database and names what would work on this host.
 */
#include "kvm_access.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KVM_DEV "/dev/kvm"

static void mode_string(mode_t m, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";

	out[0] = S_ISCHR(m) ? 'c' : S_ISDIR(m) ? 'd' : S_ISREG(m) ? '-' : '?';
	for (int i = 0; i < 9; i++)
		out[1 + i] = (m & (0400 >> i)) ? rwx[i] : '-';
	out[10] = '\0';
}

void kvm_access_advice(const struct kvm_node_facts *f, char *buf, size_t len)
{
	char owner[32], group[32], ms[11];
	size_t n;

	if (f->owner)
		snprintf(owner, sizeof(owner), "%s", f->owner);
	else
		snprintf(owner, sizeof(owner), "%u", (unsigned)f->uid);
	if (f->group)
		snprintf(group, sizeof(group), "%s", f->group);
	else
		snprintf(group, sizeof(group), "%u", (unsigned)f->gid);
	mode_string(f->mode, ms);
	n = (size_t)snprintf(buf, len, KVM_DEV ": permission denied: it is %s:%s, mode %04o (%s), and this host "
			     "has %s kvm group; ", owner, group, (unsigned)(f->mode & 07777), ms,
			     f->kvm_group ? "a" : "no");
	if (n >= len)
		return;
	buf += n;
	len -= n;
	if ((f->mode & 0060) == 0060 && f->gid != 0) {
		if (f->in_group_now)
			snprintf(buf, len, "you are in group %s, so something else refuses (an LSM such as "
				 "AppArmor or SELinux, or a container's device rules)", group);
		else if (f->in_group_db)
			snprintf(buf, len, "you are in group %s, but this login session is not yet: log in "
				 "again (or run newgrp %s)", group, group);
		else
			snprintf(buf, len, "to use it: sudo usermod -aG %s $USER, then log in again", group);
	} else if (f->kvm_group) {
		snprintf(buf, len, "to use it, give it to the kvm group (udev's rule does so at boot): "
			 "sudo chown root:kvm " KVM_DEV " && sudo chmod 0660 " KVM_DEV
			 ", then sudo usermod -aG kvm $USER and log in again; or run flint as root");
	} else {
		snprintf(buf, len, "to use it, make the group and give it the device: sudo groupadd --system kvm "
			 "&& sudo chown root:kvm " KVM_DEV " && sudo chmod 0660 " KVM_DEV
			 ", then sudo usermod -aG kvm $USER and log in again; or run flint as root");
	}
}

/*
 * The files behind the user and group databases, read directly: flint is
 * linked statically, where glibc's getpwuid() and getgrnam() would need
 * the NSS libraries of the build host at run time.  An account known only
 * to LDAP or systemd-userdb goes by number.
 */
struct db_entry {
	char name[64];
	unsigned long id, gid;      /* gid: /etc/passwd's fourth field */
	char members[512];          /* /etc/group's fourth field */
};

/* The first entry of /etc/passwd or /etc/group whose id is id (name NULL)
 * or whose name is name; false if none. */
static bool db_find(const char *file, const char *name, unsigned long id, struct db_entry *out)
{
	FILE *f = fopen(file, "re");
	char line[1024];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *field[4] = { 0 }, *t = line;
		int nf = 0;

		line[strcspn(line, "\n")] = '\0';
		while (nf < 4) {
			field[nf++] = t;
			t = strchr(t, ':');
			if (!t)
				break;
			*t++ = '\0';
		}
		if (nf < 3 || !field[0][0])
			continue;
		if (name ? strcmp(field[0], name) != 0 : strtoul(field[2], NULL, 10) != id)
			continue;
		snprintf(out->name, sizeof(out->name), "%s", field[0]);
		out->id = strtoul(field[2], NULL, 10);
		out->gid = field[3] ? strtoul(field[3], NULL, 10) : 0;
		snprintf(out->members, sizeof(out->members), "%s", field[3] ? field[3] : "");
		found = true;
	}
	fclose(f);
	return found;
}

/* Is the user this process runs as in group g, by the databases? */
static bool listed_in(const struct db_entry *g)
{
	struct db_entry pw;
	size_t n;

	if (!db_find("/etc/passwd", NULL, getuid(), &pw))
		return false;
	if (pw.gid == g->id)
		return true;
	n = strlen(pw.name);
	for (const char *m = g->members; *m; m += strcspn(m, ","), m += *m == ',')
		if (!strncmp(m, pw.name, n) && (m[n] == ',' || !m[n]))
			return true;
	return false;
}

static bool has_group_now(gid_t gid)
{
	gid_t groups[256];
	int n = getgroups(256, groups);

	if (getegid() == gid)
		return true;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

static void explain_denied(char *err, size_t errlen)
{
	struct kvm_node_facts f = { 0 };
	struct db_entry owner, group, kvm;
	struct stat st;

	if (stat(KVM_DEV, &st) < 0) {
		snprintf(err, errlen, KVM_DEV ": permission denied");
		return;
	}
	f.mode = st.st_mode;
	f.uid = st.st_uid;
	f.gid = st.st_gid;
	if (db_find("/etc/passwd", NULL, st.st_uid, &owner))
		f.owner = owner.name;
	if (db_find("/etc/group", NULL, st.st_gid, &group)) {
		f.group = group.name;
		f.in_group_db = listed_in(&group);
	}
	f.in_group_now = has_group_now(st.st_gid);
	f.kvm_group = db_find("/etc/group", "kvm", 0, &kvm);
	kvm_access_advice(&f, err, errlen);
}

int kvm_open(char *err, size_t errlen)
{
	int fd = open(KVM_DEV, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		snprintf(err, errlen, KVM_DEV ": no such device: KVM is not available here "
			 "(load kvm_intel, kvm_amd or kvm_pvm, or enable virtualization)");
	else if (errno == EACCES || errno == EPERM)
		explain_denied(err, errlen);
	else
		snprintf(err, errlen, KVM_DEV ": %s", strerror(errno));
	return -1;
}
