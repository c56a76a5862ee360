#!/usr/bin/env bash
# The whole boot suite again with [sandbox] seccomp = kill: any system call
# outside a thread's allow-list would kill flint and fail a test here.
SANDBOX=kill exec bash "$(dirname "$0")/boot.sh"
