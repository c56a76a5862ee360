# The guest's hosted half (included by guest-kernel/guest.mk): newlib's
# libc and libm, from Debian's `newlib` source, and the apps that need a
# hosted C library on it -- today Lua 5.4 (Debian's `lua5.4` source), as
# build/guest/lua.elf.  Both sources are fetched into build/hosted/ at
# build time (fetch-source.sh, as lwIP), never vendored.  The other apps
# do not link newlib and stay as small as before (guest-kernel/README.md,
# "Which C library, and why").
#
# lua.elf links: the entry objects, Lua and its main, hooks.c (newlib's
# system layer over the guest library), then in one group the guest
# library without its C-library pieces (HOSTED_REPLACED: newlib has them)
# and newlib's libc.a and libm.a.  The kernel's own calls (memcpy,
# printf...) then land in newlib too: one C library per image.

HOSTED_TOP     := build/hosted
HOSTED_NEWLIB_SRC := $(HOSTED_TOP)/src/newlib
HOSTED_NEWLIB  := $(HOSTED_TOP)/newlib/x86_64-elf
HOSTED_NEWLIB_STAMP := $(HOSTED_NEWLIB)/lib/libm.a
HOSTED_LUA_DIR := $(HOSTED_TOP)/src/lua/src
# Debian's lua5.4 5.4.4-3+deb12u1 carries two security fixes on upstream's
# 5.4.4 (a heap over-read in the parser, singlevar; a heap overflow when
# errors recur, luaG_runerror); the guest runs scripts as if hostile.
# The stamp names them: a tree fetched without them is fetched again.
HOSTED_LUA_PATCHES := 0004-cve-2022-28805.patch 0005-cve-2022-33099.patch
HOSTED_LUA_STAMP := $(HOSTED_TOP)/src/lua/.fetched-cve-2022-28805-33099
HOSTED_OBJ     := $(GUEST_OBJ)/hosted
# Lua's library, without the stand-alone interpreter and compiler.
HOSTED_LUA_NAMES := lapi lcode lctype ldebug ldo ldump lfunc lgc llex lmem lobject lopcodes \
	lparser lstate lstring ltable ltm lundump lvm lzio lauxlib lbaselib lcorolib ldblib liolib \
	lmathlib loadlib loslib lstrlib ltablib lutf8lib linit
HOSTED_LUA_OBJS := $(HOSTED_LUA_NAMES:%=$(HOSTED_OBJ)/lua/%.o)
# Hosted C: newlib's headers, not the guest library's; no -ffreestanding,
# so the compiler may inline memcpy and the math builtins as on the host.
# HOSTED_CODEGEN is also given to the link, where -flto compiles Lua.
HOSTED_CODEGEN := -O2 -fno-pic -fno-pie -mcmodel=small -mno-red-zone -fno-stack-protector \
	-fno-asynchronous-unwind-tables -ffunction-sections -fdata-sections
HOSTED_CFLAGS := -std=gnu99 -nostdinc -isystem $(HOSTED_NEWLIB)/include \
	-isystem $(shell $(GUEST_CC) -print-file-name=include) $(HOSTED_CODEGEN)
HOSTED_WFLAGS := -Wall -Wextra -Werror
# Lua as Debian's lua5.4 builds it (-O2, LUA_COMPAT_5_3: math.pow and the
# 5.3 API casts), then as one program: its objects carry GIMPLE (-flto)
# and the link compiles them together, so the interpreter's loop inlines
# the table and call helpers of other files (a guest image is one static
# program; Debian's lua5.4 is a PIE linked per file).  -fno-gcse is GCC's
# own advice for code dispatching with computed gotos, as luaV_execute
# does: 4% on fib here.  Both buy back what this platform charges a
# guest (every host interrupt is a world switch under PVM), so that the
# bench's same-run ratios against Debian's lua5.4 hold.
HOSTED_LUA_OPT := -flto=auto -fno-gcse
HOSTED_LUA_CFLAGS := -DLUA_COMPAT_5_3 $(HOSTED_LUA_OPT)

# Order-only: a built newlib is kept (.ci/run copies it into its clang
# clone); after changing build-newlib.sh, remove build/hosted/newlib.
$(HOSTED_NEWLIB_STAMP): | $(GUEST_SRC)/hosted/fetch-source.sh $(GUEST_SRC)/hosted/build-newlib.sh
	$(GUEST_SRC)/hosted/fetch-source.sh newlib 3.3.0 $(HOSTED_TOP) $(HOSTED_NEWLIB_SRC)
	$(GUEST_SRC)/hosted/build-newlib.sh $(HOSTED_NEWLIB_SRC) $(HOSTED_TOP)/newlib

$(HOSTED_LUA_STAMP): | $(GUEST_SRC)/hosted/fetch-source.sh
	rm -rf $(HOSTED_TOP)/src/lua
	$(GUEST_SRC)/hosted/fetch-source.sh lua5.4 5.4.4 $(HOSTED_TOP) $(HOSTED_TOP)/src/lua $(HOSTED_LUA_PATCHES)
	@touch $@

$(HOSTED_LUA_NAMES:%=$(HOSTED_LUA_DIR)/%.c): | $(HOSTED_LUA_STAMP)
	@test -f $@ || { echo "$@ is not in the Lua source: remove $(HOSTED_TOP)/src/lua and rebuild" >&2; exit 1; }

$(HOSTED_OBJ)/lua/%.o: $(HOSTED_LUA_DIR)/%.c $(HOSTED_NEWLIB_STAMP) $(GUEST_SRC)/hosted/hosted.mk
	@mkdir -p $(@D)
	$(GUEST_CC) $(HOSTED_CFLAGS) $(HOSTED_LUA_CFLAGS) -MMD -MP -c -o $@ $<

$(HOSTED_OBJ)/lua.o: $(GUEST_SRC)/hosted/lua.c $(HOSTED_NEWLIB_STAMP) $(GUEST_SRC)/hosted/hosted.mk \
		| $(HOSTED_LUA_STAMP)
	@mkdir -p $(@D)
	$(GUEST_CC) $(HOSTED_CFLAGS) $(HOSTED_LUA_CFLAGS) $(HOSTED_WFLAGS) -I$(HOSTED_LUA_DIR) -I$(GUEST_SRC) -Iinclude -MMD -MP -c -o $@ $<

$(HOSTED_OBJ)/hooks.o: $(GUEST_SRC)/hosted/hooks.c $(HOSTED_NEWLIB_STAMP) $(GUEST_SRC)/hosted/hosted.mk
	@mkdir -p $(@D)
	$(GUEST_CC) $(HOSTED_CFLAGS) $(HOSTED_WFLAGS) -I$(GUEST_SRC) -Iinclude -MMD -MP -c -o $@ $<

$(HOSTED_OBJ)/app_name.o: $(GUEST_SRC)/kernel/app_name.c $(GUEST_SRC)/hosted/hosted.mk
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -DFLINT_APP_NAME='"lua"' -MMD -MP -c -o $@ $<

# What newlib provides (hooks.c has exit's, malloc's heap and posix_fs's
# calls in newlib's terms); getenv.c stays: it reads NAME=VALUE from the
# command line, where newlib's would read an empty environ.
HOSTED_REPLACED := $(addprefix $(GUEST_OBJ)/,kernel/exit.o lib/file.o lib/malloc.o lib/posix_fs.o \
	lib/qsort.o lib/stdio.o lib/format.o lib/strerror.o lib/string.o lib/strtol.o lib/time.o)
$(HOSTED_OBJ)/libflint-core.a: $(filter-out $(HOSTED_REPLACED),$(GUEST_LIB_OBJS))
	@mkdir -p $(@D)
	@rm -f $@
	$(GUEST_AR) rcs $@ $^

$(GUEST_OUT)/lua.elf: $(GUEST_ARCH_OBJS) $(HOSTED_OBJ)/lua.o $(HOSTED_OBJ)/app_name.o $(HOSTED_LUA_OBJS) \
		$(HOSTED_OBJ)/hooks.o $(HOSTED_OBJ)/libflint-core.a $(GUEST_SRC)/link.ld
	$(GUEST_CC) $(GUEST_LDFLAGS) $(HOSTED_CODEGEN) $(HOSTED_LUA_OPT) -o $@ $(GUEST_ARCH_OBJS) $(HOSTED_OBJ)/lua.o $(HOSTED_OBJ)/app_name.o \
		$(HOSTED_LUA_OBJS) $(HOSTED_OBJ)/hooks.o -Wl,--start-group $(HOSTED_OBJ)/libflint-core.a \
		$(HOSTED_NEWLIB)/lib/libc.a $(HOSTED_NEWLIB)/lib/libm.a -Wl,--end-group -lgcc

.PHONY: guest-hosted
guest-hosted: $(GUEST_OUT)/lua.elf
guest: guest-hosted

-include $(HOSTED_LUA_OBJS:.o=.d) $(HOSTED_OBJ)/lua.d $(HOSTED_OBJ)/hooks.d $(HOSTED_OBJ)/app_name.d
