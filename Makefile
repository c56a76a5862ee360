# Flint: everything builds under build/.  `make` builds the monitor and the
# guests, `make test` runs every test, `make bench` the benchmarks.

VERSION := 0.1.0
CC      ?= gcc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror
CPPFLAGS_ALL := -std=c11 -D_GNU_SOURCE -DFLINT_VERSION='"$(VERSION)"' -Iinclude -Ihw -Ivmm -Ivirtio -Iseccomp
LDLIBS  := -linih -lseccomp -ljansson -lz -lpthread
SAN     := -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer -fno-sanitize-recover=all

# The first goal is the default: bare `make` builds the monitor and every
# guest, and installs nothing (deps come in through run/test/bench).
.DEFAULT_GOAL := all

VMM_SRCS := $(sort $(wildcard hw/*.c vmm/*.c virtio/*.c seccomp/*.c))
LIB_SRCS := $(filter-out vmm/main.c,$(VMM_SRCS))
include seccomp/seccomp.mk
OBJS     := $(VMM_SRCS:%.c=build/obj/%.o)
SAN_OBJS := $(LIB_SRCS:%.c=build/san/%.o)
UNIT_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_TESTS := $(UNIT_SRCS:tests/unit/%.c=build/tests/%)

.PHONY: all flint guest test unit-tests bench clean fuzz run deps deps-test deps-bench
all: flint guest

# The README's first two commands are `make run` and `make test`: they
# install what is missing (as root) and then build.  Installing comes
# first and alone, so a parallel build never compiles against headers
# that are still being unpacked.
deps:
	@scripts/deps.sh build
deps-test:
	@scripts/deps.sh test
deps-bench:
	@scripts/deps.sh bench

run: deps
	$(MAKE) all
	build/flint run config.ini.example

flint: build/flint
# Static: the dynamic loader's ~20 system calls are a tenth of a boot.
build/flint: $(OBJS)
	$(CC) $(CFLAGS) -static $(LDFLAGS) -o $@ $^ $(LDLIBS)

# --version adds `git describe` when built from this repository's own git
# checkout (a tarball, or a tree unpacked inside some other repository,
# gets the plain VERSION).  The header is rewritten only when the text
# changes, and only main.c includes it, so a commit relinks, not rebuilds.
GIT_DESCRIBE := $(shell [ "$$(git -C . rev-parse --show-toplevel 2>/dev/null)" = "$(CURDIR)" ] && \
	git describe --tags --always --dirty 2>/dev/null)
.PHONY: FORCE
build/gen/version.h: FORCE
	@mkdir -p $(@D)
	@echo '#define FLINT_GIT_DESCRIBE "$(GIT_DESCRIBE)"' >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
build/obj/vmm/main.o: build/gen/version.h
build/obj/vmm/main.o: CPPFLAGS_ALL += -Ibuild/gen

build/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS) $(WARN) -MMD -MP -c -o $@ $<

build/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) -O1 -g $(SAN) $(WARN) -MMD -MP -c -o $@ $<

# Unit tests link the monitor's code (all but main.c), sanitized.
build/tests/%: tests/unit/%.c $(SAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) -Itests/unit -O1 -g $(SAN) $(WARN) -MMD -MP -o $@ $< $(SAN_OBJS) $(LDLIBS)

# Guest code on the host: each test_guest_NAME supplies the device, clock
# and halt the guest file needs (tests/unit/guest_stub stands in for the
# guest's own headers), and links none of the monitor.
GUEST_UNIT = @mkdir -p $(@D); $(CC) -std=c11 -D_GNU_SOURCE -Itests/unit -Itests/unit/guest_stub \
	-Iguest-kernel -O1 -g $(SAN) $(WARN) -MMD -MP -o $@ $(filter %.c,$^)
build/tests/test_guest_virtq: tests/unit/test_guest_virtq.c guest-kernel/drivers/virtq.c
	$(GUEST_UNIT)
build/tests/test_guest_timer: tests/unit/test_guest_timer.c guest-kernel/kernel/timer.c
	$(GUEST_UNIT)
build/tests/test_guest_pv: tests/unit/test_guest_pv.c guest-kernel/kernel/pv.c guest-kernel/kernel/walltime.c \
		guest-kernel/kernel/random.c
	$(GUEST_UNIT) -Iinclude

unit-tests: $(UNIT_TESTS)

# Keep the sanitized objects between test builds.
.SECONDARY: $(SAN_OBJS)

include guest-kernel/guest.mk
include rootfs/rootfs.mk

test: deps-test
	$(MAKE) all unit-tests
	tests/run.sh

bench: deps-bench
	$(MAKE) all $(BENCH_TOOLS) build/bench/initrd_copy build/bench/snapshot_file
	tests/bench/run.sh

clean:
	rm -rf build

include tests/fuzz/fuzz.mk
include tests/tsan.mk
include tests/qmp/qmp.mk
include tests/fs.mk
include tests/bench/bench.mk
include install.mk

-include $(OBJS:.o=.d) $(SAN_OBJS:.o=.d) $(UNIT_TESTS:=.d)
