/*
 * A machine is what one `flint run` assembles (docs/ARCHITECTURE.md,
 * "Lifecycle"): spec -> build (vmm/machine/builder.c) -> boot (vmm/machine/boot/boot_door.c)
 * or restore (vmm/machine/snapshot/restore_door.c) -> run (vmm/machine/run.c) -> save
 * (vmm/machine/snapshot/snapshot_save.c, on a paused machine).
 */
#ifndef FLINT_MACHINE_H
#define FLINT_MACHINE_H

#include <stddef.h>

#include "config.h"
#include "eventloop.h"
#include "flint/boot_abi.h"
#include "snapshot_file.h"
#include "state.h"
#include "vcpu_state.h"
#include "vm.h"

#define MACHINE_MAX_DEVICES 16

struct machine;
struct control;
struct save_helper;
struct restore_plan;

/*
 * What a front end attaches to a machine (main.c: the QMP control socket,
 * vmm/control/control_vm.c), so that the builder and run.c name none of it.  Any
 * hook may be NULL.
 */
struct machine_hooks {
	/* After the event loop exists, before the devices and the sandbox (no
	 * socket or path call is allowed after it).  Failing is the user's to
	 * fix (status 2). */
	int (*attach)(struct machine *m, char *err, size_t errlen);
	/* Descriptors to keep through the sandbox: writes at most max,
	 * returns how many. */
	int (*fds)(const struct machine *m, int *fds, int max);
	/* The VM has stopped (once, before teardown): tell clients why. */
	void (*stopped)(struct machine *m);
	/* Teardown: release everything attach made. */
	void (*detach)(struct machine *m);
	/* After teardown: the devices have flushed every byte the guest wrote
	 * and status is the run's final exit status; the process exits next. */
	void (*finished)(struct machine *m, int status);
};

/* How `flint run` builds and starts the machine (main.c fills it). */
struct machine_options {
	bool paused;                 /* --paused: every vCPU parked before its first instruction */
	const char *restore;         /* --restore FILE: the restore door instead of the boot door */
	const char *save_at_ready;   /* --save-at-ready FILE: save when the guest calls flint_ready() */
	const struct machine_hooks *hooks;
};

struct machine {
	const struct flint_spec *cfg;
	struct vm vm;
	struct event_loop el;
	int tick_fd, signal_fd;
	/* Parameters devices hand the guest ("earlycon=...", "virtio_mmio.device=...");
	 * the user's [kernel] cmdline is appended after them. */
	char params[FLINT_CMDLINE_SIZE];
	size_t params_len;
	/* Device modules' state, for their tick/stop hooks. */
	struct {
		const struct device_module *mod;
		void *state;
	} dev[MACHINE_MAX_DEVICES];
	int ndev;
	unsigned virtio_slots;   /* virtio-mmio windows handed out (vmm/machine/devices/virtio_attach.c) */
	/* vCPU threads install their filters, then wait for main's (run.c). */
	pthread_barrier_t filters_installed, go;
	atomic_bool sandbox_failed;
	atomic_bool tick_armed;  /* vmm/machine/tick.c: the tick timer runs */
	atomic_bool output_lost; /* console output was lost: a guest status 0 becomes FLINT_EXIT_OUTPUT_LOST */
	/* [control] socket (vmm/control/control_vm.c); NULL without one. */
	struct control *ctl;
	/* Who stopped the VM from outside, as QMP's SHUTDOWN names it
	 * ("host-signal", "host-qmp-quit"); NULL: the guest or a failure. */
	const char *stop_by;

	const struct machine_options *opts;
	/* Parked before the first instruction and never released yet
	 * (QMP's "prelaunch", as QEMU's -S). */
	atomic_bool prelaunch;
	/* The save helper (vmm/machine/snapshot/save_helper.c): creates snapshot files for a
	 * sandboxed flint.  NULL without a control socket. */
	struct save_helper *saver;
	/* --save-at-ready: the file, opened before the sandbox, and the
	 * eventfd a vCPU writes when the guest says it is ready. */
	int ready_file_fd, ready_fd;
	atomic_bool ready_seen;  /* the guest's first ready write (one save per run) */
	/* --restore: what the vCPU threads load before their first
	 * instruction (vmm/machine/snapshot/restore_door.c); NULL when booting. */
	struct restore_plan *restore;
	uint64_t stats_gpa;      /* the guest's struct flint_boot_stats, 0: none */
	/* Asked of KVM before the sandbox, for snapshots (machine_build_vcpus). */
	struct vcpu_state_caps vcpu_caps;
	struct snap_host host;
	bool restored;           /* guest memory is a snapshot's (not anonymous) */
	/* The guest's ready write (vmm/machine/devices/pv.c, include/flint/boot_abi.h) calls
	 * this on the writing vCPU's thread, which is out of KVM_RUN until it
	 * returns; the guest's write completes then, so a hook that wants
	 * the VM paused must ask the main thread and return, not wait for
	 * this vCPU to park.  NULL: the write just returns.  Set it before
	 * the vCPUs start. */
	void (*on_guest_ready)(struct machine *m);
	/* The guest's power-off write (vmm/machine/devices/poweroff.c) calls
	 * this on the writing vCPU's thread, after vm_stop(), with the run's
	 * status as it stands (vm->exit_status, and FLINT_EXIT_OUTPUT_LOST
	 * for a 0 when console output was lost already).  NULL: nothing. */
	void (*on_guest_poweroff)(struct machine *m, int status);
};

/* status, or FLINT_EXIT_OUTPUT_LOST for a 0 when console output was lost
 * (README, "Exit status"): the run's exit status (run.c). */
int machine_status(struct machine *m, int status);

/*
 * A device module: what one config section (or built-in device) becomes.
 * setup registers on the VM's buses and event loop and returns its state
 * (NULL with err set on failure).  tick runs from the event loop every
 * few milliseconds (flushing buffers) while any module wants it: after
 * each tick, tick_wanted says whether this one still does (no hook: always,
 * if it has a tick); a module that starts wanting it again calls
 * machine_want_tick().  stop runs once after the vCPUs have stopped and
 * must release everything.
 */
struct device_module {
	const char *name;
	void *(*setup)(struct machine *m, char *err, size_t errlen);
	void (*tick)(void *state);
	bool (*tick_wanted)(void *state);
	void (*stop)(void *state);
	/* Descriptors the device still needs once the guest runs (everything
	 * else is closed by the sandbox).  Writes at most max of them and
	 * returns how many it has in all (more than max: the caller asks
	 * again with room for all; machine_fds.c). */
	int (*fds)(void *state, int *fds, int max);
	/*
	 * Boot door only (a restore skips it): what the guest must be told at
	 * boot, e.g. machine_add_param(m, "virtio_mmio.device=..."). setup
	 * never writes the command line itself.  NULL: nothing to announce.
	 */
	int (*announce)(void *state, struct machine *m, char *err, size_t errlen);
	/*
	 * Snapshots (docs/ARCHITECTURE.md, "Snapshot format").  save writes
	 * the module's guest-visible state, every instance it owns by name,
	 * as one record (hw/state.h); load reads it back into a machine
	 * built from the same spec, before any vCPU runs, and refuses a
	 * record that does not fit the spec (another device list, a bad
	 * value) with a reason in err.  Both run on the main thread while
	 * every vCPU is parked; save first completes any request it has
	 * started (nothing half-served is ever saved), so it may write guest
	 * memory: copy memory after every save.  load needs guest memory
	 * mapped; what it re-raises (a kick, an unacknowledged interrupt)
	 * goes through the event loop, which must not run before the vCPUs'
	 * state is restored.  NULL: the module has no guest-visible state.
	 */
	int (*save)(void *state, struct state_out *out);
	int (*load)(void *state, struct state_in *in, char *err, size_t errlen);
	unsigned state_version; /* of save's record; load refuses any other */
};

extern const struct device_module *const device_modules[];

/*
 * Every descriptor the running VM needs (VM, event loop, vCPUs, each
 * device's fds hook), for the sandbox to keep: a malloc'd array in *fds,
 * its length in *n.  Returns 0, or -1 with a message in err (a device
 * that reports an absurd number); never a silently shortened list.
 */
int machine_fds(const struct machine *m, int **fds, size_t *n, char *err, size_t errlen);

/*
 * Whether this run can save or restore a snapshot: a restore, a save at
 * the guest's ready call, or a control socket (QMP x-flint-snapshot-save).
 * Only then does the builder ask KVM what a snapshot records (the vCPU
 * state's capabilities, the host's identity): other boots skip the work.
 */
static inline bool machine_can_snapshot(const struct machine *m)
{
	return m->opts->restore || m->opts->save_at_ready || m->cfg->control_path;
}

/*
 * Arms the event loop's tick if it is idle (vmm/machine/tick.c).  Any thread, any
 * time, lock-free when it already runs: a device calls it when it gets
 * work only a tick finishes (output without a newline, say).
 */
void machine_want_tick(struct machine *m);
/* One tick: replays the coalesced ring, ticks the devices, then stops the
 * timer if nothing wants it any more.  Returns whether it still runs. */
bool machine_tick(struct machine *m);

/* Appends " param" to the monitor's part of the guest command line. */
__attribute__((format(printf, 2, 3)))
int machine_add_param(struct machine *m, const char *fmt, ...);

#endif
