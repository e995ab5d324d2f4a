#!/usr/bin/env bash
# Build everything, boot Ferrite in QEMU (headless, serial console here) and
# return when the kernel powers itself off after its demo.
# Usage: scripts/run.sh [ferrite-boot run options, e.g. --log debug --memory 1024]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
build_boot_tool
build_kernel
step "booting Ferrite in QEMU"
exec "$BOOT_TOOL" run --kernel "$KERNEL_ELF" "$@"
