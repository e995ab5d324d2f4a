# Shared helpers for the scripts (sourced, not run).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KERNEL_TARGET=x86_64-unknown-none
KERNEL_ELF="$ROOT/target/$KERNEL_TARGET/release/ferrite"
BOOT_TOOL="$ROOT/target/release/ferrite-boot"
USERLAND_TARGET=x86_64-unknown-linux-musl
# Cargo's output directory of the userland binaries (the `userland` profile);
# `ferrite-boot --userland` packs it into the initramfs.
USERLAND_DIR="$ROOT/target/$USERLAND_TARGET/userland"

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

# The userland: every crate under userland/ that exists (static musl
# binaries, `userland` profile), so the build works while crates are added.
build_userland() {
    step "building the userland (static $USERLAND_TARGET binaries, userland profile)"
    local manifest name pkgs=()
    for manifest in "$ROOT"/userland/*/Cargo.toml; do
        [ -f "$manifest" ] || continue
        # The `name` of the [package] section.
        name=$(awk '/^\[/ { section = $0 }
                    section == "[package]" && /^name *=/ {
                        sub(/^name *= *"/, ""); sub(/".*/, ""); print; exit }' "$manifest")
        if [ -n "$name" ]; then
            pkgs+=(-p "$name")
        fi
    done
    if [ ${#pkgs[@]} -eq 0 ]; then
        echo "no userland crates under userland/; nothing to build" >&2
        return 0
    fi
    (cd "$ROOT" && cargo build --profile userland --target "$USERLAND_TARGET" "${pkgs[@]}") \
        || die "building the userland failed (see above)"
}
