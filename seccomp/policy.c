/*
 * What each thread may ask of the kernel once the guest runs.  Everything
 * else is refused (how: [sandbox] seccomp).  Set-up (opening /dev/kvm, the
 * kernel file, images; creating the VM, vCPUs, eventfds, threads) happens
 * before the filters go on, so none of open*, socket, execve, clone, or the
 * KVM ioctls that build a VM appear here.  docs/SECURITY.md explains each
 * row at more length; `flint seccomp-dump` prints these tables.  The build
 * compiles them to BPF (gen_filters.c): edit only here, make does the rest.
 *
 * Adding a row: name the code path that needs it in `why`.  A thread that
 * calls pthread_exit() instead of returning would need openat and mmap
 * with PROT_EXEC (glibc loads libgcc_s to unwind): return instead.
 */
#include "policy.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/kvm.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#define ALLOW(sys, why_, ...) { .syscall = #sys, .why = why_, .cond = { __VA_ARGS__ } }
#define ARG_EQ(i, v) { .arg = i, .op = POLICY_EQ, .value = (v), .text = #v }
#define ARG_NO_BITS(i, v) { .arg = i, .op = POLICY_NO_BITS, .value = (v), .text = #v }
#define ARG_SELF_PID(i) { .arg = i, .op = POLICY_EQ_SELF_PID, .text = "getpid()" }
/* Spelled out, not ARG_EQ(1, req): the request's name must reach #v
 * before the preprocessor expands it into _IOC arithmetic. */
#define IOCTL(req, why_) ALLOW(ioctl, why_, { .arg = 1, .op = POLICY_EQ, .value = (req), .text = #req })
#define NO_EXEC(sys, why_) ALLOW(sys, why_, ARG_NO_BITS(2, PROT_EXEC))

static const struct policy_rule vcpu_rules[] = {
	/* The vCPU fd is the only KVM descriptor this thread uses. */
	IOCTL(KVM_RUN, "run the guest until its next exit; before a snapshot, once with immediate_exit "
	      "to complete an in-flight port or MMIO access"),
	IOCTL(KVM_GET_MSRS, "statistics: read the guest TSC once, next to the host clock; snapshot: the MSRs"),
	IOCTL(KVM_GET_TSC_KHZ, "statistics: the guest TSC rate, to put guest stamps on the host timeline"),
	IOCTL(KVM_GET_REGS, "register dump when the vCPU fails (triple fault, KVM error); snapshot"),
	IOCTL(KVM_GET_SREGS, "register dump when the vCPU fails; snapshot (hosts without SREGS2)"),
	/* Snapshots (vmm/machine/snapshot/vcpu_state.c): each vCPU saves its own state on its
	 * thread while parked.  Only reads: a restore loads before the filters. */
	IOCTL(KVM_GET_SREGS2, "snapshot: special registers with the PAE PDPTRs"),
	IOCTL(KVM_GET_XSAVE2, "snapshot: FPU/SSE/AVX state larger than 4 KiB"),
	IOCTL(KVM_GET_XSAVE, "snapshot: FPU/SSE/AVX state"),
	IOCTL(KVM_GET_FPU, "snapshot: FPU state on hosts without XSAVE"),
	IOCTL(KVM_GET_XCRS, "snapshot: XCR0"),
	IOCTL(KVM_GET_LAPIC, "snapshot: the in-kernel local APIC's registers"),
	IOCTL(KVM_GET_MP_STATE, "snapshot: running, halted or waiting for SIPI"),
	IOCTL(KVM_GET_VCPU_EVENTS, "snapshot: pending exceptions, interrupts, NMIs"),
	IOCTL(KVM_GET_DEBUGREGS, "snapshot: debug registers"),
	IOCTL(KVM_GET_CLOCK, "snapshot: kvmclock (a VM ioctl), read by vCPU 0 so that main makes no KVM ioctl"),

	/* Exits are handled on this thread: devices run here. */
	ALLOW(write, "console output, stderr messages, the stop eventfd, irqfd pulses"),
	ALLOW(futex, "pthread mutexes (coalesced ring, device state)"),
	ALLOW(clock_gettime, "statistics' stamps, QMP stop's pause timing; when the vDSO cannot read the host clock"),
	ALLOW(timerfd_settime, "restart the event loop's idle tick: console output waits for it"),

	/* The kick: main sends SIGUSR1 to get the thread out of KVM_RUN. */
	ALLOW(rt_sigreturn, "return from the kick signal's handler"),

	/* Memory: malloc on a thread creates and trims its own arena. */
	NO_EXEC(mmap, "malloc; never executable memory"),
	NO_EXEC(mprotect, "malloc grows an arena; never makes memory executable"),
	ALLOW(munmap, "free of a large block"),
	ALLOW(madvise, "glibc releases the stack of an exiting thread, malloc trims",
	      ARG_EQ(2, MADV_DONTNEED)),

	/* Leaving. */
	ALLOW(rt_sigprocmask, "glibc blocks signals while a thread exits and in abort()"),
	ALLOW(exit, "the thread function returns"),
	ALLOW(exit_group, "_exit() after a forbidden call (trap mode) or a fatal error"),
	ALLOW(getpid, "abort() on a failed assertion signals its own thread"),
	ALLOW(gettid, "abort()"),
	ALLOW(tgkill, "abort(): SIGABRT to this process only",
	      ARG_SELF_PID(0), ARG_EQ(2, SIGABRT)),
};

static const struct policy_rule main_rules[] = {
	/* The event loop (vmm/machine/eventloop.c, vmm/machine/run.c). */
	ALLOW(epoll_wait, "the event loop waits here; a queue poll asks, without waiting, whether the loop has anything ready"),
	ALLOW(epoll_ctl, "stdin at end of file or the UART full, console output waiting to be writable; "
	      "control clients join and leave"),
	ALLOW(timerfd_settime, "the tick runs only while a device needs it (vmm/machine/tick.c)"),
	ALLOW(read, "stop eventfd, tick timerfd, signalfd, stdin, control clients' commands"),
	ALLOW(write, "console output, stderr messages, eventfds"),
	ALLOW(futex, "pthread mutexes, pthread_join"),
	ALLOW(clock_gettime, "statistics' stamps, QMP stop's pause timing; when the vDSO cannot read the host clock"),

	/* Devices whose queues the event loop serves (ioeventfd). */
	ALLOW(preadv, "virtio-blk read"),
	ALLOW(pwritev, "virtio-blk write"),
	ALLOW(pwrite64, "virtio-blk write-zeroes fallback"),
	ALLOW(fdatasync, "virtio-blk flush"),
	ALLOW(fallocate, "virtio-blk discard: punch a hole, the file keeps its size",
	      ARG_EQ(1, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)),
	ALLOW(fallocate, "virtio-blk write-zeroes: the file keeps its size",
	      ARG_EQ(1, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE)),
	ALLOW(readv, "virtio-net receive: one frame from the tap into the guest's buffers; virtio-console input"),
	ALLOW(writev, "virtio-net transmit: one frame from the guest's buffers to the tap; virtio-console output"),

	/* The control socket (vmm/control/control.c): clients of the socket made
	 * before the sandbox.  accept4 only works on a listening socket, and
	 * flint holds one; sendto only answers a connected client (no
	 * address) and never raises SIGPIPE. */
	ALLOW(accept4, "a control client connects (non-blocking, close-on-exec)",
	      ARG_EQ(3, SOCK_NONBLOCK | SOCK_CLOEXEC)),
	ALLOW(sendto, "answers and events to a connected control client",
	      ARG_EQ(3, MSG_NOSIGNAL | MSG_DONTWAIT), ARG_EQ(4, 0)),

	/* Stopping the vCPUs: pthread_kill(SIGUSR1), then pthread_join. */
	ALLOW(tgkill, "kick a vCPU thread out of KVM_RUN; this process only",
	      ARG_SELF_PID(0), ARG_EQ(2, SIGUSR1)),
	ALLOW(tgkill, "abort(): SIGABRT to this process only",
	      ARG_SELF_PID(0), ARG_EQ(2, SIGABRT)),
	ALLOW(getpid, "pthread_kill() and abort() name their own process"),
	ALLOW(gettid, "abort()"),
	ALLOW(rt_sigprocmask, "pthread_kill() blocks signals around tgkill"),
	ALLOW(rt_sigreturn, "a SIGUSR1 sent to the process may land here; its handler returns"),

	/* Memory: malloc/free, and teardown unmaps guest RAM and kvm_run. */
	NO_EXEC(mmap, "malloc; never executable memory"),
	NO_EXEC(mprotect, "malloc grows an arena; never makes memory executable"),
	ALLOW(munmap, "free, and teardown of guest memory and the vCPUs' kvm_run"),
	ALLOW(brk, "malloc's main heap"),
	ALLOW(madvise, "malloc trims freed memory", ARG_EQ(2, MADV_DONTNEED)),

	/* Snapshot save (QMP x-flint-snapshot-save, --save-at-ready;
	 * vmm/machine/snapshot/snapshot_save.c, snapshot_file.c): the file comes from the save
	 * helper (or was opened before the sandbox), so no open; only calls
	 * on a descriptor flint already holds. */
	ALLOW(recvmsg, "control clients' commands, with a descriptor for getfd; snapshot save: the save "
	      "helper hands over the file it created (SCM_RIGHTS, close-on-exec)",
	      ARG_EQ(2, MSG_CMSG_CLOEXEC)),
	ALLOW(fstat, "snapshot save: the file must be empty and regular"),
	ALLOW(ftruncate, "snapshot save: the file's full size; untouched guest memory stays a hole"),
	ALLOW(mincore, "snapshot save: skip guest pages never touched (anonymous memory)"),
	ALLOW(sysinfo, "snapshot save: mincore is trusted only while no swap is in use"),

	/* Teardown and exit. */
	ALLOW(close, "teardown closes the VM's descriptors; a control client leaves; a saved snapshot"),
	ALLOW(fcntl, "console: give a shared stdout (or stdin) back its blocking mode", ARG_EQ(1, F_SETFL)),
	ALLOW(exit_group, "exit with the guest's status"),
};

/*
 * The teardown helper (vmm/machine/teardown.c) waits for the monitor to exit and
 * then exits itself, dropping the VM's last references.  It makes raw
 * system calls only; signals are blocked before the filter goes on.
 */
static const struct policy_rule teardown_rules[] = {
	ALLOW(poll, "wait until the monitor's pidfd says its thread group has exited"),
	ALLOW(restart_syscall, "the wait resumes after a stop/continue signal"),
	ALLOW(close, "the taps first, before the exit frees the VM: the next VM on a tap waits for it"),
	ALLOW(exit_group, "leave once the monitor is gone; the VM is freed on the way out"),
};

/*
 * The save helper (vmm/machine/snapshot/save_helper.c), forked before the sandbox and the
 * jail, as flint's user after the jail's uid drop: it creates a snapshot
 * file the monitor names and hands back its descriptor.  Only ever a new
 * file (openat's flags are fixed here), never an existing one.
 */
static const struct policy_rule save_helper_rules[] = {
	ALLOW(recvmsg, "a path from the monitor", ARG_EQ(2, 0)),
	ALLOW(openat, "create the snapshot file: new, not through a final symlink, write-only",
	      ARG_EQ(2, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC), ARG_EQ(3, 0600)),
	ALLOW(sendmsg, "the descriptor (SCM_RIGHTS) or errno back to the monitor", ARG_EQ(2, MSG_NOSIGNAL)),
	ALLOW(close, "its copy of the descriptor, once sent"),
	ALLOW(write, "trap mode's message on a forbidden call"),
	ALLOW(exit_group, "the monitor closed its end"),
};

/*
 * flint serve's supervisor (serve/), once its listeners are bound, the
 * snapshot made and the spawner forked: one libevent loop that parses
 * HTTP from anyone who can connect.  It starts no process itself (the
 * spawner does: serve/spawner.h), opens no file, and signals only its VMs.
 */
static const struct policy_rule serve_rules[] = {
	/* libevent's loop and evhttp. */
	ALLOW(epoll_wait, "the event loop waits here"),
	ALLOW(epoll_ctl, "connections, VMs' descriptors and timers join and leave the loop"),
	ALLOW(accept4, "a client connects to [serve] listen or metrics_listen"),
	ALLOW(read, "HTTP requests, VMs' responses and ready sockets, libevent's signal socket"),
	ALLOW(readv, "evbuffer reads of requests and responses"),
	ALLOW(write, "requests to VMs' stdin, the release byte, stderr messages"),
	ALLOW(writev, "evbuffer writes of HTTP responses and requests"),
	ALLOW(sendto, "libevent's signal handler wakes the loop through its socketpair", ARG_EQ(3, 0)),
	ALLOW(ioctl, "evbuffer asks how many bytes a socket or pipe holds", ARG_EQ(1, FIONREAD)),
	ALLOW(shutdown, "evhttp ends a connection"),
	ALLOW(close, "connections, a VM's descriptors, a VM's pidfd"),
	ALLOW(fcntl, "non-blocking descriptors (evhttp's connections, a VM's pipes)", ARG_EQ(1, F_GETFL)),
	ALLOW(fcntl, "non-blocking descriptors (evhttp's connections, a VM's pipes)", ARG_EQ(1, F_SETFL)),
	ALLOW(fcntl, "close-on-exec on an accepted connection (libevent)", ARG_EQ(1, F_SETFD)),
	ALLOW(clock_gettime, "latency stamps, libevent's timers; when the vDSO cannot read the host clock"),
	ALLOW(gettimeofday, "libevent's cached time; when the vDSO cannot read the host clock"),
	ALLOW(rt_sigreturn, "return from libevent's SIGTERM/SIGINT handler (drain)"),
	ALLOW(rt_sigaction, "the drain's end frees libevent's signal events, which puts the old handlers back"),

	/* A VM's life (serve/vmproc.c). */
	ALLOW(pipe2, "a new VM's stdin and stdout", ARG_EQ(1, O_CLOEXEC)),
	ALLOW(socketpair, "a new VM's ready socket", ARG_EQ(0, AF_UNIX), ARG_EQ(1, SOCK_STREAM | SOCK_CLOEXEC)),
	ALLOW(sendmsg, "ask the spawner for a VM, its descriptors attached (SCM_RIGHTS)",
	      ARG_EQ(2, MSG_NOSIGNAL | MSG_DONTWAIT)),
	ALLOW(recvmsg, "the spawner's reply: the VM's pid and pidfd (SCM_RIGHTS, close-on-exec)",
	      ARG_EQ(2, MSG_CMSG_CLOEXEC | MSG_DONTWAIT)),
	ALLOW(wait4, "reap a VM its pidfd says has exited, and the spawner at the end"),
	ALLOW(kill, "end a VM: over max_output, its request timed out or went away, the drain",
	      ARG_EQ(1, SIGKILL)),

	/* Memory. */
	NO_EXEC(mmap, "malloc; never executable memory"),
	NO_EXEC(mprotect, "malloc grows an arena; never makes memory executable"),
	ALLOW(munmap, "free of a large block"),
	ALLOW(mremap, "realloc of a large evbuffer chain"),
	ALLOW(brk, "malloc's main heap"),
	ALLOW(madvise, "malloc trims freed memory", ARG_EQ(2, MADV_DONTNEED)),

	ALLOW(exit_group, "the drain is over"),
};

#define ROLE(n, idx, r) { .name = n, .indexed = idx, .rules = r, .nrules = sizeof(r) / sizeof(r[0]) }

const struct policy_role policy_roles[SANDBOX_ROLE_COUNT] = {
	[SANDBOX_ROLE_MAIN] = ROLE("main", 0, main_rules),
	[SANDBOX_ROLE_VCPU] = ROLE("vcpu", 1, vcpu_rules),
	[SANDBOX_ROLE_TEARDOWN] = ROLE("teardown", 0, teardown_rules),
	[SANDBOX_ROLE_SAVE_HELPER] = ROLE("saver", 0, save_helper_rules),
	[SANDBOX_ROLE_SERVE] = ROLE("serve", 0, serve_rules),
};
