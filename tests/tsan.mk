# `make check`: the transport's racing test (tests/unit/test_mmio_race.c)
# built with the transport, its state record and the queue under ThreadSanitizer into
# build/tsan/ and run, and the pause protocol's (tests/unit/test_pause.c:
# main pausing and resuming fake vCPU threads, vmm/vcpu_pause.c); any
# data race fails them.  `make test` runs it through
# tests/integration/tsan.sh.  Include from the top-level Makefile.
# clang: gcc's ThreadSanitizer does not model the queue's fences (-Wtsan).
TSAN_CC   ?= clang
TSAN_SRCS := virtio/mmio.c virtio/mmio_state.c virtio/queue.c hw/state.c

TSAN_PAUSE_SRCS := vmm/vcpu_pause.c vmm/pause_stats.c

.PHONY: check
check: build/tsan/test_mmio_race build/tsan/test_pause
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" build/tsan/test_mmio_race
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" build/tsan/test_pause

build/tsan/test_mmio_race: tests/unit/test_mmio_race.c $(TSAN_SRCS) $(wildcard virtio/*.h) vmm/guest_mem.h vmm/bus.h hw/state.h
	@mkdir -p $(@D)
	$(TSAN_CC) $(CPPFLAGS_ALL) -Itests/unit -O1 -g -fsanitize=thread $(WARN) -o $@ $< $(TSAN_SRCS) -lpthread

build/tsan/test_pause: tests/unit/test_pause.c $(TSAN_PAUSE_SRCS) vmm/vcpu.h vmm/vm.h vmm/pause_stats.h
	@mkdir -p $(@D)
	$(TSAN_CC) $(CPPFLAGS_ALL) -Itests/unit -O1 -g -fsanitize=thread $(WARN) -o $@ $< $(TSAN_PAUSE_SRCS) -lpthread
