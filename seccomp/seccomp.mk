# The seccomp filters, compiled at build time.  Included by the top Makefile
# right after LIB_SRCS is set and before OBJS and SAN_OBJS are, because it
# edits the source lists they come from.
#
# build/gen/gen_filters (gen_filters.c, compile.c and policy.c, linked with
# libseccomp) writes build/gen/seccomp_filters.c: every role's BPF program
# in every mode and the trap handler's tables (seccomp/compile.h).  flint
# links that file and neither the generator nor compile.c, so it carries no
# BPF compiler; the unit tests link compile.c too, to check at every run
# that the generated programs are still what libseccomp makes of policy.c.

SECCOMP_GEN      := build/gen/seccomp_filters.c
SECCOMP_GEN_TOOL := build/gen/gen_filters
SECCOMP_GEN_OBJS := $(addprefix build/obj/seccomp/,gen_filters.o compile.o policy.o)

VMM_SRCS := $(filter-out seccomp/gen_filters.c seccomp/compile.c,$(VMM_SRCS)) $(SECCOMP_GEN)
LIB_SRCS := $(filter-out seccomp/gen_filters.c,$(LIB_SRCS)) $(SECCOMP_GEN)

$(SECCOMP_GEN_TOOL): $(SECCOMP_GEN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lseccomp

# Through a temporary file: a generator that fails half-way leaves no
# half-written file that make would take as up to date.
$(SECCOMP_GEN): $(SECCOMP_GEN_TOOL)
	$< > $@.tmp && mv $@.tmp $@ || { rm -f $@.tmp; exit 1; }

-include $(SECCOMP_GEN_OBJS:.o=.d)
