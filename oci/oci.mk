# build/flint-oci: the OCI runtime (oci/), linking none of the monitor: it
# talks to `flint run` through a generated INI file and QMP.  Included from
# the top-level Makefile.
OCI_SRCS := $(sort $(wildcard oci/*.c))
OCI_OBJS := $(OCI_SRCS:%.c=build/obj/%.o)

all: build/flint-oci
build/flint-oci: $(OCI_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -ljansson -lmnl

# The config.json parser under libFuzzer (make fuzz; tests/fuzz/run.sh fuzz_oci_spec).
