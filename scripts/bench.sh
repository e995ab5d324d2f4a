#!/usr/bin/env bash
# The benchmark suite, Ferrite side by side with a stock Debian Linux kernel
# under the same QEMU settings (-icount shift=0,sleep=off: the guest TSC
# counts guest instructions, so figures repeat exactly run to run). Builds
# the kernel (bench-kernel profile) and the userland, then `ferrite-boot
# bench --suite` runs the in-kernel benchmarks, every /bin/bench program on
# both kernels, and the fork+exit scaling benchmark on both, and writes
# bench-results/latest.md and bench-results/fork_scaling.svg (the console
# goes to bench-results/latest.log too). The Linux kernel is fetched with
# apt-get download and cached in ~/.cache/ferrite/linux; nothing is
# installed into the host system.
#
# Usage: scripts/bench.sh [--only NAME[,NAME]] [--no-linux] [--linux VMLINUZ]
#                         [other `ferrite-boot bench` options, e.g. --verbose]
#   --only NAME   a program of /bin/bench (fork_exit, syscall_null, ...),
#                 fork_scaling (the scaling benchmark) or kernel (in-kernel)
#        scripts/bench.sh --profile NAME [--profile-period N]
#   profiles one benchmark (a /bin/bench program or kernel) on Ferrite with
#   the kernel's sampling profiler and writes bench-results/profile-NAME.md
#   (top functions), .svg (flame graph) and .folded. The userland is built
#   with its symbol tables kept (same code, unstripped) so that user
#   addresses can be named.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
profile=
prev=
for arg in "$@"; do
    case "$arg" in
        --profile=*) profile="${arg#--profile=}" ;;
        *) [ "$prev" = --profile ] && profile="$arg" ;;
    esac
    prev="$arg"
done
"$ROOT/scripts/setup.sh"
build_boot_tool
step "building the kernel (bench-kernel profile: release without debug assertions)"
(cd "$ROOT" && cargo build -p ferrite-kernel --target "$KERNEL_TARGET" --profile bench-kernel) \
    || die "building the kernel failed (see above)"
BENCH_ELF="$ROOT/target/$KERNEL_TARGET/bench-kernel/ferrite"
if [ -n "$profile" ]; then
    CARGO_PROFILE_USERLAND_STRIP=false build_userland
    step "profiling $profile (one boot under -icount; the samples are printed at power-off)"
    mkdir -p "$ROOT/bench-results"
    cd "$ROOT"
    status=0
    "$BOOT_TOOL" bench --kernel "$BENCH_ELF" --userland "$USERLAND_DIR" \
        --results "$ROOT/bench-results" "$@" 2>&1 | tee "$ROOT/bench-results/profile-$profile.log" \
        || status=$?
    exit "$status"
fi
build_userland

step "running the benchmark suite (each boot takes minutes under -icount; progress below)"
mkdir -p "$ROOT/bench-results"
cd "$ROOT"
status=0
"$BOOT_TOOL" bench --suite --kernel "$BENCH_ELF" --userland "$USERLAND_DIR" \
    --results "$ROOT/bench-results" "$@" 2>&1 | tee "$ROOT/bench-results/latest.log" \
    || status=$?
[ "$status" -eq 0 ] || echo "bench.sh: the suite reported problems (exit $status); see the table above" >&2
exit "$status"
