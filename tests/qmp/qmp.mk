# The QMP test server (tests/qmp/fake_server.c): flint's control socket
# over a VM without KVM.  Linked statically from flint's own objects, as
# flint is, so its seccomp filter sees the same system calls.  Built with
# the unit tests; tests/integration/qmp_fake.sh drives it.
QMP_FAKE := build/tests/qmp_fake_server

$(QMP_FAKE): build/obj/tests/qmp/fake_server.o $(filter-out build/obj/vmm/cli/main.o,$(OBJS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -static $(LDFLAGS) -o $@ $^ $(LDLIBS)

unit-tests: $(QMP_FAKE)

-include build/obj/tests/qmp/fake_server.d

# The live exit tables (x-flint-query-stats reads them while vCPUs write)
# under ThreadSanitizer: tests/integration/tsan_stats.sh runs it; any data
# race fails it.  clang, as tests/tsan.mk explains.
TSAN_CC ?= clang
build/tsan/test_stats_live: tests/unit/test_stats_live.c vmm/machine/stats.c vmm/machine/stats.h
	@mkdir -p $(@D)
	$(TSAN_CC) $(CPPFLAGS_ALL) -Itests/unit -O1 -g -fsanitize=thread $(WARN) -o $@ $< vmm/machine/stats.c -lpthread
