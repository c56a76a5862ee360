# flint serve's supervisor, build/flint-serve (`flint serve` execs it): the
# files in serve/, the config parser it shares with flint, and libevent
# (evhttp), which only this binary links.  Include from the top Makefile.
SERVE_SRCS := $(sort $(wildcard serve/*.c))
SERVE_SHARED := vmm/spec/config.c vmm/spec/spec.c vmm/spec/serve_config.c seccomp/jail.c seccomp/filter.c seccomp/compile.c \
	seccomp/policy.c
SERVE_OBJS := $(SERVE_SRCS:%.c=build/obj/%.o) $(SERVE_SHARED:%.c=build/obj/%.o) build/obj/build/gen/seccomp_filters.o

build/flint-serve: $(SERVE_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -levent_core -levent_extra -linih -lseccomp

build/obj/serve/%.o: serve/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) -Iserve $(CFLAGS) $(WARN) -MMD -MP -c -o $@ $<

-include $(SERVE_SRCS:%.c=build/obj/%.d)

# The spawner's unit test links only the spawner (a live one runs /bin/sh).
build/tests/test_spawner: tests/unit/test_spawner.c serve/spawner.c serve/spawn_msg.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) -Iserve -Itests/unit -O1 -g $(SAN) $(WARN) -MMD -MP -o $@ $(filter %.c,$^)
build/tests/test_vm_msgs: tests/unit/test_vm_msgs.c serve/vm_msgs.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) -Iserve -Itests/unit -O1 -g $(SAN) $(WARN) -MMD -MP -o $@ $(filter %.c,$^)
