# The host-side helpers of `make bench` (tests/bench/*.sh), built into
# build/bench/.  Included from the top Makefile.
BENCH_TOOLS := build/bench/tapecho build/bench/udprtt build/bench/vm_floor

$(BENCH_TOOLS): build/bench/%: tests/bench/%.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 $(WARN) -o $@ $<

# Built with everything: tests/integration/bench_parse.sh runs them.
all: $(BENCH_TOOLS)

# The snapshot file and vCPU state costs (tests/bench/snapshot_file.sh):
# links the monitor's own code, as the unit tests do.
build/bench/snapshot_file: tests/bench/snapshot_file.c $(filter-out build/obj/vmm/main.o,$(OBJS))
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS) $(WARN) -o $@ $^ $(LDLIBS)
