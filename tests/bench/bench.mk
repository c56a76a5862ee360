# The host-side helpers of `make bench` (tests/bench/*.sh), built into
# build/bench/.  Included from the top Makefile.
BENCH_TOOLS := build/bench/tapecho build/bench/udprtt build/bench/vm_floor build/bench/paced build/bench/reuse

$(BENCH_TOOLS): build/bench/%: tests/bench/%.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 $(WARN) -o $@ $<
build/bench/paced build/bench/reuse: tests/bench/latency.h

# Built with everything: tests/integration/bench_parse.sh runs them.
all: $(BENCH_TOOLS)

# The floor of a whole process (static, does nothing) and the launcher
# that times starts back to back: make bench's start-up and launch rows.
build/bench/noop: tests/bench/noop.c
	@mkdir -p $(@D)
	$(CC) -O2 $(WARN) -static -o $@ $<

build/bench/launch: tests/bench/launch.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 $(WARN) -pthread -o $@ $<

# The snapshot file and vCPU state costs (tests/bench/snapshot_file.sh):
# links the monitor's own code, as the unit tests do.
build/bench/snapshot_file: tests/bench/snapshot_file.c $(filter-out build/obj/vmm/cli/main.o,$(OBJS))
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS) $(WARN) -o $@ $^ $(LDLIBS)

# serve's baseline: fn-echo as a static CGI program for lighttpd's mod_cgi.
build/bench/cgi_echo: tests/bench/cgi_echo.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 $(WARN) -static -o $@ $<
all: build/bench/cgi_echo
