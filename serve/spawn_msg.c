/* The spawner's messages (spawn_msg.h): pure parsing, no system call, so
 * that the unit test and the fuzzer can feed it any bytes. */
#include "spawn_msg.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/* Walks the control buffer by hand, not with CMSG_NXTHDR: every length is
 * the sender's and is checked against what is left before it is used. */
static int collect_fds(const void *ctl, size_t ctllen, int *fds, unsigned *nfds)
{
	const unsigned char *p = ctl;
	size_t off = 0;
	int bad = 0;

	*nfds = 0;
	while (ctl && ctllen - off >= sizeof(struct cmsghdr)) {
		struct cmsghdr h;
		size_t len, data, step;

		memcpy(&h, p + off, sizeof(h));
		len = h.cmsg_len;
		if (len < CMSG_LEN(0) || len > ctllen - off)
			return EPROTO;
		data = len - CMSG_LEN(0);
		if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_RIGHTS) {
			if (data % sizeof(int))
				bad = EPROTO;
			for (size_t i = 0; i + sizeof(int) <= data; i += sizeof(int)) {
				int fd;

				memcpy(&fd, p + off + CMSG_LEN(0) + i, sizeof(int));
				if (*nfds == SPAWN_FDS_ROOM)
					return EPROTO;
				fds[(*nfds)++] = fd;
			}
		} else {
			bad = EPROTO;  /* credentials or anything else: not ours */
		}
		step = CMSG_ALIGN(len);
		if (step > ctllen - off)
			break;
		off += step;
	}
	return bad;
}

static int check_common(size_t n, size_t want, int msg_flags, int fd_err)
{
	if (msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return EMSGSIZE;
	if (fd_err)
		return fd_err;
	if (n != want)
		return EBADMSG;
	return 0;
}

int spawn_req_parse(const void *data, size_t n, int msg_flags, const void *ctl, size_t ctllen,
		    struct spawn_req *req, int *fds, unsigned *nfds)
{
	int e = check_common(n, sizeof(*req), msg_flags, collect_fds(ctl, ctllen, fds, nfds));

	if (e)
		return e;
	memcpy(req, data, sizeof(*req));
	if (req->magic != SPAWN_MAGIC || req->flags)
		return EBADMSG;
	if (*nfds != SPAWN_NFDS)
		return EBADF;
	for (unsigned i = 0; i < SPAWN_NFDS; i++)
		if (fds[i] < 0)
			return EBADF;
	return 0;
}

int spawn_rep_parse(const void *data, size_t n, int msg_flags, const void *ctl, size_t ctllen,
		    struct spawn_rep *rep, int *fds, unsigned *nfds)
{
	int e = check_common(n, sizeof(*rep), msg_flags, collect_fds(ctl, ctllen, fds, nfds));

	if (e)
		return e;
	memcpy(rep, data, sizeof(*rep));
	if (rep->magic != SPAWN_MAGIC || rep->err < 0 || rep->pad)
		return EBADMSG;
	if (rep->err == 0 && (*nfds != 1 || fds[0] < 0 || rep->pid <= 0))
		return EBADF;
	if (rep->err != 0 && *nfds != 0)
		return EBADF;
	return 0;
}
