/* Opening /dev/kvm, and advice that fits this host when it cannot be. */
#ifndef FLINT_KVM_ACCESS_H
#define FLINT_KVM_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Opens /dev/kvm read-write.  Returns the descriptor, or -1 with a
 * message in err saying what is wrong here and what would fix it. */
int kvm_open(char *err, size_t errlen);

/* What is true of /dev/kvm and of this process, for kvm_access_advice(). */
struct kvm_node_facts {
	mode_t mode;            /* st_mode of the device node */
	uid_t uid;
	gid_t gid;
	const char *owner;      /* user and group names; NULL if not in the databases */
	const char *group;
	bool kvm_group;         /* a group named "kvm" exists */
	bool in_group_now;      /* this process has the node's group */
	bool in_group_db;       /* the group database lists this user in it */
};

/*
 * "/dev/kvm: permission denied: it is root:root, mode 0600 (crw-------), and
 * this host has no kvm group; to use it ...": what the node is and the
 * commands that would let this user open it (add to the group, log in
 * again, or give the node to a kvm group first).  A pure function of f.
 */
void kvm_access_advice(const struct kvm_node_facts *f, char *buf, size_t len);

#endif
