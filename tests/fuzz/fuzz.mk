# `make fuzz`: a bounded libFuzzer run over the virtqueue parser and the
# virtio-blk request path (FUZZ_TIME seconds, default 30).  Include from the
# top-level Makefile.
fuzz:
	tests/fuzz/run.sh
