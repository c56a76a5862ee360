#!/usr/bin/env bash
# The virtio-blk suite again under [sandbox] seccomp = kill.
SANDBOX=kill exec bash "$(dirname "$0")/blk.sh"
