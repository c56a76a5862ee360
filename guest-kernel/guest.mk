# Flint's guest kernel library and apps (included by the top Makefile).
# Every guest-kernel/apps/NAME.c becomes build/guest/NAME.elf: the app, its
# name (argv[0]) and the runtime (build/guest/obj/libflint.a).  Variables
# are GUEST_-prefixed so the top Makefile's own stay untouched.

GUEST_CC      ?= gcc
GUEST_AR      ?= ar
GUEST_SRC     := guest-kernel
GUEST_OUT     := build/guest
GUEST_OBJ     := $(GUEST_OUT)/obj

# Freestanding, with only the compiler's own headers (stdint.h, stdarg.h,
# ...) besides ours.  SSE is allowed: entry.S sets CR4.OSFXSR, and ring 3
# never shares SSE state with ring 0, which uses none.
GUEST_CFLAGS  := -std=c11 -O2 -Wall -Wextra -Werror \
	-ffreestanding -nostdinc -isystem $(shell $(GUEST_CC) -print-file-name=include) \
	-fno-pic -fno-pie -mcmodel=small -mno-red-zone -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns \
	-ffunction-sections -fdata-sections \
	-I$(GUEST_SRC)/include -I$(GUEST_SRC) -Iinclude
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,$(GUEST_SRC)/link.ld -Wl,--gc-sections \
	-Wl,--build-id=none -Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack

GUEST_ARCH_OBJS := $(patsubst $(GUEST_SRC)/%.S,$(GUEST_OBJ)/%.o,$(sort $(wildcard $(GUEST_SRC)/arch/x86_64/*.S)))
GUEST_LIB_SRCS  := $(filter-out $(GUEST_SRC)/kernel/app_name.c, \
	$(sort $(wildcard $(GUEST_SRC)/kernel/*.c $(GUEST_SRC)/lib/*.c $(GUEST_SRC)/arch/x86_64/*.c \
	$(GUEST_SRC)/drivers/*.c $(GUEST_SRC)/fs/*.c)))
GUEST_LIB_OBJS  := $(patsubst $(GUEST_SRC)/%.c,$(GUEST_OBJ)/%.o,$(GUEST_LIB_SRCS))
GUEST_LIB       := $(GUEST_OBJ)/libflint.a
GUEST_APPS      := $(sort $(basename $(notdir $(wildcard $(GUEST_SRC)/apps/*.c))))
GUEST_ELFS      := $(GUEST_APPS:%=$(GUEST_OUT)/%.elf)
GUEST_APP_OBJS  := $(GUEST_APPS:%=$(GUEST_OBJ)/apps/%.o) $(GUEST_APPS:%=$(GUEST_OBJ)/app_name/%.o)

.PHONY: guest
guest: $(GUEST_ELFS)

# Reached only through pattern rules: keep them, or every build relinks.
.SECONDARY: $(GUEST_ARCH_OBJS) $(GUEST_APP_OBJS)

$(GUEST_OUT)/%.elf: $(GUEST_OBJ)/apps/%.o $(GUEST_OBJ)/app_name/%.o $(GUEST_ARCH_OBJS) $(GUEST_LIB) \
		$(GUEST_SRC)/link.ld
	$(GUEST_CC) $(GUEST_LDFLAGS) -o $@ $(GUEST_ARCH_OBJS) $(GUEST_OBJ)/apps/$*.o \
		$(GUEST_OBJ)/app_name/$*.o $(GUEST_APP_LIBS) $(GUEST_LIB)

$(GUEST_LIB): $(GUEST_LIB_OBJS)
	@rm -f $@
	$(GUEST_AR) rcs $@ $^

$(GUEST_OBJ)/%.o: $(GUEST_SRC)/%.c $(GUEST_SRC)/guest.mk
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c -o $@ $<

$(GUEST_OBJ)/%.o: $(GUEST_SRC)/%.S $(GUEST_SRC)/guest.mk
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c -o $@ $<

# argv[0] is fixed at build time: the runtime is shared, the name is not.
$(GUEST_APPS:%=$(GUEST_OBJ)/app_name/%.o): $(GUEST_OBJ)/app_name/%.o: $(GUEST_SRC)/kernel/app_name.c \
		$(GUEST_SRC)/guest.mk
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -DFLINT_APP_NAME='"$*"' -MMD -MP -c -o $@ $<

# The network apps' extra archive (GUEST_APP_LIBS) and lwIP's build.
include $(GUEST_SRC)/net/lwip.mk
include $(GUEST_SRC)/hosted/hosted.mk

-include $(GUEST_ARCH_OBJS:.o=.d) $(GUEST_LIB_OBJS:.o=.d) $(GUEST_APP_OBJS:.o=.d)
