#!/usr/bin/env bash
# Run every test suite: host unit/property tests, the runner self-test, and the
# in-kernel ktest suite under QEMU. Ends with one line "N passed, M failed".
# Usage: scripts/test.sh [FILTER]   (FILTER: substring of test paths, e.g. physmem)
set -uo pipefail
source "$(dirname "$0")/lib.sh"

if [ $# -gt 1 ] || [[ "${1:-}" == -* ]]; then
    echo "usage: scripts/test.sh [FILTER]   (FILTER is a substring of test names, e.g. physmem)" >&2
    exit 2
fi
FILTER="${1:-}"
[[ "$FILTER" =~ [[:space:]] ]] && die "FILTER must not contain spaces"

"$ROOT/scripts/setup.sh" || die "setup failed"
build_boot_tool
build_kernel
step "building the self-test kernel (deliberately failing tests, for the runner self-test)"
(cd "$ROOT" && cargo build -p ferrite-kernel --target "$KERNEL_TARGET" --release \
    --features ktest-selftest --target-dir target/selftest) || die "building the self-test kernel failed"

LOGDIR=$(mktemp -d)
trap 'rm -rf "$LOGDIR"' EXIT

step "host tests (cargo test)"
export FERRITE_BOOT="$BOOT_TOOL"
export FERRITE_SELFTEST_KERNEL="$ROOT/target/selftest/$KERNEL_TARGET/release/ferrite"
(cd "$ROOT" && RUSTC_BOOTSTRAP=1 cargo test --release -- --include-ignored ${FILTER:+"$FILTER"}) 2>&1 \
    | tee "$LOGDIR/host.log"
host_status=${PIPESTATUS[0]}
# Sum the "test result: ok. N passed; M failed; ..." lines of every test binary.
read -r host_passed host_failed < <(awk '/^test result:/ {
        for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i }
    } END { print p + 0, f + 0 }' "$LOGDIR/host.log")
if [ "$host_status" -ne 0 ] && [ "$host_failed" -eq 0 ]; then
    host_failed=1   # cargo failed before running tests (e.g. a build error)
fi

step "in-kernel tests (ktest under QEMU)"
"$BOOT_TOOL" test --kernel "$KERNEL_ELF" ${FILTER:+--filter "$FILTER"} --summary "$LOGDIR/ktest.summary"
kernel_status=$?
k_passed=0
k_failed=0
if [ -f "$LOGDIR/ktest.summary" ]; then
    k_passed=$(sed -n 's/^passed=//p' "$LOGDIR/ktest.summary")
    k_failed=$(sed -n 's/^failed=//p' "$LOGDIR/ktest.summary")
fi
kernel_matched=1
if [ "$kernel_status" -ne 0 ] && [ "$k_failed" -eq 0 ]; then
    if [ -n "$FILTER" ] && [ "$k_passed" -eq 0 ]; then
        kernel_matched=0      # the filter matched no ktest
    else
        k_failed=1            # the runner failed without a result (build, QEMU, ...)
    fi
fi

passed=$((host_passed + k_passed))
failed=$((host_failed + k_failed))
echo
echo "host: $host_passed passed, $host_failed failed; kernel: $k_passed passed, $k_failed failed"
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
    echo "no test matches filter \"$FILTER\"" >&2
    echo "0 passed, 0 failed"
    exit 1
fi
if [ "$kernel_matched" -eq 0 ]; then
    echo "(no in-kernel test matches \"$FILTER\")"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
