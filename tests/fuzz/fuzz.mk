# `make fuzz`: a bounded libFuzzer run of each target (FUZZ_TIME seconds
# each, default 30): the virtqueue parser and virtio-blk request path, the
# configuration parser, the PVH loader, the virtio-net and virtio-console queues, the
# device-state loaders, the snapshot reader and the vCPU record loader
# (tests/fuzz/run.sh; FUZZ_TARGETS picks some), then the guest's cpio
# reader and VFS (tests/fuzz/run_cpio.sh).  Include from the top-level Makefile.
fuzz: $(SECCOMP_GEN)
	tests/fuzz/run.sh
	tests/fuzz/run_cpio.sh
