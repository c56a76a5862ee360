#!/bin/sh
# The runtime the OCI runtime-tools validation suite drives
# (tests/integration/runtime_tools.sh): flint-oci, with a Flint guest
# standing in for the Linux program each test's config.json names (the
# suite's rootfs is busybox): `sleep N` becomes sleep.elf sleeping N s,
# anything else hello.elf, which exits 0.  Every other byte of the bundle
# is the suite's.
here=$(cd "$(dirname "$0")/../.." && pwd)
bundle= prev=
for a in "$@"; do
	case $prev in --bundle|-b) bundle=$a ;; esac
	case $a in --bundle=*) bundle=${a#--bundle=} ;; esac
	prev=$a
done
if [ -n "$bundle" ] && [ -f "$bundle/config.json" ]; then
	python3 - "$bundle" "$here/build/guest" <<'PY' || exit 1
import json, os, shutil, sys
bundle, guests = sys.argv[1], sys.argv[2]
p = os.path.join(bundle, "config.json")
c = json.load(open(p))
root = os.path.join(bundle, c["root"]["path"])
args = c.get("process", {}).get("args", [])
if args and os.path.basename(args[0]) == "sleep" and len(args) > 1 and args[1].isdigit():
    new = ["/sleep.elf", str(int(args[1]) * 1000)]
else:
    new = ["/hello.elf"]
shutil.copy(os.path.join(guests, new[0][1:]), os.path.join(root, new[0][1:]))
c["process"]["args"] = new
json.dump(c, open(p, "w"))
PY
fi
exec "$here/build/flint-oci" "$@"
