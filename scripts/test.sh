#!/usr/bin/env bash
# Run every test suite: host unit/property tests, the runner self-test, the
# in-kernel ktest suite under QEMU, and the userland suite on Ferrite (under
# QEMU) and natively on this Linux host (the reference: a check that fails
# there is a wrong check). Ends with one line "N passed, M failed".
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
build_userland
step "building the self-test kernel (deliberately failing tests, for the runner self-test)"
(cd "$ROOT" && cargo build -p ferrite-kernel --target "$KERNEL_TARGET" --release \
    --features ktest-selftest --target-dir target/selftest) || die "building the self-test kernel failed"

LOGDIR=$(mktemp -d)
trap 'rm -rf "$LOGDIR"' EXIT

step "host tests (cargo test)"
export FERRITE_BOOT="$BOOT_TOOL"
export FERRITE_SELFTEST_KERNEL="$ROOT/target/selftest/$KERNEL_TARGET/release/ferrite"
export FERRITE_KERNEL="$KERNEL_ELF" FERRITE_USERLAND="$USERLAND_DIR"   # tests/tests/{demo,giant_pages}.rs
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

# read_summary FILE: "passed failed skipped" from a --summary file (0s if absent).
read_summary() {
    local p=0 f=0 k=0
    if [ -f "$1" ]; then
        p=$(sed -n 's/^passed=//p' "$1"); f=$(sed -n 's/^failed=//p' "$1")
        k=$(sed -n 's/^skipped=//p' "$1")
    fi
    echo "${p:-0} ${f:-0} ${k:-0}"
}

step "userland suite on Ferrite (ferrite-boot test --user)"
"$BOOT_TOOL" test --kernel "$KERNEL_ELF" --user --userland "$USERLAND_DIR" \
    ${FILTER:+--filter "$FILTER"} --summary "$LOGDIR/user.summary"
uf_status=$?
read -r uf_passed uf_failed uf_skipped < <(read_summary "$LOGDIR/user.summary")
user_matched=1
if [ "$uf_status" -ne 0 ] && [ "$uf_failed" -eq 0 ]; then
    if [ -n "$FILTER" ] && [ "$uf_passed" -eq 0 ] && [ -f "$LOGDIR/user.summary" ]; then
        user_matched=0        # the filter matched no userland check
    else
        uf_failed=1           # the runner failed without a result (missing testrun, QEMU, ...)
    fi
fi

step "userland suite on Linux (this host, the reference)"
ul_passed=0
ul_failed=0
ul_skipped=0
# test_links DIR: DIR/<prog> for every test program, as /bin/tests holds
# them on Ferrite: a link to utests per name `utests --multicall-list`
# prints (the program runs by the name it is started under), and any
# single-program utest-<prog> binary.
test_links() {
    local prog bin
    mkdir -p "$1" || return 1
    for prog in $("$USERLAND_DIR/utests" --multicall-list); do
        ln -s "$USERLAND_DIR/utests" "$1/$prog" || return 1
    done
    for bin in "$USERLAND_DIR"/utest-*; do
        [ -f "$bin" ] && [ -x "$bin" ] || continue
        ln -s "$bin" "$1/${bin##*/utest-}" || return 1
    done
}
if [ -x "$USERLAND_DIR/testrun" ] && [ -x "$USERLAND_DIR/utests" ] \
        && "$USERLAND_DIR/utests" --multicall-list >/dev/null && test_links "$LOGDIR/tests"; then
    "$USERLAND_DIR/testrun" --dir "$LOGDIR/tests" ${FILTER:+"$FILTER"} 2>&1 | tee "$LOGDIR/linux.log"
    ul_status=${PIPESTATUS[0]}
    # testrun's last line: "user: N passed, M failed, K skipped".
    if read -r ul_passed ul_failed ul_skipped < <(sed -n \
            's/^user: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' \
            "$LOGDIR/linux.log" | tail -n 1); then
        if [ "$ul_status" -ne 0 ] && [ "$ul_failed" -eq 0 ]; then
            ul_failed=1       # testrun failed without reporting a failed check
        fi
    else
        echo "testrun exited with status $ul_status without its summary line" >&2
        ul_passed=0; ul_failed=1; ul_skipped=0
    fi
else
    echo "no testrun or utests (or no program list from utests) in $USERLAND_DIR:" \
         "the userland suite was not built" >&2
    ul_failed=1
fi

passed=$((host_passed + k_passed + uf_passed + ul_passed))
failed=$((host_failed + k_failed + uf_failed + ul_failed))
echo
echo "host: $host_passed passed, $host_failed failed; kernel: $k_passed passed, $k_failed failed;" \
     "user (Ferrite): $uf_passed passed, $uf_failed failed, $uf_skipped skipped;" \
     "user (Linux): $ul_passed passed, $ul_failed failed, $ul_skipped skipped"
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
    echo "no test matches filter \"$FILTER\"" >&2
    echo "0 passed, 0 failed"
    exit 1
fi
if [ "$kernel_matched" -eq 0 ]; then
    echo "(no in-kernel test matches \"$FILTER\")"
fi
if [ "$user_matched" -eq 0 ]; then
    echo "(no userland check matches \"$FILTER\")"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
