#!/usr/bin/env bash
# Build everything (host tool, kernel, userland), boot Ferrite in QEMU
# (headless, serial console here) with the userland as its initramfs, and
# return when the kernel powers itself off.
# Usage: scripts/run.sh [ferrite-boot run options, e.g. --log debug] [-- PROG ARGS...]
#   With `-- PROG ARGS`, /init runs PROG ARGS and the exit status is PROG's,
#   e.g. scripts/run.sh -- /bin/testrun fork
#   With --shell, /init runs an interactive BusyBox /bin/sh on this terminal
#   (Debian's busybox-static, fetched by setup.sh); `exit` or ^D powers off.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"

# --shell (an option before any `--`) also packs BusyBox.
shell=0
for arg in "$@"; do
    [ "$arg" = "--" ] && break
    [ "$arg" = "--shell" ] && shell=1
done
if [ "$shell" -eq 1 ] && [ ! -x "$BUSYBOX" ]; then
    die "--shell is unavailable: BusyBox is missing ($BUSYBOX). scripts/setup.sh fetches \
Debian's busybox-static with apt-get download; it failed (no network or no apt?). \
Retry with: rm -rf $ROOT/target/busybox && scripts/setup.sh"
fi

build_boot_tool
build_kernel
build_userland
step "booting Ferrite in QEMU"
if [ "$shell" -eq 0 ]; then
    exec "$BOOT_TOOL" run --kernel "$KERNEL_ELF" --userland "$USERLAND_DIR" "$@"
fi
# QEMU puts the terminal into raw mode and restores it when it exits; put it
# back ourselves too in case QEMU was killed.
saved=""
[ -t 0 ] && saved=$(stty -g 2>/dev/null || true)
status=0
"$BOOT_TOOL" run --kernel "$KERNEL_ELF" --userland "$USERLAND_DIR" --busybox "$BUSYBOX" "$@" \
    || status=$?
[ -n "$saved" ] && stty "$saved" 2>/dev/null
exit "$status"
