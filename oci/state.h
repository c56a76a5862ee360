#ifndef FLINT_OCI_STATE_H
#define FLINT_OCI_STATE_H

/*
 * A container's state: ROOT/ID/ (mode 0700) holds state.json (written to a
 * temporary name and renamed, so a reader sees the old or the new file,
 * never half), the generated flint.ini and initrd, and the VM's control
 * socket.  Every command that changes a container holds an flock on its
 * folder, so two runtimes racing on one id take turns; creating the folder
 * (mkdir) is what claims an id.
 */
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

struct container {
	char id[256];
	char dir[PATH_MAX];
	int dir_fd;                  /* holds the lock */
	char bundle[PATH_MAX];
	pid_t pid;                   /* the flint process; 0 before it exists */
	unsigned long long start_time; /* /proc/PID/stat field 22: tells a reused pid apart */
	char status[16];             /* recorded: creating, created, running, paused */
	char netns[PATH_MAX];        /* the namespace whose eth0 the guest took; empty: none */
	char created[40];            /* RFC 3339 */
	json_t *annotations;         /* owned */
	json_t *spec_hooks;          /* config.json's hooks, kept for start and delete; owned */
};

/* runc's rule: letters, digits, '_', '+', '-', '.', not "." or "..", at most 255. */
bool state_id_valid(const char *id);

/* mkdir ROOT/ID and lock it; -1 with err "container with given ID already exists" etc. */
int state_claim(const char *root, const char *id, struct container *c, char *err, size_t errlen);

/* Opens, locks and reads an existing container; -1 with err "container does not exist". */
int state_load(const char *root, const char *id, struct container *c, char *err, size_t errlen);

int state_save(struct container *c, char *err, size_t errlen);

/* created, running, paused or stopped: the record checked against the process. */
const char *state_status(const struct container *c);

/* The process's start time, or 0 if it is gone (or a zombie). */
unsigned long long state_proc_start(pid_t pid);

/* The OCI state JSON (ociVersion, id, status, pid, bundle, annotations). */
json_t *state_json(const struct container *c);

/* Removes ROOT/ID and everything in it; releases the lock. */
int state_remove(struct container *c, char *err, size_t errlen);

void state_close(struct container *c);

/* Writes data to dir/name atomically (a temporary file, fsync, rename). */
int write_atomic(int dir_fd, const char *name, const char *data, size_t len);

#endif
