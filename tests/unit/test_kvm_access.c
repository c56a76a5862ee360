/* Unit tests for vmm/kvm_access.c: the /dev/kvm advice fits the host described. */
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "kvm_access.h"

static char msg[1024];

static const char *advise(struct kvm_node_facts f)
{
	kvm_access_advice(&f, msg, sizeof(msg));
	return msg;
}

/* Issue 19: root:root 0600 with no kvm group was told to join "the group
 * that owns it", which is root. */
TEST(root_only_node_without_kvm_group)
{
	advise((struct kvm_node_facts){ .mode = S_IFCHR | 0600, .owner = "root", .group = "root" });
	CHECK_CONTAINS(msg, "/dev/kvm: permission denied: it is root:root, mode 0600 (crw-------)");
	CHECK_CONTAINS(msg, "this host has no kvm group");
	CHECK_CONTAINS(msg, "sudo groupadd --system kvm");
	CHECK_CONTAINS(msg, "sudo chown root:kvm /dev/kvm && sudo chmod 0660 /dev/kvm");
	CHECK(!strstr(msg, "usermod -aG root"));
}

TEST(root_only_node_with_kvm_group)
{
	advise((struct kvm_node_facts){ .mode = S_IFCHR | 0600, .owner = "root", .group = "root",
					.kvm_group = true });
	CHECK_CONTAINS(msg, "this host has a kvm group");
	CHECK_CONTAINS(msg, "sudo chown root:kvm /dev/kvm");
	CHECK(!strstr(msg, "groupadd"));
}

TEST(group_node_user_not_in_it)
{
	advise((struct kvm_node_facts){ .mode = S_IFCHR | 0660, .gid = 108, .owner = "root", .group = "kvm",
					.kvm_group = true });
	CHECK_CONTAINS(msg, "it is root:kvm, mode 0660 (crw-rw----)");
	CHECK_CONTAINS(msg, "sudo usermod -aG kvm $USER, then log in again");
	CHECK(!strstr(msg, "chmod"));
}

TEST(group_node_user_added_but_session_old)
{
	advise((struct kvm_node_facts){ .mode = S_IFCHR | 0660, .gid = 108, .owner = "root", .group = "kvm",
					.kvm_group = true, .in_group_db = true });
	CHECK_CONTAINS(msg, "you are in group kvm, but this login session is not yet: log in again");
}

TEST(allowed_by_mode_yet_refused)
{
	advise((struct kvm_node_facts){ .mode = S_IFCHR | 0660, .gid = 108, .owner = "root", .group = "kvm",
					.kvm_group = true, .in_group_now = true });
	CHECK_CONTAINS(msg, "something else refuses");
}

TEST(unknown_names_go_by_number)
{
	advise((struct kvm_node_facts){ .mode = S_IFCHR | 0660, .uid = 0, .gid = 4242 });
	CHECK_CONTAINS(msg, "it is 0:4242, mode 0660");
	CHECK_CONTAINS(msg, "sudo usermod -aG 4242 $USER");
}

TEST(short_buffer_is_safe)
{
	char small[16];
	struct kvm_node_facts f = { .mode = S_IFCHR | 0600 };

	kvm_access_advice(&f, small, sizeof(small));
	CHECK(strlen(small) == sizeof(small) - 1);
}

CHECK_MAIN()
