#!/bin/sh
# Builds newlib (Debian's `newlib` source, fetched by fetch-source.sh) for
# the guest: x86_64-elf, one multilib, libc and libm only, no libgloss and
# no newlib-supplied system calls: its hooks are hosted/hooks.c, plain
# ring-3 functions over the guest library.  Debian's own gcc does it (the
# target only selects newlib's sources; the code is freestanding x86-64).
# Usage: build-newlib.sh SRC OUT -> OUT/x86_64-elf/{include,lib/libc.a,lib/libm.a}
set -eu
src=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
[ -f "$out/x86_64-elf/lib/libm.a" ] && exit 0
b=$out/obj
rm -rf "$b"
mkdir -p "$b"
flags="-O2 -ffreestanding -fno-pic -fno-pie -mno-red-zone -fno-stack-protector"
flags="$flags -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables"
cd "$b"
"$src/configure" --target=x86_64-elf --prefix="$out" --disable-multilib \
	--disable-newlib-supplied-syscalls --disable-libgloss --disable-nls \
	--enable-newlib-io-long-long --enable-newlib-io-c99-formats \
	CC_FOR_TARGET=gcc AR_FOR_TARGET=ar RANLIB_FOR_TARGET=ranlib AS_FOR_TARGET=as \
	LD_FOR_TARGET=ld NM_FOR_TARGET=nm CFLAGS_FOR_TARGET="$flags" >configure.log 2>&1 ||
	{ tail -20 configure.log >&2; exit 1; }
make -j"${JOBS:-2}" all-target-newlib >make.log 2>&1 || { tail -30 make.log >&2; exit 1; }
make install-target-newlib >install.log 2>&1 || { tail -30 install.log >&2; exit 1; }
rm -rf "$b"
