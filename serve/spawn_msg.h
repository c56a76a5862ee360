/*
 * The messages between flint-serve and its spawner (spawner.h), one
 * SOCK_SEQPACKET datagram each, checked on both sides: the spawner takes
 * the supervisor to be compromised (it is the process that parses HTTP),
 * the supervisor takes nothing on trust either.
 *
 * Request, supervisor -> spawner: struct spawn_req and exactly
 * SPAWN_NFDS descriptors (SCM_RIGHTS) that become the new VM's 0, 1, 2
 * and --ready-fd.  Nothing else crosses: the flint binary, its argv and
 * the snapshot are fixed when the spawner starts.
 *
 * Reply, spawner -> supervisor: struct spawn_rep; when err is 0, the VM's
 * pidfd (SCM_RIGHTS, exactly one) and its pid.
 */
#ifndef FLINT_SERVE_SPAWN_MSG_H
#define FLINT_SERVE_SPAWN_MSG_H

#include <stddef.h>
#include <stdint.h>

#define SPAWN_MAGIC 0x666c5350u   /* "flSP" */
#define SPAWN_NFDS 4              /* stdin, stdout, stderr, the ready socket */
/* Room for more descriptors than a valid message has: a request with too
 * many is seen (MSG_CTRUNC or a count), closed and refused. */
#define SPAWN_FDS_ROOM 16

struct spawn_req {
	uint32_t magic;
	uint32_t flags;            /* none defined: anything but 0 is refused */
	uint64_t tag;              /* echoed in the reply */
};

struct spawn_rep {
	uint32_t magic;
	int32_t err;               /* 0, or an errno */
	uint64_t tag;
	int32_t pid;
	uint32_t pad;
};

/*
 * What a received datagram holds: its n bytes, its msg_flags and its
 * control buffer.  Every descriptor the control buffer carries (any level,
 * any count up to SPAWN_FDS_ROOM) is copied to fds[0..*nfds), valid
 * message or not, so that the caller can close them all.  Returns 0 when
 * it is a request as described above (its fds are then fds[0..SPAWN_NFDS)),
 * or an errno saying what was wrong.
 */
int spawn_req_parse(const void *data, size_t n, int msg_flags, const void *ctl, size_t ctllen,
		    struct spawn_req *req, int *fds, unsigned *nfds);
/* The same for a reply; on 0 and rep->err == 0, fds[0] is the pidfd. */
int spawn_rep_parse(const void *data, size_t n, int msg_flags, const void *ctl, size_t ctllen,
		    struct spawn_rep *rep, int *fds, unsigned *nfds);

#endif
