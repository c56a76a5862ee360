/*
 * The descriptors the sandbox keeps.  A fixed array here once dropped the
 * 60th vCPU's descriptor without a word (the guest then died with "KVM_RUN:
 * Bad file descriptor"), so the list grows to whatever the devices have.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine.h"
#include "vcpu.h"

/* Far more than any device has: a bigger answer is a bug, not a need. */
#define DEVICE_FDS_MAX 4096

/*
 * A device's descriptors, appended to *fds.  The hook writes at most max
 * and returns how many it has (or, in the older form, how many it wrote:
 * only whole groups that fit).  Asking again with twice the room until the
 * answer stops changing serves both without trusting either to say "cut".
 */
static int device_fds(const struct machine *m, int d, int **fds, size_t *n, char *err,
		      size_t errlen)
{
	const struct device_module *mod = m->dev[d].mod;
	int room = 16, got = -1;

	for (;;) {
		int *grown = realloc(*fds, (*n + (size_t)room) * sizeof(**fds)), r;

		if (!grown) {
			snprintf(err, errlen, "sandbox: out of memory");
			return -1;
		}
		*fds = grown;
		r = mod->fds(m->dev[d].state, *fds + *n, room);
		if (r < 0 || r > DEVICE_FDS_MAX) {
			snprintf(err, errlen, "sandbox: device %s reports %d descriptors to keep "
				 "(a bug in flint)", mod->name, r);
			return -1;
		}
		if (r <= room && r == got) {
			*n += (size_t)r;
			return 0;
		}
		got = r;
		room = r < room ? room * 2 : r * 2;
	}
}

int machine_fds(const struct machine *m, int **fds, size_t *n, char *err, size_t errlen)
{
	const struct vm *vm = &m->vm;
	const int own[] = { vm->vm_fd, vm->stop_fd, m->tick_fd, m->signal_fd, m->el.epfd, m->el.urgent_epfd };
	size_t count = sizeof(own) / sizeof(own[0]) + vm->nvcpus;
	int *keep = malloc(count * sizeof(*keep));

	*fds = NULL;
	*n = 0;
	if (!keep) {
		snprintf(err, errlen, "sandbox: out of memory");
		return -1;
	}
	memcpy(keep, own, sizeof(own));
	for (unsigned i = 0; i < vm->nvcpus; i++)
		keep[sizeof(own) / sizeof(own[0]) + i] = vm->vcpus[i].fd;
	/* --save-at-ready's eventfd and file. */
	for (int i = 0; i < 2; i++) {
		int fd = i ? m->ready_file_fd : m->ready_fd, *grown;

		/* -1 without the option; 0 in a machine made without
		 * machine_init (tests): never one of these. */
		if (fd <= STDERR_FILENO)
			continue;
		grown = realloc(keep, (count + 1) * sizeof(*keep));
		if (!grown) {
			free(keep);
			snprintf(err, errlen, "sandbox: out of memory");
			return -1;
		}
		keep = grown;
		keep[count++] = fd;
	}
	for (int d = 0; d < m->ndev; d++)
		if (m->dev[d].mod->fds && device_fds(m, d, &keep, &count, err, errlen) < 0) {
			free(keep);
			return -1;
		}
	*fds = keep;
	*n = count;
	return 0;
}
