# `make install` and `make uninstall` (included by the top Makefile).
# PREFIX (default /usr/local) and DESTDIR as every C tool has them:
#
#   bin/flint                          the monitor
#   share/flint/guests/NAME.elf        every guest `make` builds
#   share/flint/images/example.*       the example cpio and ext4 images
#   share/flint/examples/*.ini         ready configurations; their paths are
#                                      relative to the INI, so they run from
#                                      any folder
#   share/man/man1/flint.1, man5/flint.ini.5
#   lib/flint/libflint.a, link.ld, the arch objects    the guest SDK
#   include/flint/guest/...            its headers
#   lib/pkgconfig/flint-guest.pc       cflags and libs to build a guest
#
# Bare `make` installs nothing.  Uninstall removes exactly these files and
# then the folders that only they held.

PREFIX  ?= /usr/local
DESTDIR ?=
INSTALL ?= install
I_ROOT  := $(DESTDIR)$(PREFIX)
I_BIN   := $(I_ROOT)/bin
I_SHARE := $(I_ROOT)/share/flint
I_MAN   := $(I_ROOT)/share/man
I_LIB   := $(I_ROOT)/lib/flint
I_INC   := $(I_ROOT)/include/flint/guest
I_PC    := $(I_ROOT)/lib/pkgconfig

SDK_HEADERS := $(sort $(patsubst guest-kernel/include/%,%,$(wildcard guest-kernel/include/*.h \
	guest-kernel/include/*/*.h)))
SDK_ARCH    := $(notdir $(GUEST_ARCH_OBJS))
EXAMPLES    := $(notdir $(wildcard examples/*.ini))
MANPAGES    := man/flint.1 man/flint.ini.5
IMAGES      := $(ROOTFS_OUT)/example.cpio $(ROOTFS_OUT)/example.ext4

# Relocatable: prefix is found from where the file lies, so a staged
# install (DESTDIR) works with PKG_CONFIG_PATH pointed into it.  The SDK
# links the library whole (order-proof: `cc $(pkg-config ...) app.c`
# works as well as `cc app.c $(pkg-config ...)`); --gc-sections then drops
# what the app does not use.
build/sdk/flint-guest.pc: install.mk Makefile
	@mkdir -p $(@D)
	@{ echo 'prefix=$${pcfiledir}/../..'; \
	   echo 'libdir=$${prefix}/lib'; \
	   echo 'includedir=$${prefix}/include'; \
	   echo 'flintdir=$${libdir}/flint'; \
	   echo; \
	   echo 'Name: flint-guest'; \
	   echo 'Description: Flint guest library: a C main() built into a PVH kernel flint boots'; \
	   echo 'Version: $(VERSION)'; \
	   echo 'Cflags: -ffreestanding -nostdinc -isystem $${includedir}/flint/guest -fno-pic -fno-pie -mno-red-zone -fno-stack-protector -fno-asynchronous-unwind-tables'; \
	   echo 'Libs: -nostdlib -static -no-pie -Wl,-T,$${flintdir}/link.ld -Wl,--gc-sections -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack $(SDK_ARCH:%=$${flintdir}/%) -Wl,--whole-archive $${flintdir}/libflint.a -Wl,--no-whole-archive'; \
	} >$@

.PHONY: install uninstall
install: all build/sdk/flint-guest.pc
	$(INSTALL) -d $(I_BIN) $(I_SHARE)/guests $(I_SHARE)/images $(I_SHARE)/examples \
		$(I_MAN)/man1 $(I_MAN)/man5 $(I_LIB) $(I_INC)/sys $(I_PC)
	$(INSTALL) -m 755 build/flint $(I_BIN)/flint
	$(INSTALL) -m 644 $(GUEST_ELFS) $(I_SHARE)/guests/
	$(INSTALL) -m 644 $(IMAGES) $(I_SHARE)/images/
	$(INSTALL) -m 644 $(EXAMPLES:%=examples/%) $(I_SHARE)/examples/
	$(INSTALL) -m 644 man/flint.1 $(I_MAN)/man1/flint.1
	$(INSTALL) -m 644 man/flint.ini.5 $(I_MAN)/man5/flint.ini.5
	$(INSTALL) -m 644 $(GUEST_LIB) $(GUEST_ARCH_OBJS) $(GUEST_SRC)/link.ld $(I_LIB)/
	for h in $(SDK_HEADERS); do $(INSTALL) -m 644 guest-kernel/include/$$h $(I_INC)/$$h || exit 1; done
	$(INSTALL) -m 644 build/sdk/flint-guest.pc $(I_PC)/flint-guest.pc

# Folders are removed only when empty, deepest first: a folder that held
# something else before (bin, share/man/man1) stays.
uninstall:
	rm -f $(I_BIN)/flint $(GUEST_APPS:%=$(I_SHARE)/guests/%.elf) $(IMAGES:$(ROOTFS_OUT)/%=$(I_SHARE)/images/%) \
		$(EXAMPLES:%=$(I_SHARE)/examples/%) $(I_MAN)/man1/flint.1 $(I_MAN)/man5/flint.ini.5 \
		$(I_LIB)/libflint.a $(I_LIB)/link.ld $(SDK_ARCH:%=$(I_LIB)/%) \
		$(SDK_HEADERS:%=$(I_INC)/%) $(I_PC)/flint-guest.pc
	-rmdir $(I_SHARE)/guests $(I_SHARE)/images $(I_SHARE)/examples $(I_SHARE) $(I_LIB) \
		$(I_INC)/sys $(I_INC) $(I_ROOT)/include/flint $(I_MAN)/man1 $(I_MAN)/man5 $(I_PC) 2>/dev/null || true
