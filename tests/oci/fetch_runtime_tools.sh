#!/bin/sh
# Fetches the OCI runtime-tools validation suite at the last commit that
# builds with Debian 12's Go 1.19 into build/runtime-tools, never into the
# repository, and builds it offline (it vendors its dependencies; ~30 s).
# RUNTIME_TOOLS_GIT names another clone source (a mirror).
set -eu
cd "$(dirname "$0")/../.."
commit=260e151b8552afa2678ef6d41820ea0f31cd8be1
src=${RUNTIME_TOOLS_GIT:-https://github.com/opencontainers/runtime-tools}
command -v go >/dev/null || { echo "needs Go (apt-get install golang-go)" >&2; exit 1; }
[ -d build/runtime-tools/.git ] || git clone -q "$src" build/runtime-tools
git -C build/runtime-tools checkout -q "$commit"
cd build/runtime-tools
GOFLAGS=-mod=vendor GOPROXY=off GOCACHE=$PWD/.gocache make runtimetest validation-executables >build.log 2>&1 ||
	{ tail -20 build.log >&2; exit 1; }
echo "built build/runtime-tools/validation/*/*.t"
