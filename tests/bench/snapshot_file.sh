#!/usr/bin/env bash
# The snapshot file and vCPU state: save and open costs against their
# floors (plain pwrite; open+mmap), file size against touched memory, and
# a vCPU's save and load (tests/bench/snapshot_file.c says what each is).
# The files go to build/, on the disk snapshots would live on.
set -eu
cd "$(dirname "$0")/../.."
echo "== snapshot file and vCPU state"
[ -x build/bench/snapshot_file ] || make -s build/bench/snapshot_file
build/bench/snapshot_file build
