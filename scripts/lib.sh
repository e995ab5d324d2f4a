# Shared helpers for the scripts (sourced, not run).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KERNEL_TARGET=x86_64-unknown-none
KERNEL_ELF="$ROOT/target/$KERNEL_TARGET/release/ferrite"
BOOT_TOOL="$ROOT/target/release/ferrite-boot"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# The host tool: the bootloader crate's build script compiles its boot stages
# with -Zbuild-std, which needs RUSTC_BOOTSTRAP=1 (this build only).
build_boot_tool() {
    step "building the host tool (boot/; the first build compiles the bootloader, about 3 minutes)"
    (cd "$ROOT" && RUSTC_BOOTSTRAP=1 cargo build -p ferrite-boot --release) \
        || die "building boot/ failed (see above); run scripts/setup.sh if a component is missing"
}

# build_kernel [cargo args...]
build_kernel() {
    step "building the kernel"
    (cd "$ROOT" && cargo build -p ferrite-kernel --target "$KERNEL_TARGET" --release "$@") \
        || die "building the kernel failed (see above)"
}
