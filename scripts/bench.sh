#!/usr/bin/env bash
# Run the in-kernel benchmarks under QEMU with -icount shift=0 (the guest TSC
# counts guest instructions, so figures repeat exactly run to run) and write
# the results as a table to bench-results/latest.md.
# Usage: scripts/bench.sh [ferrite-boot bench options, e.g. --memory 1024]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
build_boot_tool
step "building the kernel (bench-kernel profile: release without debug assertions)"
(cd "$ROOT" && cargo build -p ferrite-kernel --target "$KERNEL_TARGET" --profile bench-kernel) \
    || die "building the kernel failed (see above)"
BENCH_ELF="$ROOT/target/$KERNEL_TARGET/bench-kernel/ferrite"

step "running the benchmarks in QEMU (-icount shift=0)"
mkdir -p "$ROOT/bench-results"
LOG="$ROOT/bench-results/latest.log"
"$BOOT_TOOL" bench --kernel "$BENCH_ELF" "$@" | tee "$LOG"

TABLE="$ROOT/bench-results/latest.md"
{
    echo "# Ferrite benchmarks"
    echo
    echo "Guest cycles under QEMU TCG with \`-icount shift=0\` (1 cycle = 1 guest instruction)."
    echo "Commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u +%Y-%m-%d)."
    echo
    echo "| benchmark | result |"
    echo "| --- | ---: |"
    sed -n 's/^bench: \(.*\) | \(.*\)$/| \1 | \2 |/p' "$LOG"
} > "$TABLE"
step "results"
cat "$TABLE"
