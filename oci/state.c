/* The state directory (state.h). */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

bool state_id_valid(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n < 256 && strcmp(id, ".") && strcmp(id, "..") &&
	       strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-.") == n;
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -1;
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0711) < 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(tmp, 0711) < 0 && errno != EEXIST ? -1 : 0;
}

static int open_locked(struct container *c, char *err, size_t errlen)
{
	struct stat st = { .st_nlink = 1 };

	c->dir_fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dir_fd < 0) {
		snprintf(err, errlen, errno == ENOENT ? "container does not exist" : "%s: %s", c->dir,
			 strerror(errno));
		return -1;
	}
	if (flock(c->dir_fd, LOCK_EX) < 0 || fstat(c->dir_fd, &st) < 0 || st.st_nlink == 0) {
		/* nlink 0: a delete removed the folder while we waited for its lock */
		snprintf(err, errlen, st.st_nlink == 0 ? "container does not exist" : "%s: lock: %s", c->dir,
			 strerror(errno));
		close(c->dir_fd);
		c->dir_fd = -1;
		return -1;
	}
	return 0;
}

static int set_paths(const char *root, const char *id, struct container *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->dir_fd = -1;
	if (!state_id_valid(id)) {
		snprintf(err, errlen, "invalid id format: %.300s", id);
		return -1;
	}
	snprintf(c->id, sizeof(c->id), "%s", id);
	if (snprintf(c->dir, sizeof(c->dir), "%s/%s", root, id) >= (int)sizeof(c->dir)) {
		snprintf(err, errlen, "--root: path too long");
		return -1;
	}
	return 0;
}

int state_claim(const char *root, const char *id, struct container *c, char *err, size_t errlen)
{
	if (set_paths(root, id, c, err, errlen) < 0)
		return -1;
	if (mkdir_p(root) < 0) {
		snprintf(err, errlen, "--root %s: %s", root, strerror(errno));
		return -1;
	}
	if (mkdir(c->dir, 0700) < 0) {
		snprintf(err, errlen, errno == EEXIST ? "container with given ID already exists" : "%s: %s",
			 c->dir, strerror(errno));
		return -1;
	}
	if (open_locked(c, err, errlen) < 0)
		return -1;
	strcpy(c->status, "creating");
	return 0;
}

int state_load(const char *root, const char *id, struct container *c, char *err, size_t errlen)
{
	json_t *j, *v;
	int fd;

	if (set_paths(root, id, c, err, errlen) < 0 || open_locked(c, err, errlen) < 0)
		return -1;
	fd = openat(c->dir_fd, "state.json", O_RDONLY | O_CLOEXEC);
	j = fd < 0 ? NULL : json_loadfd(fd, 0, NULL);
	if (fd >= 0)
		close(fd);
	if (!j) {
		/* A create that died before its first save: nothing ran. */
		strcpy(c->status, "stopped");
		return 0;
	}
	snprintf(c->bundle, sizeof(c->bundle), "%s", json_string_value(json_object_get(j, "bundle")) ?: "");
	snprintf(c->status, sizeof(c->status), "%s", json_string_value(json_object_get(j, "status")) ?: "stopped");
	snprintf(c->created, sizeof(c->created), "%s", json_string_value(json_object_get(j, "created")) ?: "");
	snprintf(c->netns, sizeof(c->netns), "%s", json_string_value(json_object_get(j, "netns")) ?: "");
	c->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
	c->start_time = (unsigned long long)json_integer_value(json_object_get(j, "start_time"));
	if ((v = json_object_get(j, "annotations")))
		c->annotations = json_incref(v);
	if ((v = json_object_get(j, "hooks")))
		c->spec_hooks = json_incref(v);
	json_decref(j);
	return 0;
}

int write_atomic(int dir_fd, const char *name, const char *data, size_t len)
{
	char tmp[300];
	int fd, saved;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		unlinkat(dir_fd, tmp, 0);
		errno = saved ? saved : EIO;
		return -1;
	}
	close(fd);
	return renameat(dir_fd, tmp, dir_fd, name);
}

int state_save(struct container *c, char *err, size_t errlen)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "id", c->id, "bundle", c->bundle, "status",
			      c->status, "pid", (json_int_t)c->pid, "start_time", (json_int_t)c->start_time,
			      "created", c->created);
	char *s;
	int rc;

	if (j && c->annotations)
		json_object_set(j, "annotations", c->annotations);
	if (j && c->netns[0])
		json_object_set_new(j, "netns", json_string(c->netns));
	if (j && c->spec_hooks)
		json_object_set(j, "hooks", c->spec_hooks);
	s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	rc = s ? write_atomic(c->dir_fd, "state.json", s, strlen(s)) : -1;
	if (rc < 0)
		snprintf(err, errlen, "%s/state.json: %s", c->dir, s ? strerror(errno) : "out of memory");
	free(s);
	return rc;
}

unsigned long long state_proc_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	char st;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* comm may hold spaces and ')': the fields start after the last ')' */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
			 &st, &start) != 2)
		return 0;
	return st == 'Z' || st == 'X' ? 0 : start;
}

const char *state_status(const struct container *c)
{
	if (!strcmp(c->status, "creating") && c->pid == 0)
		return "creating";
	if (c->pid <= 0 || state_proc_start(c->pid) != c->start_time || c->start_time == 0)
		return "stopped";
	return c->status;
}

json_t *state_json(const struct container *c)
{
	const char *status = state_status(c);
	json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:s}", "ociVersion", "1.0.2", "id", c->id, "status", status,
			      "pid", (json_int_t)(strcmp(status, "stopped") ? c->pid : 0), "bundle", c->bundle);

	if (j && c->created[0])
		json_object_set_new(j, "created", json_string(c->created));
	if (j)
		json_object_set_new(j, "annotations", c->annotations ? json_incref(c->annotations) : json_object());
	return j;
}

static int remove_tree(int dir_fd)
{
	DIR *d = fdopendir(dir_fd);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			continue;
		if (errno == EISDIR) {
			int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub < 0 || remove_tree(sub) < 0 || unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) < 0)
				rc = -1;
		} else {
			rc = -1;
		}
	}
	closedir(d);
	return rc;
}

int state_remove(struct container *c, char *err, size_t errlen)
{
	int fd = openat(c->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	/* Unlink the folder's contents while holding the lock; a racing
	 * command that opened the folder before finds no state.json. */
	if (fd < 0 || remove_tree(fd) < 0 || rmdir(c->dir) < 0) {
		snprintf(err, errlen, "%s: cannot remove: %s", c->dir, strerror(errno));
		return -1;
	}
	return 0;
}

void state_close(struct container *c)
{
	if (c->dir_fd >= 0)
		close(c->dir_fd);
	c->dir_fd = -1;
	json_decref(c->annotations);
	json_decref(c->spec_hooks);
	c->annotations = c->spec_hooks = NULL;
}
