# Shared helpers for the scripts (sourced, not run).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KERNEL_TARGET=x86_64-unknown-none
KERNEL_ELF="$ROOT/target/$KERNEL_TARGET/release/ferrite"
BOOT_TOOL="$ROOT/target/release/ferrite-boot"
USERLAND_TARGET=x86_64-unknown-linux-musl
# What `ferrite-boot --userland` packs into the initramfs: links to exactly
# the executables the last build_userland produced. (Cargo's own output
# directory, target/$USERLAND_TARGET/userland, also keeps the binaries of
# targets that no longer exist, which the tool would pack too.)
USERLAND_DIR="$ROOT/target/$USERLAND_TARGET/userland-pack"
# Debian's static BusyBox as scripts/setup.sh unpacks it (for run.sh --shell).
BUSYBOX="$ROOT/target/busybox/root/bin/busybox"

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
# binaries, `userland` profile), so the build works while crates are added;
# then USERLAND_DIR is made anew with a link to each executable cargo
# reported for this build (its JSON messages' "executable" paths).
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
    local messages
    messages=$(mktemp) || die "mktemp failed"
    if ! (cd "$ROOT" && cargo build --profile userland --target "$USERLAND_TARGET" "${pkgs[@]}" \
            --message-format=json-render-diagnostics >"$messages"); then
        rm -f "$messages"
        die "building the userland failed (see above)"
    fi
    rm -rf "$USERLAND_DIR"
    mkdir -p "$USERLAND_DIR" || die "cannot create $USERLAND_DIR"
    local exe
    while read -r exe; do
        ln -s "$exe" "$USERLAND_DIR/$(basename "$exe")" || die "cannot link $exe into $USERLAND_DIR"
    done < <(sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' "$messages")
    rm -f "$messages"
    [ -e "$USERLAND_DIR/init" ] || die "the userland build reported no init executable"
}
