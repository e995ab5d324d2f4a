#!/usr/bin/env bash
# Build everything (host tool, kernel, userland), boot Ferrite in QEMU
# (headless, serial console here) with the userland as its initramfs, and
# return when the kernel powers itself off.
# Usage: scripts/run.sh [ferrite-boot run options, e.g. --log debug] [-- PROG ARGS...]
#   With `-- PROG ARGS`, /init runs PROG ARGS and the exit status is PROG's,
#   e.g. scripts/run.sh -- /bin/testrun fork
set -euo pipefail
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
build_boot_tool
build_kernel
build_userland
step "booting Ferrite in QEMU"
exec "$BOOT_TOOL" run --kernel "$KERNEL_ELF" --userland "$USERLAND_DIR" "$@"
