# The guest's filesystem code, hosted: build/tests/test_ext4 links the
# ext4 reader (guest-kernel/fs/ext4*.c) with its unit test, sanitized,
# against the host's libc headers (the reader compiles in both worlds).
# This explicit rule overrides the top Makefile's pattern for
# tests/unit/test_*.c, which links the monitor's objects instead.
EXT4_SRCS := $(sort $(wildcard guest-kernel/fs/ext4*.c))

build/tests/test_ext4: tests/unit/test_ext4.c $(EXT4_SRCS)
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -Itests/unit -Iguest-kernel -O1 -g $(SAN) $(WARN) -MMD -MP \
		-o $@ tests/unit/test_ext4.c $(EXT4_SRCS)

# `make fuzz` runs the ext4 reader's fuzzer too (a prerequisite here, so
# tests/fuzz/fuzz.mk stays as it is).
.PHONY: fuzz-ext4
fuzz: fuzz-ext4
fuzz-ext4:
	tests/fuzz/run_ext4.sh

# httpd's path handling (guest-kernel/lib/webpath.c), hosted and sanitized.
build/tests/test_webpath: tests/unit/test_webpath.c guest-kernel/lib/webpath.c guest-kernel/lib/webpath.h
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -Itests/unit -Iguest-kernel -O1 -g $(SAN) $(WARN) -MMD -MP \
		-o $@ tests/unit/test_webpath.c guest-kernel/lib/webpath.c
