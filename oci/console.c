/* The --console-socket pty (console.h). */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* A pty whose master goes to the console socket (SCM_RIGHTS); returns the slave's fd. */
int console_pty(const char *sock, char *err, size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, name[] = "/dev/ptmx";
	struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), slave = -1, s = -1;

	if (strlen(sock) >= sizeof(a.sun_path)) {
		snprintf(err, errlen, "--console-socket %s: path too long", sock);
		goto fail;
	}
	strcpy(a.sun_path, sock);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
	    (slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "allocating a pty: %s", strerror(errno));
		goto fail;
	}
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0 || sendmsg(s, &m, 0) < 0) {
		snprintf(err, errlen, "--console-socket %s: %s", sock, strerror(errno));
		goto fail;
	}
	close(s);
	close(master);
	return slave;
fail:
	if (s >= 0)
		close(s);
	if (master >= 0)
		close(master);
	if (slave >= 0)
		close(slave);
	return -1;
}

