/*
 * --stats: a boot timeline and a table of exits by reason.  vCPU threads
 * count into their own exit tables (no locks on the exit path); the tables
 * are merged once, after the run, and may be read live (exit_table_snapshot).
 */
#ifndef FLINT_STATS_H
#define FLINT_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "console.h"
#include "net.h"
#include "pause_stats.h"

enum stats_mark {
	MARK_MAIN,          /* flint's main() entered: time zero */
	MARK_CONFIG,        /* configuration parsed */
	MARK_VM_READY,      /* VM, devices, kernel and vCPUs set up */
	MARK_FIRST_RUN,     /* first KVM_RUN issued */
	MARK_GUEST_ENTRY,   /* guest-reported: first guest instructions */
	MARK_GUEST_MAIN,    /* guest-reported: main() entered */
	MARK_GUEST_EXIT,    /* guest-reported: about to power off */
	MARK_POWEROFF,      /* monitor saw the power-off */
	MARK_EXIT,          /* flint about to exit */
	MARK_COUNT
};

/* The JSON key of each mark ("guest_main"), shared by --stats=json and QMP. */
extern const char *const stats_mark_names[MARK_COUNT];

#define STATS_MAX_REASONS 24
#define STATS_MAX_NETS 8

/* One [net.NAME]'s counters, copied when the device stops (vmm/net.c). */
struct stats_net {
	char name[48];
	struct virtio_net_stats s;
};

struct exit_stat {
	char reason[40];
	uint64_t count;
	uint64_t total_ns;
};

struct exit_table {
	struct exit_stat e[STATS_MAX_REASONS];
	int n;
};

struct stats {
	uint64_t mark_ns[MARK_COUNT]; /* CLOCK_MONOTONIC; 0 = not reached */
	uint64_t coalesced_writes;    /* guest writes batched without an exit */
	uint64_t ioeventfd_notifies;  /* queue notifies served from an ioeventfd: no exit */
	uint64_t console_buffers;     /* console output buffers taken through the UART extension */
	uint64_t console_bad_buffers; /* ... dropped: outside RAM, len 0 or too long */
	uint64_t console_dropped;     /* console output bytes lost (output blocked or failed) */
	int console_errno;            /* the console output's write error, 0 if none */
	struct exit_table exits;      /* merged from the vCPUs */
	/* One (guest TSC, host time) pair read just before the first KVM_RUN,
	 * so guest-reported TSC stamps can be placed on the host timeline. */
	uint64_t guest_tsc0, guest_tsc0_ns;
	uint32_t tsc_khz;
	unsigned invalid;             /* bit (1u << mark): the guest reported an impossible stamp */
	struct stats_net nets[STATS_MAX_NETS];
	unsigned nnets;
	bool vconsole;                /* [console] device = virtio: its counters, copied at stop */
	struct virtio_console_stats vconsole_s;
	struct pause_summary pause;   /* QMP stop's pauses, copied at teardown */
	uint64_t generation;          /* the pv page's (vmm/pv.c), 0 = none; atomic: a restore may change it */
};

/*
 * Host CLOCK_MONOTONIC ns of a guest TSC value, in exact integer
 * arithmetic (the value is the guest's to choose).  0 if there is no
 * correlation, or the value is before the correlation (before the VM ran)
 * or too far ahead to be a time at all.
 */
uint64_t stats_guest_tsc_to_ns(const struct stats *s, uint64_t tsc);
/*
 * Places the guest's stamps (entry, main, exit; 0 = not written) on the
 * timeline.  One that is before the VM started, after now_ns, or before
 * an earlier stamp is marked invalid, and printed so.
 */
void stats_guest_marks(struct stats *s, const uint64_t tsc[3], uint64_t now_ns);

uint64_t stats_now_ns(void);
void stats_mark(struct stats *s, enum stats_mark m);
void stats_mark_at(struct stats *s, enum stats_mark m, uint64_t ns);
void exit_table_add(struct exit_table *t, const char *reason, uint64_t ns);
void exit_table_merge(struct exit_table *into, const struct exit_table *from);
/* Adds a table another thread is writing into `into` (see stats.c). */
void exit_table_snapshot(struct exit_table *into, const struct exit_table *from);
void stats_print_text(const struct stats *s, FILE *f);
void stats_print_json(const struct stats *s, FILE *f);

#endif
